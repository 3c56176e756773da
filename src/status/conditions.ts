// The kubelet-owned pod conditions and their lastTransitionTimes (the kubelet's status/generate.go).
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import type { ObservedPod } from '../runtime/types.js';
import type { PodPhase } from './phase.js';
import { asDate, isSidecar } from './spec.js';
import {
  ContainersNotInitialized,
  ContainersNotReady,
  KUBELET_CONDITIONS,
  PodCompleted,
  PodFailed,
  ReadinessGatesNotReady,
  UnknownContainerStatuses,
} from './types.js';

type Condition = Omit<V1PodCondition, 'lastTransitionTime'>;

/** Go prints a []string with %s as "[a b]"; the kubelet's messages carry that form. */
const goList = (names: string[]): string => `[${names.join(' ')}]`;

function condition(type: string, status: 'True' | 'False', reason?: string, message?: string): Condition {
  const c: Condition = { type, status };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/**
 * GeneratePodReadyToStartContainersCondition: True when no new sandbox is needed, i.e. the newest
 * sandbox is the only ready one, is in the right network namespace and has networking
 * (runtimeutil.PodSandboxChanged is false).
 */
export function podReadyToStartContainers(pod: V1Pod, observed: ObservedPod | undefined): Condition {
  const sandboxes = observed?.sandboxes ?? [];
  const newest = sandboxes[0];
  const hostNetwork = pod.spec?.hostNetwork === true;
  const ok =
    newest !== undefined &&
    sandboxes.filter((s) => s.state === 'ready').length === 1 &&
    newest.state === 'ready' &&
    newest.hostNetwork === hostNetwork &&
    (hostNetwork || newest.ip !== '');
  return condition('PodReadyToStartContainers', ok ? 'True' : 'False');
}

/** kubecontainer.HasAnyRegularContainerStarted: some regular container is running or has run. */
function hasAnyRegularContainerStarted(pod: V1Pod, statuses: V1ContainerStatus[]): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (s.state?.running || s.state?.terminated));
}

/** GeneratePodInitializedCondition. */
export function podInitialized(pod: V1Pod, statuses: V1ContainerStatus[], phase: PodPhase): Condition {
  const inits = pod.spec?.initContainers ?? [];
  if (statuses.length === 0 && inits.length > 0) return condition('Initialized', 'False', UnknownContainerStatuses);
  const byName = new Map(statuses.map((s) => [s.name, s] as const));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    // isInitContainerInitialized: a sidecar once started, a regular init container once it succeeded.
    else if (isSidecar(c) ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('Initialized', 'True', PodCompleted);
  // A regular container has run, so the pod was initialized even if a sidecar is restarting now.
  if (hasAnyRegularContainerStarted(pod, statuses)) return condition('Initialized', 'True');
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length) return condition('Initialized', 'False', ContainersNotInitialized, messages.join(', '));
  return condition('Initialized', 'True');
}

/** GenerateContainersReadyCondition: sidecars and regular containers all ready. */
export function containersReady(pod: V1Pod, statuses: V1ContainerStatus[], phase: PodPhase): Condition {
  if (statuses.length === 0) return condition('ContainersReady', 'False', UnknownContainerStatuses);
  const byName = new Map(statuses.map((s) => [s.name, s] as const));
  const unknown: string[] = [];
  const unready: string[] = [];
  const relevant = [...(pod.spec?.initContainers ?? []).filter(isSidecar), ...(pod.spec?.containers ?? [])];
  for (const c of relevant) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('ContainersReady', 'False', PodCompleted);
  // A failed pod's containers may still be terminating: never ready.
  if (phase === 'Failed') return condition('ContainersReady', 'False', PodFailed);
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length) return condition('ContainersReady', 'False', ContainersNotReady, messages.join(', '));
  return condition('ContainersReady', 'True');
}

/** GeneratePodReadyCondition: ContainersReady, and every readiness gate's condition True. */
export function podReady(containersReadyCond: Condition, pod: V1Pod, conditions: Condition[]): Condition {
  if (containersReadyCond.status !== 'True') {
    return condition('Ready', containersReadyCond.status as 'False', containersReadyCond.reason, containersReadyCond.message);
  }
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') {
      messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
    }
  }
  if (messages.length) return condition('Ready', 'False', ReadinessGatesNotReady, messages.join(', '));
  return condition('Ready', 'True');
}

/**
 * status.NeedToReconcilePodReadiness: the pod has readiness gates and the Ready condition its
 * API status carries is not what its own conditions (a gate a controller set) now give.
 */
export function needToReconcilePodReadiness(pod: V1Pod): boolean {
  if (!pod.spec?.readinessGates?.length) return false;
  const status = pod.status ?? {};
  const current = status.conditions?.find((c) => c.type === 'Ready');
  if (!current) return false;
  const statuses = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  const expected = podReady(containersReady(pod, statuses, (status.phase ?? 'Pending') as PodPhase), pod, status.conditions ?? []);
  return current.status !== expected.status || (current.message ?? '') !== (expected.message ?? '');
}

/**
 * status_manager updateLastTransitionTime: a condition whose status did not change keeps the old
 * time; a new or flipped one gets now.
 */
export function withTransitionTime(c: Condition, previous: V1PodCondition[] | undefined, now: number): V1PodCondition {
  const old = previous?.find((p) => p.type === c.type);
  const kept = old && old.status === c.status ? asDate(old.lastTransitionTime) : undefined;
  return { ...c, lastTransitionTime: kept ?? new Date(now) };
}

export interface ConditionInput {
  pod: V1Pod;
  observed: ObservedPod | undefined;
  /** Init and regular statuses together. */
  statuses: V1ContainerStatus[];
  phase: PodPhase;
  previous: V1PodStatus | undefined;
  now: number;
}

/**
 * generateAPIPodStatus's conditions, in the kubelet's order: the ones it does not own (kept from
 * pod.status, plus DisruptionTarget from the previous status), then PodReadyToStartContainers,
 * Initialized, Ready, ContainersReady, PodScheduled.
 */
export function generateConditions(input: ConditionInput): V1PodCondition[] {
  const { pod, statuses, phase, previous, now } = input;
  const owned = new Set<string>(KUBELET_CONDITIONS);
  const out: V1PodCondition[] = (pod.status?.conditions ?? []).filter((c) => !owned.has(c.type)).map((c) => ({ ...c }));
  const disruption = previous?.conditions?.find((c) => c.type === 'DisruptionTarget');
  if (disruption) {
    const i = out.findIndex((c) => c.type === 'DisruptionTarget');
    if (i >= 0) out[i] = { ...disruption };
    else out.push({ ...disruption });
  }
  const stamp = (c: Condition): V1PodCondition => withTransitionTime(c, previous?.conditions, now);
  out.push(stamp(podReadyToStartContainers(pod, input.observed)));
  out.push(stamp(podInitialized(pod, statuses, phase)));
  const ready = containersReady(pod, statuses, phase);
  out.push(stamp(podReady(ready, pod, out)));
  out.push(stamp(ready));
  out.push(stamp(condition('PodScheduled', 'True')));
  return out;
}
