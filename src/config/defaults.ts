// The API server's defaulting for a Pod (pkg/apis/core/v1/defaults.go), in one place, applied to pods from every source.
//
// Static pods never pass through an API server, so the kubelet's decoder applies these same
// defaults; everything downstream (planner, status, hashing) may then assume the fields are set.
// Idempotent: defaulting a defaulted pod changes nothing.
import type { V1Container, V1HTTPGetAction, V1Lifecycle, V1ObjectFieldSelector, V1Pod, V1Probe, V1Volume } from '@kubernetes/client-node';

/** parsers.ParseImageName's tag rule: a missing tag (and no digest) means "latest". */
export function imageTag(image: string): { tag: string; digest: string } {
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // The tag follows the last ':' after the last '/', so a registry port ("host:5000/app") is no tag.
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  let tag = colon >= 0 ? rest.slice(colon + 1) : '';
  if (tag === '' && digest === '') tag = 'latest';
  return { tag, digest };
}

/** SetDefaults_Container: Always for ":latest" (or no tag), IfNotPresent otherwise (a digest counts as a tag). */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image).tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(h: V1HTTPGetAction | undefined): void {
  if (!h) return;
  h.path ??= '/';
  h.scheme ??= 'HTTP';
}

function defaultFieldRef(ref: V1ObjectFieldSelector | undefined): void {
  if (ref) ref.apiVersion ||= 'v1';
}

/** SetDefaults_Probe: a zero counts as unset, as Go's zero value does. */
function defaultProbe(p: V1Probe | undefined): void {
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHTTPGet(p.httpGet);
  if (p.grpc) p.grpc.service ??= '';
}

function defaultLifecycle(l: V1Lifecycle | undefined): void {
  defaultHTTPGet(l?.postStart?.httpGet);
  defaultHTTPGet(l?.preStop?.httpGet);
}

/** Quantities as strings, as the API returns them (YAML gives `cpu: 2` as a number). */
function stringifyQuantities(m: Record<string, string> | undefined): void {
  if (!m) return;
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number') m[k] = String(v);
}

function defaultContainer(c: V1Container, hostNetwork: boolean): void {
  if (!c.imagePullPolicy && typeof c.image === 'string') c.imagePullPolicy = defaultImagePullPolicy(c.image);
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const port of c.ports ?? []) {
    port.protocol ||= 'TCP';
    // defaultHostNetworkPorts: on the host network the host port is the container port.
    if (hostNetwork && !port.hostPort) port.hostPort = port.containerPort;
  }
  for (const env of c.env ?? []) defaultFieldRef(env.valueFrom?.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultLifecycle(c.lifecycle);
  if (c.resources) {
    stringifyQuantities(c.resources.limits);
    stringifyQuantities(c.resources.requests);
    // SetDefaults_Pod: a limit with no request makes the request equal to the limit.
    const limits = c.resources.limits;
    if (limits && Object.keys(limits).length > 0) {
      const requests = (c.resources.requests ??= {});
      for (const [name, q] of Object.entries(limits)) if (!(name in requests)) requests[name] = q;
    }
  }
}

/** The VolumeSource members; unknown keys are not a source (Go's decoder drops them). */
export const VOLUME_SOURCE_KEYS: readonly string[] = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

/** SetDefaults_Volume (no source means an emptyDir) and the per-source defaults (mode 0644 = 420). */
function defaultVolume(v: V1Volume): void {
  const record = v as unknown as Record<string, unknown>;
  if (!VOLUME_SOURCE_KEYS.some((k) => record[k] !== undefined)) v.emptyDir = {};
  if (v.emptyDir) stringifyQuantities(v.emptyDir as Record<string, string>);
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.configMap) v.configMap.defaultMode ??= 420;
  if (v.secret) v.secret.defaultMode ??= 420;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= 420;
    for (const item of v.downwardAPI.items ?? []) defaultFieldRef(item.fieldRef);
  }
  if (v.projected) v.projected.defaultMode ??= 420;
}

/** SetDefaults_Pod + SetDefaults_PodSpec + the per-field defaulters. Mutates and returns `pod`. */
export function applyPodDefaults(pod: V1Pod): V1Pod {
  const spec = (pod.spec ??= { containers: [] });
  spec.containers ??= [];
  spec.restartPolicy ||= 'Always';
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  // spec.priority stays as written: in a cluster the Priority admission plugin fills it in, but a
  // static pod never passes through it (that is why kubeadm's manifests spell priority out).
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.containers) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  return pod;
}
