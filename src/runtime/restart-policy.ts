// The restart rules shared by the planner, the status and the log follower: kubecontainer.ShouldContainerBeRestarted and podutil's helpers.
//
// One place for the rule: the planner decides restarts with it and the status predicts them
// (CrashLoopBackOff vs Terminated) with the same function, so the two can never disagree.
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { ObservedContainer, ObservedPod } from './types.js';

/** podutil.IsRestartableInitContainer: an init container with restartPolicy Always is a sidecar. */
export function isSidecar(container: V1Container): boolean {
  return container.restartPolicy === 'Always';
}

/** PodStatus.FindContainerStatusByName: the newest instance of a name (observed.containers is newest first). */
export function newestContainer(observed: ObservedPod | undefined, name: string): ObservedContainer | undefined {
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

/**
 * kubecontainer.ShouldContainerBeRestarted: will the next sync (re)start this container? A
 * container that never ran, or was only created, or is in an unknown state, is (re)started; a
 * sidecar restarts whatever the pod's restartPolicy says.
 */
export function shouldContainerBeRestarted(container: V1Container, pod: V1Pod, observed: ObservedPod | undefined): boolean {
  // Once a pod has been marked deleted, nothing of it is restarted.
  if (pod.metadata?.deletionTimestamp) return false;
  const latest = newestContainer(observed, container.name);
  if (!latest) return true;
  if (latest.state === 'running') return false;
  if (latest.state === 'unknown' || latest.state === 'created') return true;
  return containerShouldRestart(container, pod.spec, latest.exitCode);
}
