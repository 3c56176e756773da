// Diffs the previous merged pod set against the next, by UID, into ordered PodUpdates (kubelet: config.go checkAndUpdatePod).
import type { V1Pod } from '@kubernetes/client-node';
import { CONFIG_FIRST_SEEN_ANNOTATION, LOCAL_ANNOTATIONS } from '../config/annotations.js';
import { canonicalJSON } from '../config/identity.js';
import type { PodOperation, PodUpdate } from './types.js';

export interface Admitted {
  pod: V1Pod;
  source: string;
}

const same = (a: unknown, b: unknown) => canonicalJSON(a ?? null) === canonicalJSON(b ?? null);

/** isAnnotationMapEqual: annotations other than the local ones (source, seen, ...) must match. */
function semanticAnnotations(pod: V1Pod): Record<string, string> {
  const out = { ...pod.metadata?.annotations };
  for (const k of LOCAL_ANNOTATIONS) delete out[k];
  return out;
}

/** podsDifferSemantically: spec, labels, deletion fields and non-local annotations. */
function differSemantically(a: V1Pod, b: V1Pod): boolean {
  return !(
    same(a.spec, b.spec) &&
    same(a.metadata?.labels, b.metadata?.labels) &&
    same(a.metadata?.deletionTimestamp, b.metadata?.deletionTimestamp) &&
    same(a.metadata?.deletionGracePeriodSeconds, b.metadata?.deletionGracePeriodSeconds) &&
    same(semanticAnnotations(a), semanticAnnotations(b))
  );
}

function withSeen(pod: V1Pod, seen: string | undefined): V1Pod {
  if (seen === undefined) return pod;
  pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [CONFIG_FIRST_SEEN_ANNOTATION]: seen } };
  return pod;
}

/** Emission order, as the kubelet's Merge sends them: gone pods first, so a name is free before its new owner starts. */
const OP_ORDER: readonly PodOperation[] = ['DELETE', 'ADD', 'UPDATE', 'RECONCILE'];

/**
 * ADD: new UID (recordFirstSeenTime stamps config.seen if the source did not). UPDATE: same UID and
 * a semantic change (config.seen kept from the first sighting). DELETE: UID gone, or a newly set
 * deletionTimestamp (a graceful delete). RECONCILE: only the status changed. Mutates the next pods'
 * seen annotation; groups by op then source, pods in merge order.
 */
export function diffPods(prev: Map<string, Admitted>, next: Map<string, Admitted>, nowMs: number): PodUpdate[] {
  const found: Array<{ op: PodOperation; source: string; pod: V1Pod }> = [];
  for (const [uid, old] of prev) if (!next.has(uid)) found.push({ op: 'DELETE', source: old.source, pod: old.pod });
  for (const [uid, cur] of next) {
    const old = prev.get(uid);
    if (!old) {
      withSeen(cur.pod, cur.pod.metadata?.annotations?.[CONFIG_FIRST_SEEN_ANNOTATION] ?? new Date(nowMs).toISOString());
      found.push({ op: 'ADD', source: cur.source, pod: cur.pod });
      continue;
    }
    // The very copy admitted last time: its source handed on the same, unchanged object.
    if (cur.pod === old.pod) continue;
    withSeen(cur.pod, old.pod.metadata?.annotations?.[CONFIG_FIRST_SEEN_ANNOTATION]);
    if (differSemantically(old.pod, cur.pod)) {
      const gracefulDelete = cur.pod.metadata?.deletionTimestamp !== undefined;
      found.push({ op: gracefulDelete ? 'DELETE' : 'UPDATE', source: cur.source, pod: cur.pod });
    } else if (!same(old.pod.status, cur.pod.status)) {
      found.push({ op: 'RECONCILE', source: cur.source, pod: cur.pod });
    }
  }
  const sources = [...new Set([...[...prev.values()].map((a) => a.source), ...[...next.values()].map((a) => a.source)])];
  const updates: PodUpdate[] = [];
  for (const op of OP_ORDER) {
    for (const source of sources) {
      const pods = found.filter((f) => f.op === op && f.source === source).map((f) => f.pod);
      if (pods.length > 0) updates.push({ op, pods, source });
    }
  }
  return updates;
}
