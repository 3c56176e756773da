// The pod's API status from its spec and what the runtime reports: pure, as the kubelet's generateAPIPodStatus.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { ObservedPod } from '../runtime/types.js';
import { generateConditions } from './conditions.js';
import { convertToAPIContainerStatuses } from './container-statuses.js';
import { getPhase } from './phase.js';
import { applyProbeResults } from './probe-results.js';
import { getPodQOS } from './qos.js';
import { asDate, hasAnyActiveRegularContainerStarted } from './spec.js';
import { isTerminalPhase, type StatusContext } from './types.js';

export type { StatusContext } from './types.js';

/** The pod IPs: from the newest sandbox, only while it is ready (kuberuntime GetPodStatus). */
function podIPs(pod: V1Pod, observed: ObservedPod | undefined, hostIP: string): string[] {
  const newest = observed?.sandboxes[0];
  const ips = newest?.state === 'ready' ? (newest.ips.length ? newest.ips : newest.ip ? [newest.ip] : []) : [];
  // Host-network pods have the node's address.
  if (ips.length === 0 && pod.spec?.hostNetwork && hostIP) return [hostIP];
  return ips;
}

/** kubelet generateAPIPodStatus (with convertStatusToAPIStatus and the prober's UpdatePodStatus). */
export function computePodStatus(pod: V1Pod, observed: ObservedPod | undefined, ctx: StatusContext): V1PodStatus {
  const previous = ctx.previous ?? pod.status;
  const runtimeType = ctx.runtimeType ?? 'containerd';
  const common = { pod, observed, waiting: ctx.waiting, terminationMessages: ctx.terminationMessages, runtimeType };
  const containerStatuses = convertToAPIContainerStatuses({
    ...common,
    previous: previous?.containerStatuses,
    containers: pod.spec?.containers ?? [],
    isInit: false,
  });
  const initContainerStatuses = convertToAPIContainerStatuses({
    ...common,
    previous: previous?.initContainerStatuses,
    containers: pod.spec?.initContainers ?? [],
    isInit: true,
  });
  // Probe results go in before the phase, so a sidecar's startup decides this very phase.
  applyProbeResults(pod, containerStatuses, initContainerStatuses, { ready: ctx.ready, started: ctx.started });

  const all = [...containerStatuses, ...initContainerStatuses];
  let phase = getPhase(pod, all, ctx.podTerminal === true, hasAnyActiveRegularContainerStarted(pod, observed));
  // A pod never leaves Succeeded or Failed, whichever of our status or the source's said so first.
  if (!isTerminalPhase(phase)) {
    if (isTerminalPhase(previous?.phase)) phase = previous.phase;
    else if (isTerminalPhase(pod.status?.phase)) phase = pod.status.phase;
  }
  if (isTerminalPhase(pod.status?.phase)) phase = pod.status.phase;

  const status: V1PodStatus = { phase };
  // The reason and message belong to the phase: kept while it stays the same.
  if (phase === previous?.phase) {
    const reason = previous.reason || pod.status?.reason;
    const message = previous.message || pod.status?.message;
    if (reason) status.reason = reason;
    if (message) status.message = message;
  }
  status.conditions = generateConditions({
    pod,
    observed,
    statuses: [...initContainerStatuses, ...containerStatuses],
    phase,
    previous,
    now: ctx.now,
  });
  if (ctx.hostIP) {
    status.hostIP = ctx.hostIP;
    status.hostIPs = [{ ip: ctx.hostIP }];
  }
  const ips = podIPs(pod, observed, ctx.hostIP);
  if (ips.length) {
    status.podIP = ips[0];
    status.podIPs = ips.map((ip) => ({ ip }));
  }
  // The first time the agent saw the pod, kept across updates.
  status.startTime = asDate(previous?.startTime) ?? new Date(ctx.now);
  if (initContainerStatuses.length) status.initContainerStatuses = initContainerStatuses;
  status.containerStatuses = containerStatuses;
  status.qosClass = getPodQOS(pod);
  return status;
}
