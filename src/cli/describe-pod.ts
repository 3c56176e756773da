// `describe pod` as text: kubectl's describePod (header, containers, conditions, volumes, QoS, tolerations, events). Pure.
import type { V1Pod, V1Toleration, V1Volume } from '@kubernetes/client-node';
import { describeContainers } from './describe-containers.js';
import { DescribeWriter, rfc1123z, type TimeZone } from './describe-writer.js';
import { timestampSince, toMillis } from './format-duration.js';

/** A core/v1 Event as the agent's events endpoint serves it (only what describe reads). */
export interface DescribeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | Date;
  lastTimestamp?: string | Date;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
}

export interface DescribeOptions {
  /** Unix ms, for ages. */
  now: number;
  /** kubectl prints times in its local zone; tests pin UTC. */
  timeZone?: TimeZone;
}

/** Annotations kubectl never shows (skipAnnotations). */
const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const MAX_ANNOTATION_LEN = 140;

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** printLabelsMultiline: "Labels:\ta=b", further pairs on lines of their own, aligned. */
function labelsMultiline(w: DescribeWriter, title: string, labels: Record<string, string> | undefined): void {
  const keys = Object.keys(labels ?? {}).sort(byKey);
  if (keys.length === 0) return w.line(0, `${title}:\t<none>`);
  keys.forEach((k, i) => w.line(0, `${i === 0 ? `${title}:` : ''}\t${k}=${labels![k]}`));
}

/** printAnnotationsMultiline: long or multi-line values get lines of their own, shortened to 140 characters. */
function annotationsMultiline(w: DescribeWriter, annotations: Record<string, string> | undefined): void {
  const keys = Object.keys(annotations ?? {}).filter((k) => !SKIP_ANNOTATIONS.has(k)).sort(byKey);
  if (keys.length === 0) return w.line(0, 'Annotations:\t<none>');
  keys.forEach((k, i) => {
    const lead = i === 0 ? 'Annotations:\t' : '\t';
    const value = annotations![k]!.replace(/\n$/, '');
    if (value.length + k.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.line(0, `${lead}${k}:`);
      for (const s of value.split('\n')) {
        const limit = MAX_ANNOTATION_LEN - 2;
        w.line(0, `\t  ${s.length > limit ? `${s.slice(0, limit)}...` : s}`);
      }
    } else {
      w.line(0, `${lead}${k}: ${value}`);
    }
  });
}

/** printPodTolerationsMultiline: "key=value:Effect op=Exists for 300s". */
function tolerationsMultiline(w: DescribeWriter, tolerations: V1Toleration[] | undefined): void {
  const list = [...(tolerations ?? [])].sort((a, b) => byKey(a.key ?? '', b.key ?? ''));
  if (list.length === 0) return w.line(0, 'Tolerations:\t<none>');
  list.forEach((t, i) => {
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
    w.line(0, `${i === 0 ? 'Tolerations:' : ''}\t${s}`);
  });
}

/** describeVolumes, for the sources a node-local pod can have. */
function describeVolumes(w: DescribeWriter, volumes: V1Volume[] | undefined): void {
  if (!volumes?.length) return w.line(0, 'Volumes:\t<none>');
  w.line(0, 'Volumes:');
  for (const v of volumes) {
    w.line(1, `${v.name}:`);
    if (v.hostPath) {
      w.line(2, 'Type:\tHostPath (bare host directory volume)');
      w.line(2, `Path:\t${v.hostPath.path}`);
      w.line(2, `HostPathType:\t${v.hostPath.type ?? '<none>'}`);
    } else if (v.emptyDir) {
      const size = v.emptyDir.sizeLimit as unknown as string | undefined;
      w.line(2, 'Type:\tEmptyDir (a temporary directory that shares a pod\'s lifetime)');
      w.line(2, `Medium:\t${v.emptyDir.medium ?? ''}`);
      w.line(2, `SizeLimit:\t${size && size !== '0' ? size : '<unset>'}`);
    } else if (v.configMap) {
      w.line(2, 'Type:\tConfigMap (a volume populated by a ConfigMap)');
      w.line(2, `Name:\t${v.configMap.name ?? ''}`);
      w.line(2, `Optional:\t${v.configMap.optional === true}`);
    } else if (v.secret) {
      w.line(2, 'Type:\tSecret (a volume populated by a Secret)');
      w.line(2, `SecretName:\t${v.secret.secretName ?? ''}`);
      w.line(2, `Optional:\t${v.secret.optional === true}`);
    } else if (v.downwardAPI) {
      w.line(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)');
      w.line(2, 'Items:');
      for (const item of v.downwardAPI.items ?? []) {
        if (item.fieldRef) w.line(3, `${item.fieldRef.fieldPath} -> ${item.path}`);
        if (item.resourceFieldRef) w.line(3, `${item.resourceFieldRef.resource} -> ${item.path}`);
      }
    } else if (v.persistentVolumeClaim) {
      w.line(2, 'Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)');
      w.line(2, `ClaimName:\t${v.persistentVolumeClaim.claimName}`);
      w.line(2, `ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}`);
    } else {
      w.line(1, '<unknown>');
    }
  }
}

/** DescribeEvents: sorted by last time seen; a repeated event reads "30s (x4 over 2m)". */
export function describeEvents(w: DescribeWriter, events: DescribeEvent[], now: number): void {
  if (events.length === 0) return w.line(0, 'Events:\t<none>');
  const sorted = [...events].sort((a, b) => (toMillis(a.lastTimestamp) ?? 0) - (toMillis(b.lastTimestamp) ?? 0));
  w.line(0, 'Events:');
  w.line(1, 'Type\tReason\tAge\tFrom\tMessage');
  w.line(1, '----\t------\t----\t----\t-------');
  for (const e of sorted) {
    const first = timestampSince(e.firstTimestamp, now);
    const age = (e.count ?? 1) > 1 ? `${timestampSince(e.lastTimestamp, now)} (x${e.count} over ${first})` : first;
    const from = e.source?.component || e.reportingComponent || '';
    w.line(1, `${e.type ?? ''}\t${e.reason ?? ''}\t${age}\t${from}\t${(e.message ?? '').trim()}`);
  }
}

/** kubectl describePod. `events` undefined: the agent could not say (no Events section). */
export function describePod(pod: V1Pod, events: DescribeEvent[] | undefined, opts: DescribeOptions): string {
  const w = new DescribeWriter(opts.timeZone ?? 'local');
  const { metadata: meta = {}, spec = { containers: [] }, status = {} } = pod;
  w.line(0, `Name:\t${meta.name ?? ''}`);
  w.line(0, `Namespace:\t${meta.namespace ?? ''}`);
  if (spec.priority !== undefined) w.line(0, `Priority:\t${spec.priority}`);
  if (spec.priorityClassName) w.line(0, `Priority Class Name:\t${spec.priorityClassName}`);
  if (spec.runtimeClassName) w.line(0, `Runtime Class Name:\t${spec.runtimeClassName}`);
  if (spec.serviceAccountName) w.line(0, `Service Account:\t${spec.serviceAccountName}`);
  w.line(0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}` : 'Node:\t<none>');
  if (status.startTime) w.line(0, `Start Time:\t${rfc1123z(status.startTime, w.timeZone)}`);
  labelsMultiline(w, 'Labels', meta.labels);
  annotationsMultiline(w, meta.annotations);
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.line(0, `Status:\tTerminating (lasts ${timestampSince(meta.deletionTimestamp, opts.now)})`);
    w.line(0, `Termination Grace Period:\t${meta.deletionGracePeriodSeconds ?? 0}s`);
  } else {
    w.line(0, `Status:\t${status.phase ?? ''}`);
  }
  if (status.reason) w.line(0, `Reason:\t${status.reason}`);
  if (status.message) w.line(0, `Message:\t${status.message}`);
  w.line(0, `IP:\t${status.podIP ?? ''}`);
  if (!status.podIPs?.length) w.line(0, 'IPs:\t<none>');
  else {
    w.line(0, 'IPs:');
    for (const ip of status.podIPs) w.line(1, `IP:\t${ip.ip}`);
  }
  const controller = (meta.ownerReferences ?? []).find((o) => o.controller);
  if (controller) w.line(0, `Controlled By:\t${controller.kind}/${controller.name}`);
  if (spec.initContainers?.length) describeContainers(w, pod, 'Init Containers', spec.initContainers, status.initContainerStatuses ?? []);
  describeContainers(w, pod, 'Containers', spec.containers, status.containerStatuses ?? []);
  if (status.conditions?.length) {
    w.line(0, 'Conditions:');
    w.line(1, 'Type\tStatus');
    for (const c of status.conditions) w.line(1, `${c.type} \t${c.status} `);
  }
  describeVolumes(w, spec.volumes);
  w.line(0, `QoS Class:\t${status.qosClass ?? ''}`);
  labelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  tolerationsMultiline(w, spec.tolerations);
  if (events) describeEvents(w, events, opts.now);
  return w.toString();
}
