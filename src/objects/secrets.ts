// Secrets for the node's pods, read with the node's credentials and watched one by one (the kubelet's default NewWatchingSecretManager).
import type { V1Secret } from '@kubernetes/client-node';
import type { ReflectorLogger } from '../kubeclient/reflector.js';
import type { SecretsClient } from '../kubeclient/types.js';
import { CacheBasedManager } from './cache-based-manager.js';
import type { WatchingManager } from './configmaps.js';
import { ObjectCache, type ObjectCacheOptions } from './object-cache.js';
import { secretNames } from './references.js';

export function newWatchingSecretManager(
  client: Pick<SecretsClient, 'list' | 'watch'>,
  logger: ReflectorLogger,
  o: Partial<ObjectCacheOptions<V1Secret>> = {},
): WatchingManager<V1Secret> {
  const cache = new ObjectCache<V1Secret>({ resource: 'secret', client, logger, ...o });
  return Object.assign(new CacheBasedManager(cache, secretNames), { cache });
}

/** A Secret's data as bytes: the API serves []byte base64-encoded, and client-node keeps it so. */
export function secretBytes(secret: V1Secret, key: string): Buffer | undefined {
  const v = secret.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64');
}
