// The pure planner: from a Pod spec and what the runtime reports, what one sync must do (the kubelet's computePodActions).
import type { V1Pod } from '@kubernetes/client-node';
import type { BackOff } from './backoff.js';
import type { PodActions } from './actions.js';
import type { ObservedPod } from '../runtime/types.js';

export interface UnhealthyContainer {
  reason: string;
  message: string;
}

export interface PlanContext {
  /** Unix ms. */
  now: number;
  /** Read-only view of the crash-loop back-off; the executor calls next() when it restarts. */
  crashLoopBackOff: Pick<BackOff, 'isInBackOffSince' | 'get'>;
  /** Containers (by container id) that a liveness or startup probe found failing. */
  unhealthy?: ReadonlyMap<string, UnhealthyContainer>;
}

export function computePodActions(pod: V1Pod, observed: ObservedPod | undefined, ctx: PlanContext): PodActions {
  void pod;
  void observed;
  void ctx;
  throw new Error('computePodActions: not implemented yet');
}
