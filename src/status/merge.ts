// The status the API gets, from the API's and ours (the kubelet's mergePodStatus), and a pod's final status (TerminatePod). Pure.
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import { isStaticPod } from '../config/annotations.js';
import { ContainerStatusUnknown, isTerminalPhase, KUBELET_CONDITIONS, PodCompleted, PodFailed } from './types.js';

const byKubelet = (type: string): boolean => (KUBELET_CONDITIONS as readonly string[]).includes(type);

/**
 * mergePodStatus: conditions the kubelet does not own (set by controllers, e.g. DisruptionTarget)
 * are kept from the API's status, followed by ours; the API's resourceClaimStatuses are kept; a
 * move to a terminal phase waits until nothing of the pod can run (the phase, reason and message
 * stay the API's meanwhile); a terminal phase never goes out with Ready or ContainersReady True.
 * `now` (Unix ms) is the transition time of a readiness condition turned False here.
 */
export function mergePodStatus(api: V1PodStatus, ours: V1PodStatus, couldHaveRunningContainers: boolean, now: number): V1PodStatus {
  const merged: V1PodStatus = { ...structuredClone(ours) };
  merged.conditions = [
    ...(api.conditions ?? []).filter((c) => !byKubelet(c.type)).map((c) => structuredClone(c)),
    ...(merged.conditions ?? []).filter((c) => byKubelet(c.type)),
  ];
  if (api.resourceClaimStatuses) merged.resourceClaimStatuses = structuredClone(api.resourceClaimStatuses);
  else delete merged.resourceClaimStatuses;
  if (!isTerminalPhase(api.phase) && isTerminalPhase(merged.phase) && couldHaveRunningContainers) {
    merged.phase = api.phase;
    setOrDelete(merged, 'reason', api.reason);
    setOrDelete(merged, 'message', api.message);
  }
  if (isTerminalPhase(merged.phase)) {
    const reason = merged.phase === 'Succeeded' ? PodCompleted : PodFailed;
    const ready = (type: string) => merged.conditions!.find((c) => c.type === type)?.status === 'True';
    if (ready('Ready') || ready('ContainersReady')) {
      updateCondition(merged, { type: 'ContainersReady', status: 'False', reason }, now);
      updateCondition(merged, { type: 'Ready', status: 'False', reason }, now);
    }
  }
  return merged;
}

function setOrDelete(s: V1PodStatus, key: 'reason' | 'message', value: string | undefined): void {
  if (value) s[key] = value;
  else delete s[key];
}

/** podutil.UpdatePodCondition: replace by type, with a new transition time only when the status flips. */
function updateCondition(s: V1PodStatus, c: V1PodCondition, now: number): void {
  const list = s.conditions!;
  const i = list.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? list[i] : undefined;
  const next: V1PodCondition = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : new Date(now) };
  if (old?.lastProbeTime) next.lastProbeTime = old.lastProbeTime;
  if (i >= 0) list[i] = next;
  else list.push(next);
}

const UNKNOWN_TERMINATED = {
  terminated: { reason: ContainerStatusUnknown, message: 'The container could not be located when the pod was terminated', exitCode: 137 },
};

/** hasPodInitialized: no init containers, a regular container that left waiting, or the last init container done (a sidecar: started). */
function hasPodInitialized(pod: V1Pod, status: V1PodStatus): boolean {
  if ((pod.spec?.initContainers ?? []).length === 0) return true;
  if ((status.containerStatuses ?? []).some((s) => s.lastState?.terminated || !s.state?.waiting)) return true;
  const last = status.initContainerStatuses?.at(-1);
  const spec = pod.spec?.initContainers?.find((c) => c.name === last?.name);
  if (!last || !spec) return false;
  if (spec.restartPolicy === 'Always') return last.state?.running !== undefined && last.started === true;
  return last.lastState?.terminated?.exitCode === 0 || last.state?.terminated?.exitCode === 0;
}

/** initializedContainers: the init statuses but a trailing run of ones that never started (at least the first). */
function initializedCount(statuses: V1ContainerStatus[]): number {
  for (let i = statuses.length - 1; i >= 0; i--) {
    if (!statuses[i]!.state?.waiting || statuses[i]!.lastState?.terminated) return i + 1;
  }
  return Math.min(1, statuses.length);
}

/**
 * TerminatePod: the status a pod ends with once nothing of it runs. A container with no terminated
 * state is reported as ContainerStatusUnknown (exit 137), as its end was not seen; a pod from the
 * API that is not yet Succeeded or Failed becomes Failed (static pods keep their phase, as the
 * kubelet's TODO kubernetes#116484 leaves them).
 */
export function terminatedStatus(pod: V1Pod, status: V1PodStatus): V1PodStatus {
  const s = structuredClone(status);
  if (hasPodInitialized(pod, s)) {
    for (const c of s.containerStatuses ?? []) if (!c.state?.terminated) c.state = structuredClone(UNKNOWN_TERMINATED);
  }
  const inits = s.initContainerStatuses ?? [];
  for (const c of inits.slice(0, initializedCount(inits))) if (!c.state?.terminated) c.state = structuredClone(UNKNOWN_TERMINATED);
  if (!isStaticPod(pod) && !isTerminalPhase(s.phase)) s.phase = 'Failed';
  return s;
}
