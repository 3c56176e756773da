// The planner's working notes (starts and kills being collected) and the crash-loop back-off split (the kubelet's doBackOff).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerInBackOff, ContainerKind, ContainerToKill, ContainerToStart } from './actions.js';
import type { ObservedContainer, ObservedPod } from '../runtime/types.js';
import type { BackOff } from './backoff.js';
import { crashLoopKey } from './backoff.js';
import { hashContainer } from './translate/hash.js';

export interface DraftStart {
  container: V1Container;
  kind: ContainerKind;
  reason: string;
}

/** What one planning pass has decided so far; turned into PodActions at the end. */
export interface Draft {
  killPod: boolean;
  killPodReason: string;
  kills: ContainerToKill[];
  /** Init and sidecar containers, in spec order once sorted. */
  initStarts: DraftStart[];
  regularStarts: DraftStart[];
}

export function newDraft(): Draft {
  return { killPod: false, killPodReason: '', kills: [], initStarts: [], regularStarts: [] };
}

/** podutil.IsRestartableInitContainer: an init container with restartPolicy Always is a sidecar. */
export function initKind(container: V1Container): ContainerKind {
  return container.restartPolicy === 'Always' ? 'sidecar' : 'init';
}

/** PodStatus.FindContainerStatusByName: the newest instance (observed.containers is newest first). */
export function newest(observed: ObservedPod | undefined, name: string): ObservedContainer | undefined {
  return observed?.containers.find((c) => c.name === name);
}

/** podutil.FormatPod: name_namespace(uid), as kubelet messages spell a pod. */
export function formatPod(pod: V1Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/** time.Duration.String for the delays back-off produces: "10s", "1m20s", "5m0s", "1.5s", "500ms". */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = Number((totalSeconds % 60).toFixed(3));
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export interface SplitResult {
  containersToStart: ContainerToStart[];
  containersInBackOff: ContainerInBackOff[];
}

/**
 * The kubelet's doBackOff, decided ahead of time: a container whose newest EXITED instance
 * finished less than the current delay ago waits (CrashLoopBackOff); any other start goes ahead,
 * carrying the key and finishedAt so the executor can call next() as doBackOff does. A container
 * that never exited has no back-off at all, and so the first restart after a first exit is immediate.
 */
export function splitByBackOff(
  pod: V1Pod,
  observed: ObservedPod | undefined,
  backOff: Pick<BackOff, 'isInBackOffSince' | 'get'>,
  starts: DraftStart[],
): SplitResult {
  const out: SplitResult = { containersToStart: [], containersInBackOff: [] };
  for (const s of starts) {
    const name = s.container.name;
    const prior = newest(observed, name);
    // A newest instance that was created but never started (a CreateContainer that timed out but
    // did succeed, or an agent killed between create and start) is started as it is, with the
    // same restartCount, rather than created a second time (kubernetes#139670).
    const sandbox = observed?.sandboxes[0];
    if (prior?.state === 'created' && sandbox?.state === 'ready' && prior.sandboxId === sandbox.id) {
      out.containersToStart.push({ name, kind: s.kind, restartCount: prior.restartCount, reason: 'created but never started' });
      continue;
    }
    const restartCount = prior ? prior.restartCount + 1 : 0;
    const lastExited = observed?.containers.find((c) => c.name === name && c.state === 'exited');
    if (!lastExited) {
      out.containersToStart.push({ name, kind: s.kind, restartCount, reason: s.reason });
      continue;
    }
    const key = crashLoopKey(pod, name, hashContainer(s.container));
    if (backOff.isInBackOffSince(key, lastExited.finishedAt)) {
      const delay = backOff.get(key);
      out.containersInBackOff.push({
        name,
        kind: s.kind,
        until: lastExited.finishedAt + delay,
        message: `back-off ${goDuration(delay)} restarting failed container=${name} pod=${formatPod(pod)}`,
      });
      continue;
    }
    out.containersToStart.push({
      name,
      kind: s.kind,
      restartCount,
      reason: s.reason,
      backOff: { key, eventTime: lastExited.finishedAt },
    });
  }
  return out;
}
