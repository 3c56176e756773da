// ConfigMaps for the node's pods, read with the node's credentials: watched one by one (the kubelet's default NewWatchingConfigMapManager) or cached for a minute (NewCachingConfigMapManager).
import type { V1ConfigMap } from '@kubernetes/client-node';
import { isNotFound, KubeApiError } from '../kubeclient/errors.js';
import type { ReflectorLogger } from '../kubeclient/reflector.js';
import type { ConfigMapsClient } from '../kubeclient/types.js';
import { CacheBasedManager } from './cache-based-manager.js';
import { ObjectCache, type ObjectCacheOptions } from './object-cache.js';
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

/** The "Cache" strategy: each object read again once its answer is a TTL old. */
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

/** A manager whose objects can be stopped watching all at once (the agent's shutdown). */
export interface WatchingManager<T> extends ObjectManager<T> {
  cache: ObjectCache<T & object>;
}

/** The "Watch" strategy (the kubelet's default): one watch per referenced ConfigMap. */
export function newWatchingConfigMapManager(
  client: Pick<ConfigMapsClient, 'list' | 'watch'>,
  logger: ReflectorLogger,
  o: Partial<ObjectCacheOptions<V1ConfigMap>> = {},
): WatchingManager<V1ConfigMap> {
  const cache = new ObjectCache<V1ConfigMap>({ resource: 'configmap', client, logger, ...o });
  return Object.assign(new CacheBasedManager(cache, configMapNames), { cache });
}
