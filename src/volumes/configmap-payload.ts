// A ConfigMap's keys as volume files, all of them or the listed items (the kubelet's configmap.MakePayload).
import type { V1ConfigMap, V1KeyToPath } from '@kubernetes/client-node';
import type { FileProjection } from './atomic-writer.js';
import { VolumeError } from './errors.js';

/**
 * MakePayload: with no items, every key of data and binaryData under its own name with
 * defaultMode; else each item's key at its path, with its mode or defaultMode. A listed key the
 * ConfigMap lacks is an error, unless the source is optional (then it is skipped).
 */
export function makeConfigMapPayload(
  items: V1KeyToPath[] | undefined,
  cm: V1ConfigMap,
  defaultMode: number,
  optional: boolean,
): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  const text = cm.data ?? {};
  // binaryData arrives base64-encoded, as the API serves []byte.
  const binary = cm.binaryData ?? {};
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(text)) out.set(k, { data: v, mode: defaultMode });
    for (const [k, v] of Object.entries(binary)) out.set(k, { data: Buffer.from(v, 'base64'), mode: defaultMode });
    return out;
  }
  for (const item of items) {
    let data: string | Buffer;
    if (Object.hasOwn(text, item.key)) data = text[item.key]!;
    else if (Object.hasOwn(binary, item.key)) data = Buffer.from(binary[item.key]!, 'base64');
    else if (optional) continue;
    else throw new VolumeError(`configmap references non-existent config key: ${item.key}`);
    out.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return out;
}
