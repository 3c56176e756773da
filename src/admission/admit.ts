// admitPod: the kubelet's canAdmitPod over its admit handlers, in the kubelet's order; the first rejection wins. Pure.
//
// The kubelet registers (NewMainKubelet): the eviction manager's handler, the sysctl allowlist,
// the container manager's resource allocator, the predicate handler, the node-shutdown handler.
// mini-kubelet has no eviction manager, no CPU/device/topology managers and no graceful node
// shutdown, so two remain: sysctls, then predicates.
import type { V1Pod } from '@kubernetes/client-node';
import { admitPredicates } from './predicates.js';
import { admitSysctls } from './sysctls.js';
import { ADMIT, type AdmitHandler, type AdmitResult, type AdmissionNode } from './types.js';

export const ADMIT_HANDLERS: readonly AdmitHandler[] = [
  (pod, _others, node) => admitSysctls(pod, node.sysctls),
  admitPredicates,
];

/** canAdmitPod: `activePods` are the admitted pods that still hold their resources; `pod` itself is left out of them. */
export function admitPod(pod: V1Pod, activePods: readonly V1Pod[], node: AdmissionNode): AdmitResult {
  const uid = pod.metadata?.uid;
  const others = activePods.filter((p) => p.metadata?.uid !== uid);
  for (const handler of ADMIT_HANDLERS) {
    const result = handler(pod, others, node);
    if (!result.admit) return result;
  }
  return ADMIT;
}
