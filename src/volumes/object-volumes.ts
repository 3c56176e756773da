// configMap and secret volumes, and the same sources in projected volumes: the object read from the cluster, then its payload (the kubelet's configmap and secret plugins' SetUpAt).
import type { V1ConfigMap, V1KeyToPath, V1Secret } from '@kubernetes/client-node';
import { isNotFound } from '../kubeclient/errors.js';
import type { FileProjection } from './atomic-writer.js';
import type { VolumeClusterSources } from './cluster-sources.js';
import { makeConfigMapPayload } from './configmap-payload.js';
import { makeSecretPayload } from './secret-payload.js';

export interface ObjectSourceRef {
  name: string;
  items?: V1KeyToPath[];
  optional: boolean;
}

/** A missing optional object is an empty one; anything else the manager says fails the volume. */
async function readOrEmpty<T>(read: () => Promise<T>, optional: boolean, empty: T): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err) && optional) return empty;
    throw err;
  }
}

export async function configMapFiles(cluster: VolumeClusterSources, namespace: string, ref: ObjectSourceRef, defaultMode: number): Promise<Map<string, FileProjection>> {
  const empty: V1ConfigMap = { metadata: { namespace, name: ref.name } };
  const cm = await readOrEmpty(() => cluster.configMaps.getObject(namespace, ref.name), ref.optional, empty);
  return makeConfigMapPayload(ref.items, cm, defaultMode, ref.optional);
}

export async function secretFiles(cluster: VolumeClusterSources, namespace: string, ref: ObjectSourceRef, defaultMode: number): Promise<Map<string, FileProjection>> {
  const empty: V1Secret = { metadata: { namespace, name: ref.name } };
  const secret = await readOrEmpty(() => cluster.secrets.getObject(namespace, ref.name), ref.optional, empty);
  return makeSecretPayload(ref.items, secret, defaultMode, ref.optional);
}
