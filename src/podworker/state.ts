// The per-pod worker state machine: syncing → terminating → terminated, as a typed union with a pure transition function.
//
// This mirrors the kubelet's podSyncStatus (pod_workers.go), but as one explicit value instead of
// flags (terminatingAt, terminatedAt, finished...). A pod only moves forward: once a UID has started
// terminating it never syncs again, so an edited manifest (a new UID) is a new pod.
import type { V1Pod } from '@kubernetes/client-node';

/** Why a pod is being torn down. */
export type TerminationReason =
  /** The pod was removed from its source (manifest deleted). */
  | 'deleted'
  /** The pod reached a terminal phase (Succeeded or Failed) and its sandbox is no longer needed. */
  | 'finished'
  /** The runtime has the pod but no source knows it (for example it vanished while the agent was down). */
  | 'orphaned';

export type PodWorkerState =
  /** Keep the runtime in line with the spec: start, restart, back off. */
  | { kind: 'syncing'; pod: V1Pod }
  /** Stop every container within gracePeriodSeconds, then the sandbox. */
  | { kind: 'terminating'; pod: V1Pod; reason: TerminationReason; gracePeriodSeconds: number }
  /** Nothing runs any more. `removed` says whether the runtime objects and pod dirs were removed too. */
  | { kind: 'terminated'; pod: V1Pod; reason: TerminationReason; removed: boolean };

/** What can happen to a worker. */
export type PodWorkerEvent =
  | { type: 'update'; pod: V1Pod }
  | { type: 'kill'; pod: V1Pod; reason: TerminationReason; gracePeriodSeconds?: number }
  | { type: 'synced'; terminal: boolean }
  | { type: 'terminatingDone' }
  | { type: 'removedDone' };

/** The pod's grace period: the deletion override, else spec.terminationGracePeriodSeconds, else 30 (API default). */
export function podGracePeriodSeconds(pod: V1Pod, override?: number): number {
  if (override !== undefined) return override;
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

/** Pure transition function; unknown combinations keep the current state. */
export function transition(state: PodWorkerState, event: PodWorkerEvent): PodWorkerState {
  switch (state.kind) {
    case 'syncing':
      if (event.type === 'update') return { kind: 'syncing', pod: event.pod };
      if (event.type === 'kill') {
        return {
          kind: 'terminating',
          pod: event.pod,
          reason: event.reason,
          gracePeriodSeconds: podGracePeriodSeconds(event.pod, event.gracePeriodSeconds),
        };
      }
      if (event.type === 'synced' && event.terminal) {
        return { kind: 'terminating', pod: state.pod, reason: 'finished', gracePeriodSeconds: podGracePeriodSeconds(state.pod) };
      }
      return state;
    case 'terminating':
      // A second kill may only shorten the grace period (kubelet: calculateEffectiveGracePeriod),
      // and a deletion outranks "finished" so that the pod's objects get removed afterwards.
      if (event.type === 'kill') {
        const grace = Math.min(state.gracePeriodSeconds, podGracePeriodSeconds(event.pod, event.gracePeriodSeconds));
        const reason = event.reason === 'deleted' ? 'deleted' : state.reason;
        return { ...state, reason, gracePeriodSeconds: grace };
      }
      if (event.type === 'terminatingDone') return { kind: 'terminated', pod: state.pod, reason: state.reason, removed: false };
      return state;
    case 'terminated':
      // A finished pod whose manifest is then deleted still needs its objects removed.
      if (event.type === 'kill' && event.reason === 'deleted' && state.reason !== 'deleted') {
        return { ...state, reason: 'deleted', removed: false };
      }
      if (event.type === 'removedDone') return { ...state, removed: true };
      return state;
  }
}

/** Does the worker still owe the runtime some work in this state? */
export function hasWork(state: PodWorkerState): boolean {
  if (state.kind === 'terminated') return state.reason !== 'finished' && !state.removed;
  return true;
}
