// Small questions about a Pod spec and its observed containers that several status modules ask.
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { ObservedContainer, ObservedPod } from '../runtime/types.js';

/** podutil.IsRestartableInitContainer: an init container with restartPolicy Always is a sidecar. */
export function isSidecar(container: V1Container): boolean {
  return container.restartPolicy === 'Always';
}

/** PodStatus.FindContainerStatusByName: the newest instance of a name (observed.containers is newest first). */
export function newestObserved(observed: ObservedPod | undefined, name: string): ObservedContainer | undefined {
  return observed?.containers.find((c) => c.name === name);
}

/**
 * podutil.ContainerShouldRestart: whether an exited container comes back. A container-level
 * restartPolicy (sidecars) wins over the pod's.
 */
export function containerShouldRestart(container: V1Container, spec: V1PodSpec | undefined, exitCode: number): boolean {
  if (container.restartPolicy) return container.restartPolicy === 'Always';
  const policy = spec?.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

/** kubecontainer.ShouldContainerBeRestarted: will the next sync (re)start this container? */
export function shouldContainerBeRestarted(container: V1Container, pod: V1Pod, observed: ObservedPod | undefined): boolean {
  // Once a pod has been marked deleted, nothing of it is restarted.
  if (pod.metadata?.deletionTimestamp) return false;
  const latest = newestObserved(observed, container.name);
  if (!latest) return true;
  if (latest.state === 'running') return false;
  if (latest.state === 'unknown' || latest.state === 'created') return true;
  return containerShouldRestart(container, pod.spec, latest.exitCode);
}

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
