// Does the pod fit the node's allocatable pods, cpu and memory next to the admitted pods (the scheduler's noderesources.Fits, as the kubelet runs it), pure.
import type { V1Pod } from '@kubernetes/client-node';
import { podResource } from './requests.js';
import type { AdmissionNode } from './types.js';

/** noderesources.InsufficientResource: what ran out, in millicores, bytes or pods. */
export interface InsufficientResource {
  resourceName: 'pods' | 'cpu' | 'memory';
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

/**
 * fitsRequest: one more pod must fit under --max-pods, and a positive cpu or memory request
 * under allocatable minus what the other pods request (requests only: limits and actual usage
 * do not count). A pod that requests nothing only needs a pod slot. In the kubelet's order.
 */
export function fitsResources(pod: V1Pod, others: readonly V1Pod[], node: AdmissionNode): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  if (others.length + 1 > alloc.pods) out.push({ resourceName: 'pods', requested: 1, used: others.length, capacity: alloc.pods });
  const want = podResource(pod);
  if (want.milliCPU === 0 && want.memory === 0) return out;
  // NodeInfo.Requested: the sum of every admitted pod's requests.
  const used = { milliCPU: 0, memory: 0 };
  for (const p of others) {
    const r = podResource(p);
    used.milliCPU += r.milliCPU;
    used.memory += r.memory;
  }
  if (want.milliCPU > 0 && want.milliCPU > alloc.milliCPU - used.milliCPU) {
    out.push({ resourceName: 'cpu', requested: want.milliCPU, used: used.milliCPU, capacity: alloc.milliCPU });
  }
  if (want.memory > 0 && want.memory > alloc.memory - used.memory) {
    out.push({ resourceName: 'memory', requested: want.memory, used: used.memory, capacity: alloc.memory });
  }
  return out;
}
