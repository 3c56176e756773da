// The pods/status patch: a two-way strategic merge patch from the API's status to ours, with the pod's UID in it as a precondition (kubelet: statusutil.PatchPodStatus). Pure.
//
// strategicpatch.CreateTwoWayMergePatch on {status} → {metadata: {uid}, status}, for the PodStatus
// schema only: conditions, podIPs and hostIPs merge by their key (type, ip) and get
// $setElementOrder; every other list (the container statuses) is replaced whole; a field we no
// longer have is set to null. The UID in the patch makes the API server refuse it (409) when the
// name now belongs to a recreated pod.
import type { V1PodStatus } from '@kubernetes/client-node';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

/** The PodStatus lists with patchStrategy merge, and their patchMergeKey. */
const MERGE_KEYS: Readonly<Record<string, string>> = { conditions: 'type', podIPs: 'ip', hostIPs: 'ip', resourceClaimStatuses: 'name' };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** metav1.Time's wire form: RFC 3339 in whole seconds, UTC. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** A value as it goes on the wire: Dates as metav1.Time, no undefined or null members. */
export function toWire(v: unknown): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : rfc3339(v);
  if (Array.isArray(v)) return v.map((x) => toWire(x) ?? null);
  if (isObj(v)) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      const w = toWire(x);
      if (w !== undefined) out[k] = w;
    }
    return out;
  }
  return v as Json;
}

/**
 * The form two values are compared in: Go's JSON has no "absent", so a missing member, null, "",
 * [] and {} (a struct with nothing set, such as lastState) are all the same; times in whole seconds.
 */
export function normalized(v: unknown): Json | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v instanceof Date) return toWire(v);
  // A time that arrived as text (a raw watch, a fake) compares as the Date it stands for.
  if (typeof v === 'string' && RFC3339.test(v)) return toWire(new Date(v)) ?? v;
  if (Array.isArray(v)) return v.length ? v.map((x) => normalized(x) ?? null) : undefined;
  if (isObj(v)) {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalized(v[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v as Json;
}

export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));

function diffObjects(old: Obj, cur: Obj, mergeKeys: Readonly<Record<string, string>>): Record<string, Json> {
  const patch: Record<string, Json> = {};
  for (const key of new Set([...Object.keys(old), ...Object.keys(cur)])) {
    const o = old[key];
    const n = cur[key];
    if (normalized(n) === undefined) {
      if (normalized(o) !== undefined) patch[key] = null;
      continue;
    }
    const mergeKey = mergeKeys[key];
    if (mergeKey && Array.isArray(n)) {
      const d = diffMergeList(Array.isArray(o) ? o : [], n, mergeKey);
      if (d) {
        patch[key] = d.list;
        patch[`$setElementOrder/${key}`] = d.order;
      }
    } else if (isObj(o) && isObj(n)) {
      const d = diffObjects(o, n, {});
      if (Object.keys(d).length) patch[key] = d;
    } else if (!sameValue(o, n)) {
      patch[key] = toWire(n)!;
    }
  }
  return patch;
}

/** diffListsOfMaps: changed or new elements (with their key), deletions as $patch: delete, and the new order. */
function diffMergeList(old: unknown[], cur: unknown[], mergeKey: string): { list: Json[]; order: Json[] } | undefined {
  const keyOf = (x: unknown) => (isObj(x) ? String(x[mergeKey] ?? '') : '');
  const oldByKey = new Map(old.filter(isObj).map((x) => [keyOf(x), x] as const));
  const curKeys = new Set(cur.map(keyOf));
  const list: Json[] = [];
  for (const n of cur.filter(isObj)) {
    const o = oldByKey.get(keyOf(n));
    if (!o) list.push(toWire(n)!);
    else {
      const d = diffObjects(o, n, {});
      if (Object.keys(d).length) list.push({ [mergeKey]: keyOf(n), ...d });
    }
  }
  for (const k of oldByKey.keys()) if (!curKeys.has(k)) list.push({ $patch: 'delete', [mergeKey]: k });
  const sameOrder = old.map(keyOf).filter((k) => curKeys.has(k)).join('\u0000') === cur.map(keyOf).filter((k) => oldByKey.has(k)).join('\u0000');
  if (list.length === 0 && sameOrder) return undefined;
  return { list, order: cur.map((x) => ({ [mergeKey]: keyOf(x) })) };
}

/**
 * preparePatchBytesForPodStatus: the patch from the API's status to ours. `unchanged` when it
 * holds nothing but the UID: then no request is needed at all.
 */
export function podStatusPatch(uid: string, api: V1PodStatus | undefined, ours: V1PodStatus): { patch: Obj; unchanged: boolean } {
  const status = diffObjects((api ?? {}) as Obj, ours as Obj, MERGE_KEYS);
  const unchanged = Object.keys(status).length === 0;
  return { patch: unchanged ? { metadata: { uid } } : { metadata: { uid }, status }, unchanged };
}
