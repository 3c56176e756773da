// Small questions about a Pod spec and its observed containers that several status modules ask.
import type { V1Pod } from '@kubernetes/client-node';
import { newestContainer as newestObserved } from '../runtime/restart-policy.js';
import type { ObservedPod } from '../runtime/types.js';

export { containerShouldRestart, isSidecar, shouldContainerBeRestarted } from '../runtime/restart-policy.js';
export { newestObserved };

/** kuberuntime.HasAnyRegularContainerCreated: some regular container exists in the runtime at all. */
export function hasAnyRegularContainerCreated(pod: V1Pod, observed: ObservedPod | undefined): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const s = newestObserved(observed, c.name);
    return s !== undefined && s.state !== 'unknown';
  });
}

/**
 * kubecontainer.HasAnyActiveRegularContainerStarted: a regular container exists in the newest
 * sandbox, so the pod got past its init containers in that sandbox.
 */
export function hasAnyActiveRegularContainerStarted(pod: V1Pod, observed: ObservedPod | undefined): boolean {
  const sandbox = observed?.sandboxes[0];
  if (!sandbox) return false;
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return observed!.containers.some((c) => c.sandboxId === sandbox.id && names.has(c.name));
}

/** A V1 time field as a Date: client-node gives Dates, but hand-built or YAML statuses may carry strings. */
export function asDate(t: Date | string | undefined): Date | undefined {
  if (t === undefined || t === null) return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Unix ms from the runtime as a Date; 0 means "not reached" and gives no time at all. */
export function msToDate(ms: number): Date | undefined {
  return ms > 0 ? new Date(ms) : undefined;
}
