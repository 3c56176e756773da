// What a container start reads from the cluster before the pure translation: the ConfigMaps and Secrets its environment names, the service links, the pod's image pull secrets.
//
// The kubelet reads them through its managers inside makeEnvironmentVariables and
// getPullSecretsForPod; here they are read first (the managers answer from their watches) and
// handed to translate/env.ts as plain data, with each failure kept to be reported where the
// kubelet reports it. In static mode (no --kubeconfig) there is nothing to read.
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import { isNotFound } from '../kubeclient/errors.js';
import type { ServiceLister } from '../objects/services.js';
import type { ObjectManager } from '../objects/types.js';
import { EnvObjectError, type EnvObject, type EnvSources } from './translate/env.js';
import { serviceEnvVarMap } from './translate/service-env.js';

/** Cluster mode's readers, the same managers the volumes use (the pod is registered with them as its volumes are set up). */
export interface ClusterObjects {
  configMaps: Pick<ObjectManager<V1ConfigMap>, 'getObject'>;
  secrets: Pick<ObjectManager<V1Secret>, 'getObject'>;
  services: ServiceLister;
}

type EnvReads = Pick<EnvSources, 'configMaps' | 'secrets' | 'services'>;

async function read<T>(names: Set<string>, get: (name: string) => Promise<T>, data: (o: T) => Record<string, string>): Promise<Map<string, EnvObject>> {
  const out = new Map<string, EnvObject>();
  await Promise.all([...names].map(async (name) => {
    try {
      out.set(name, data(await get(name)));
    } catch (err) {
      out.set(name, new EnvObjectError(err instanceof Error ? err.message : String(err), isNotFound(err)));
    }
  }));
  return out;
}

/** Secret values as the environment takes them: string(bytes). */
export function decodedSecretData(s: V1Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** The objects the container's env and envFrom name, read now; services with the pod's enableServiceLinks (default true). */
export async function readEnvObjects(pod: V1Pod, container: V1Container, objects: ClusterObjects | undefined): Promise<EnvReads> {
  if (!objects) return {};
  const ns = pod.metadata?.namespace ?? '';
  const cms = new Set<string>();
  const secrets = new Set<string>();
  for (const f of container.envFrom ?? []) {
    if (f.configMapRef?.name) cms.add(f.configMapRef.name);
    if (f.secretRef?.name) secrets.add(f.secretRef.name);
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.configMapKeyRef?.name) cms.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
  }
  const [configMaps, secretData] = await Promise.all([
    // Only data: binaryData never reaches the environment.
    read(cms, (n) => objects.configMaps.getObject(ns, n), (cm) => cm.data ?? {}),
    read(secrets, (n) => objects.secrets.getObject(ns, n), decodedSecretData),
  ]);
  const hasSynced = objects.services.hasSynced();
  const env = hasSynced ? serviceEnvVarMap(objects.services.list(), ns, pod.spec?.enableServiceLinks ?? true) : new Map<string, string>();
  return { configMaps, secrets: secretData, services: { hasSynced, env } };
}

/**
 * getPullSecretsForPod: the pod's imagePullSecrets that can be read (entries without a name are
 * skipped), and the names of those that cannot: the pull goes on without them.
 */
export async function readPullSecrets(pod: V1Pod, objects: ClusterObjects | undefined): Promise<{ secrets: V1Secret[]; failed: string[] }> {
  const refs = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter((n) => n !== '');
  if (!objects || refs.length === 0) return { secrets: [], failed: [] };
  const ns = pod.metadata?.namespace ?? '';
  const got = await Promise.all(refs.map((n) => objects.secrets.getObject(ns, n).then((s) => s, () => undefined)));
  return {
    secrets: got.filter((s): s is V1Secret => s !== undefined),
    failed: refs.filter((_, i) => got[i] === undefined),
  };
}

/** The FailedToRetrieveImagePullSecret event's message. */
export function failedPullSecretsMessage(failed: string[]): string {
  return `Unable to retrieve some image pull secrets (${failed.join(', ')}); attempting to pull the image may not succeed.`;
}
