// Has the Node status changed (kubelet nodeStatusHasChanged, heartbeats ignored), and the strategic-merge patch of nodes/status that carries only what changed (nodeutil.PatchNodeStatus). Pure.
//
// The kubelet diffs the whole Node (strategicpatch.CreateTwoWayMergePatch). We know the shape of
// what we write, so the patch is built field by field: conditions merge by type (each one that
// changed is sent whole), capacity and allocatable by resource name (null removes one), nodeInfo
// by field, and addresses, images and daemonEndpoints as a whole. Addresses are wrongly marked
// patchStrategy=merge in the API, so a changed list is sent with a `$patch: replace` element, as
// the kubelet's fixupPatchForNodeStatusAddresses does.
import type { V1Node, V1NodeCondition, V1NodeStatus } from '@kubernetes/client-node';
import { amountsOf } from '../admission/requests.js';

/** A time as the API keeps it (whole seconds), whether it is a Date or the string a fake or a patch holds. */
function seconds(t: unknown): string | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  const ms = new Date(t as string | Date).getTime();
  return Number.isNaN(ms) ? String(t) : new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

function conditionKey(c: V1NodeCondition, withHeartbeat: boolean): string {
  return JSON.stringify([c.type, c.status, c.reason ?? '', c.message ?? '', seconds(c.lastTransitionTime), withHeartbeat ? seconds(c.lastHeartbeatTime) : '']);
}

/** Quantities compared by value ("1Gi" equals "1073741824"), as apiequality.Semantic does. */
function sameQuantities(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = amountsOf(a);
  const y = amountsOf(b);
  if (Object.keys(a ?? {}).length !== Object.keys(b ?? {}).length) return false;
  return Object.keys(a ?? {}).every((k) => k in (b ?? {}) && x.get(k) === y.get(k));
}

/** JSON with keys sorted, for comparing plain parts (nodeInfo, addresses, images, endpoints). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return `{${Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const PLAIN: (keyof V1NodeStatus)[] = ['addresses', 'daemonEndpoints', 'images', 'nodeInfo', 'volumesInUse', 'volumesAttached', 'config', 'phase'];

/** kubelet nodeConditionsHaveChanged: the same conditions, whatever their order, heartbeats aside. */
export function conditionsChanged(a: V1NodeCondition[] | undefined, b: V1NodeCondition[] | undefined): boolean {
  if ((a?.length ?? 0) !== (b?.length ?? 0)) return true;
  const keys = (l: V1NodeCondition[] | undefined) => (l ?? []).map((c) => conditionKey(c, false)).sort().join('\n');
  return keys(a) !== keys(b);
}

/** kubelet nodeStatusHasChanged. */
export function nodeStatusHasChanged(a: V1NodeStatus | undefined, b: V1NodeStatus | undefined): boolean {
  if (conditionsChanged(a?.conditions, b?.conditions)) return true;
  if (!sameQuantities(a?.capacity, b?.capacity) || !sameQuantities(a?.allocatable, b?.allocatable)) return true;
  return PLAIN.some((k) => canonical(a?.[k]) !== canonical(b?.[k]));
}

function quantityPatch(a: Record<string, string> | undefined, b: Record<string, string> | undefined): Record<string, string | null> | undefined {
  if (sameQuantities(a, b)) return undefined;
  const out: Record<string, string | null> = {};
  const [x, y] = [amountsOf(a), amountsOf(b)];
  for (const [k, v] of Object.entries(b ?? {})) if (!(k in (a ?? {})) || x.get(k) !== y.get(k)) out[k] = v;
  for (const k of Object.keys(a ?? {})) if (!(k in (b ?? {}))) out[k] = null;
  return out;
}

/**
 * The nodes/status patch from `original` to `node`: the status fields that differ, and the
 * labels and annotations that differ (a nodes/status patch may change metadata, as the kubelet's
 * does when it puts back the os and arch labels). Undefined when nothing differs.
 */
export function nodeStatusPatch(original: V1Node, node: V1Node): Record<string, unknown> | undefined {
  const a = original.status ?? {};
  const b = node.status ?? {};
  const s: Record<string, unknown> = {};
  const before = new Map((a.conditions ?? []).map((c) => [c.type, conditionKey(c, true)]));
  const conditions = (b.conditions ?? []).filter((c) => before.get(c.type) !== conditionKey(c, true));
  if (conditions.length) s.conditions = conditions;
  const capacity = quantityPatch(a.capacity, b.capacity);
  if (capacity) s.capacity = capacity;
  const allocatable = quantityPatch(a.allocatable, b.allocatable);
  if (allocatable) s.allocatable = allocatable;
  if (canonical(a.nodeInfo) !== canonical(b.nodeInfo)) {
    const info: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b.nodeInfo ?? {})) if ((a.nodeInfo as Record<string, unknown> | undefined)?.[k] !== v) info[k] = v;
    s.nodeInfo = info;
  }
  if (canonical(a.addresses) !== canonical(b.addresses)) {
    s.addresses = (a.addresses?.length ?? 0) > 0 ? [...(b.addresses ?? []), { $patch: 'replace' }] : b.addresses ?? [];
  }
  for (const k of ['images', 'daemonEndpoints'] as const) if (canonical(a[k]) !== canonical(b[k])) s[k] = b[k] ?? null;
  const metadata: Record<string, unknown> = {};
  for (const k of ['labels', 'annotations'] as const) {
    const m = mapPatch(original.metadata?.[k], node.metadata?.[k]);
    if (m) metadata[k] = m;
  }
  if (Object.keys(s).length === 0 && Object.keys(metadata).length === 0) return undefined;
  return { ...(Object.keys(metadata).length ? { metadata } : {}), ...(Object.keys(s).length ? { status: s } : {}) };
}

function mapPatch(a: Record<string, string> | undefined, b: Record<string, string> | undefined): Record<string, string | null> | undefined {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(b ?? {})) if (a?.[k] !== v) out[k] = v;
  for (const k of Object.keys(a ?? {})) if (!(k in (b ?? {}))) out[k] = null;
  return Object.keys(out).length ? out : undefined;
}
