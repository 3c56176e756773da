// Does the pod fit the node's allocatable resources next to the admitted pods (the scheduler's noderesources.Fits, as the kubelet runs it), pure.
import type { V1Pod } from '@kubernetes/client-node';
import { isExtendedResourceName, podResource, type PodResource } from './requests.js';
import type { AdmissionNode } from './types.js';

/** noderesources.InsufficientResource: what ran out (pods, cpu, memory, ephemeral-storage, hugepages-2Mi, ...), in millicores, bytes, pods or counts. */
export interface InsufficientResource {
  resourceName: string;
  requested: number;
  used: number;
  capacity: number;
}

/**
 * InsufficientResourceError.GetInsufficientAmount: how much more the node would need, in the
 * resource's unit (requested minus what is left), what preemption would have to free.
 */
export function insufficientAmount(r: InsufficientResource): number {
  return r.requested - (r.capacity - r.used);
}

/** NodeInfo.Requested: the sum of every admitted pod's requests. */
function requestedBy(pods: readonly V1Pod[]): PodResource {
  const used: PodResource = { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalarResources: {} };
  for (const p of pods) {
    const r = podResource(p);
    used.milliCPU += r.milliCPU;
    used.memory += r.memory;
    used.ephemeralStorage += r.ephemeralStorage;
    for (const [name, v] of Object.entries(r.scalarResources)) used.scalarResources[name] = (used.scalarResources[name] ?? 0) + v;
  }
  return used;
}

/**
 * fitsRequest: one more pod must fit under --max-pods, and each positive request (cpu, memory,
 * ephemeral-storage, then every scalar resource) under allocatable minus what the other pods
 * request (requests only: limits and actual usage do not count). A scalar the node does not list
 * has an allocatable of 0: a hugepages size the kernel lacks never fits. Extended resources the
 * node does not list are dropped from the pod first (predicate.go removeMissingExtendedResources:
 * they may be cluster-level; the kubelet's own comment concedes a static pod asking for a missing
 * node-level one is admitted). A pod that requests nothing only needs a pod slot. In the kubelet's
 * order, except that scalars go by name where the kubelet walks a Go map (no fixed order).
 */
export function fitsResources(pod: V1Pod, others: readonly V1Pod[], node: AdmissionNode): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  if (others.length + 1 > alloc.pods) out.push({ resourceName: 'pods', requested: 1, used: others.length, capacity: alloc.pods });
  const want = podResource(pod, (name) => !isExtendedResourceName(name) || Object.hasOwn(alloc.scalarResources, name));
  const scalars = Object.entries(want.scalarResources).filter(([, v]) => v > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (want.milliCPU === 0 && want.memory === 0 && want.ephemeralStorage === 0 && scalars.length === 0) return out;
  const used = requestedBy(others);
  const check = (resourceName: string, requested: number, usedBy: number, capacity: number) => {
    if (requested > 0 && requested > capacity - usedBy) out.push({ resourceName, requested, used: usedBy, capacity });
  };
  check('cpu', want.milliCPU, used.milliCPU, alloc.milliCPU);
  check('memory', want.memory, used.memory, alloc.memory);
  check('ephemeral-storage', want.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage);
  for (const [name, requested] of scalars) check(name, requested, used.scalarResources[name] ?? 0, alloc.scalarResources[name] ?? 0);
  return out;
}
