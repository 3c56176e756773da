// The merged pod stream's message: what changed for which pods, from which source (kubelet: kubetypes.PodUpdate).
import type { V1Pod } from '@kubernetes/client-node';

/**
 * ADD: a new UID. UPDATE: same UID, spec/labels/annotations changed. DELETE: the UID is gone from
 * its source. RECONCILE: only the status changed (kubelet: kubetypes.RECONCILE).
 */
export type PodOperation = 'ADD' | 'UPDATE' | 'DELETE' | 'RECONCILE';

export interface PodUpdate {
  op: PodOperation;
  pods: V1Pod[];
  source: string;
}
