// A Secret's keys as volume files, all of them or the listed items (the kubelet's secret.MakePayload).
import type { V1KeyToPath, V1Secret } from '@kubernetes/client-node';
import type { FileProjection } from './atomic-writer.js';
import { VolumeError } from './errors.js';

/**
 * MakePayload: with no items, every key of data under its own name with defaultMode; else each
 * item's key at its path, with its mode or defaultMode. A listed key the Secret lacks is an
 * error, unless the source is optional (then it is skipped). Values are bytes: the API serves
 * them base64-encoded.
 */
export function makeSecretPayload(
  items: V1KeyToPath[] | undefined,
  secret: V1Secret,
  defaultMode: number,
  optional: boolean,
): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  const data = secret.data ?? {};
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) out.set(k, { data: Buffer.from(v, 'base64'), mode: defaultMode });
    return out;
  }
  for (const item of items) {
    if (!Object.hasOwn(data, item.key)) {
      if (optional) continue;
      throw new VolumeError(`references non-existent secret key: ${item.key}`);
    }
    out.set(item.path, { data: Buffer.from(data[item.key]!, 'base64'), mode: item.mode ?? defaultMode });
  }
  return out;
}
