// Shared by the computePodStatus table tests: a fixed clock, a compute shorthand, and lookups into a status.
import type { V1ContainerStatus, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { computePodStatus, type StatusContext } from '../../src/status/compute.js';
import type { ContainerWaitingReason, ObservedPod } from '../../src/runtime/types.js';
import { T0 } from './observed-builders.js';

export const NOW = T0 + 120_000;

export function compute(pod: V1Pod, observed: ObservedPod | undefined, over: Partial<StatusContext> = {}): V1PodStatus {
  return computePodStatus(pod, observed, { now: NOW, hostIP: '192.168.1.10', waiting: new Map(), ...over });
}

export const waiting = (entries: Record<string, ContainerWaitingReason>) => new Map(Object.entries(entries));
export const cs = (s: V1PodStatus, name: string): V1ContainerStatus =>
  [...(s.containerStatuses ?? []), ...(s.initContainerStatuses ?? [])].find((c) => c.name === name)!;
export const cond = (s: V1PodStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

export interface Case {
  name: string;
  pod: V1Pod;
  observed: ObservedPod | undefined;
  ctx?: Partial<StatusContext>;
  check: (s: V1PodStatus) => void;
}
