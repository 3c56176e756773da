// spec.activeDeadlineSeconds: when a pod has been active longer, it is failed and killed (the kubelet's activeDeadlineHandler).
import type { V1Pod } from '@kubernetes/client-node';

export const DEADLINE_EXCEEDED_REASON = 'DeadlineExceeded';
export const DEADLINE_EXCEEDED_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/**
 * Unix ms when the pod's active deadline runs out: status.startTime plus activeDeadlineSeconds.
 * Undefined when the pod has no deadline or has not started yet (kubelet: pastActiveDeadline).
 */
export function activeDeadlineAt(pod: V1Pod, startTime: Date | string | undefined): number | undefined {
  const seconds = pod.spec?.activeDeadlineSeconds;
  if (seconds === undefined || seconds === null || startTime === undefined) return undefined;
  const start = new Date(startTime).getTime();
  return Number.isFinite(start) ? start + seconds * 1000 : undefined;
}
