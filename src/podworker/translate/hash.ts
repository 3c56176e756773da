// A stable hash of a container spec (the kubelet's HashContainer): changes mean "restart with the new spec".
import type { V1Container } from '@kubernetes/client-node';

/**
 * JSON with object keys sorted and undefined members dropped, so that two specs equal as data
 * hash alike whatever order their keys were written or decoded in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${parts.join(',')}}`;
}

/** FNV-1a, 32 bit, over the UTF-8 bytes of s (the kubelet hashes with fnv.New32a too). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * kubecontainer.HashContainer, as hex (the kubelet writes strconv.FormatUint(hash, 16)). We hash
 * the whole spec: the API server allows only the image to change in a running pod, and a static
 * pod whose manifest changes gets a new UID anyway. (Kubelets since 1.31 hash only name and image,
 * so that a kubelet upgrade that adds defaulted fields restarts nothing; we have no such upgrades.)
 */
export function hashContainer(container: V1Container): string {
  return fnv32a(canonicalJson(container)).toString(16);
}
