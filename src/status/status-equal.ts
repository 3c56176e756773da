// Normalizing and comparing pod statuses, so the manager publishes only real changes (status_manager normalizeStatus, isPodStatusByKubeletEqual).
import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { truncate } from '../bounded.js';
import { asDate } from './spec.js';

/** kubecontainer.MaxPodTerminationMessageLogLength: all termination messages of a pod share 12 KiB. */
const MAX_POD_TERMINATION_MESSAGE_BYTES = 1024 * 12;

/** metav1.Time.Rfc3339Copy: the API keeps whole seconds, so finer differences are no change. */
function toSeconds(t: Date | string | undefined): Date | undefined {
  const d = asDate(t);
  return d ? new Date(Math.floor(d.getTime() / 1000) * 1000) : undefined;
}

function normalizeState(state: V1ContainerState | undefined, bytesPerStatus: number): void {
  if (state?.waiting?.message) state.waiting.message = truncate(state.waiting.message);
  if (state?.running?.startedAt) state.running.startedAt = toSeconds(state.running.startedAt);
  const t = state?.terminated;
  if (!t) return;
  if (t.startedAt) t.startedAt = toSeconds(t.startedAt);
  if (t.finishedAt) t.finishedAt = toSeconds(t.finishedAt);
  if (t.message && Buffer.byteLength(t.message) > bytesPerStatus) {
    t.message = Buffer.from(t.message).subarray(0, bytesPerStatus).toString('utf8');
  }
}

/**
 * normalizeStatus: times to whole seconds, termination messages cut to their share. Mutates status.
 * Not the kubelet's: the pod's, the conditions' and the waiting messages are cut at
 * MAX_MESSAGE_CHARS, as the scheduler's truncateMessage cuts the condition messages it writes;
 * they quote runtime errors and spec values (an image name) and are served and logged.
 */
export function normalizeStatus(pod: V1Pod, status: V1PodStatus): V1PodStatus {
  const containers = (pod.spec?.containers?.length ?? 0) + (pod.spec?.initContainers?.length ?? 0);
  const bytesPerStatus = containers > 0 ? Math.floor(MAX_POD_TERMINATION_MESSAGE_BYTES / containers) : MAX_POD_TERMINATION_MESSAGE_BYTES;
  if (status.startTime) status.startTime = toSeconds(status.startTime);
  if (status.message) status.message = truncate(status.message);
  for (const c of status.conditions ?? []) {
    if (c.lastProbeTime) c.lastProbeTime = toSeconds(c.lastProbeTime);
    if (c.lastTransitionTime) c.lastTransitionTime = toSeconds(c.lastTransitionTime);
    if (c.message) c.message = truncate(c.message);
  }
  for (const s of [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])]) {
    normalizeState(s.state, bytesPerStatus);
    normalizeState(s.lastState, bytesPerStatus);
  }
  return status;
}

/**
 * apimachinery's semantic DeepEqual, for JSON-like values: Dates by instant, and an absent key
 * equal to an undefined one, an empty string or an empty list.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Go has no "absent": a missing string is "", a missing list is empty.
  const empty = (v: unknown): boolean =>
    v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
  if (empty(a) && empty(b)) return true;
  if (a instanceof Date || b instanceof Date) {
    const da = asDate(a as Date | string);
    const db = asDate(b as Date | string);
    return da !== undefined && db !== undefined && da.getTime() === db.getTime();
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => semanticEqual(x, bb[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!semanticEqual(ra[k], rb[k])) return false;
  return true;
}

const byName = (list: V1ContainerStatus[] | undefined): V1ContainerStatus[] =>
  [...(list ?? [])].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));

/**
 * isPodStatusByKubeletEqual: conditions compared by type, status, reason and message (not their
 * times, not their order); container statuses in any order; everything else deeply.
 */
export function isPodStatusEqual(a: V1PodStatus, b: V1PodStatus): boolean {
  const conds = (s: V1PodStatus) => new Map((s.conditions ?? []).map((c) => [c.type, c] as const));
  const ca = conds(a);
  const cb = conds(b);
  if (ca.size !== cb.size) return false;
  for (const [type, x] of ca) {
    const y = cb.get(type);
    if (!y || x.status !== y.status || (x.reason ?? '') !== (y.reason ?? '') || (x.message ?? '') !== (y.message ?? '')) {
      return false;
    }
  }
  const rest = (s: V1PodStatus) => ({
    ...s,
    conditions: undefined,
    containerStatuses: byName(s.containerStatuses),
    initContainerStatuses: byName(s.initContainerStatuses),
  });
  return semanticEqual(rest(a), rest(b));
}
