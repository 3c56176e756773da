// The inputs of the pure status computation, and the reason strings the kubelet writes into statuses.
import type { V1PodStatus } from '@kubernetes/client-node';
import type { ContainerWaitingReasons } from '../runtime/types.js';

export interface StatusContext {
  /** Unix ms: the time of this computation (new lastTransitionTimes, first startTime). */
  now: number;
  /** The node's IP, reported as hostIP/hostIPs (and as podIP for host-network pods). */
  hostIP: string;
  /** Why containers are not running, by container name: the kubelet's reasonCache. */
  waiting: ContainerWaitingReasons;
  /** The last status computed for this pod (the status manager's); falls back to pod.status. */
  previous?: V1PodStatus;
  /** Readiness probe results by CRI container id (no "containerd://" prefix). Absent: no result yet. */
  ready?: ReadonlyMap<string, boolean>;
  /** Startup probe results by CRI container id. Absent: no result yet. */
  started?: ReadonlyMap<string, boolean>;
  /** Messages read by readTerminationMessage, by CRI container id of exited containers. */
  terminationMessages?: ReadonlyMap<string, string>;
  /** The pod worker decided the pod is finished: its containers will not be restarted whatever the policy. */
  podTerminal?: boolean;
  /** The runtime's name in containerID URIs; "containerd" unless said otherwise. */
  runtimeType?: string;
}

/** Default waiting reasons (kubelet_pods.go). */
export const ContainerCreating = 'ContainerCreating';
export const PodInitializing = 'PodInitializing';
/** kubecontainer.ContainerReasonStatusUnknown: a container that vanished from the runtime. */
export const ContainerStatusUnknown = 'ContainerStatusUnknown';

/** Condition reasons (status/generate.go). */
export const UnknownContainerStatuses = 'UnknownContainerStatuses';
export const PodCompleted = 'PodCompleted';
export const PodFailed = 'PodFailed';
export const ContainersNotReady = 'ContainersNotReady';
export const ContainersNotInitialized = 'ContainersNotInitialized';
export const ReadinessGatesNotReady = 'ReadinessGatesNotReady';

/** The condition types the kubelet owns (kubetypes.PodConditionsByKubelet plus PodReadyToStartContainers). */
export const KUBELET_CONDITIONS = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
] as const;

export function isTerminalPhase(phase: string | undefined): phase is 'Succeeded' | 'Failed' {
  return phase === 'Succeeded' || phase === 'Failed';
}
