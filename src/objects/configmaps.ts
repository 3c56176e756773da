// ConfigMaps for the node's pods, read with the node's credentials and cached for a minute (the kubelet's NewCachingConfigMapManager).
import type { V1ConfigMap } from '@kubernetes/client-node';
import { isNotFound, KubeApiError } from '../kubeclient/errors.js';
import type { ConfigMapsClient } from '../kubeclient/types.js';
import { CacheBasedManager } from './cache-based-manager.js';
import { ObjectStore } from './object-store.js';
import { configMapNames } from './references.js';
import type { ObjectManager } from './types.js';

/** configmap_manager.go: defaultTTL, also the default --sync-frequency, so a pod sync re-reads at most this stale. */
export const CONFIGMAP_TTL_MS = 60_000;

export interface ConfigMapManagerOptions {
  /** Unix ms. */
  clock?: () => number;
  ttlMs?: number;
}

export function newCachingConfigMapManager(client: Pick<ConfigMapsClient, 'get'>, o: ConfigMapManagerOptions = {}): ObjectManager<V1ConfigMap> {
  const getObject = async (namespace: string, name: string): Promise<V1ConfigMap> => {
    try {
      return await client.get(namespace, name);
    } catch (err) {
      // The message the kubelet's (default, watch-based) manager gives, e.g. on the FailedMount
      // of a pod whose namespace has no kube-root-ca.crt yet: configmap "kube-root-ca.crt" not found.
      if (isNotFound(err)) throw new KubeApiError(404, 'NotFound', `configmap "${name}" not found`);
      throw err;
    }
  };
  const store = new ObjectStore<V1ConfigMap>({ getObject, clock: o.clock ?? Date.now, ttlMs: o.ttlMs ?? CONFIGMAP_TTL_MS });
  return new CacheBasedManager(store, configMapNames);
}
