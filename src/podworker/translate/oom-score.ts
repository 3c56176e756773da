// A container's oom_score_adj from its pod's QoS class (the kubelet's qos.GetContainerOOMScoreAdjust), pure.
//
// The runtime may not be allowed to set every value: containerd with restrict_oom_score_adj (as on
// the dev runtime, which lacks CAP_SYS_RESOURCE) raises anything below its own score to its own.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { isStaticPod } from '../../config/annotations.js';
import { getPodQOS } from '../../status/qos.js';
import { value } from './quantity.js';

/** pkg/kubelet/qos/policy.go */
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BESTEFFORT_OOM_SCORE_ADJ = 1000;
const SYSTEM_NODE_CRITICAL = 'system-node-critical';

/** types.IsNodeCriticalPod: a critical pod (every static pod is one) of priority class system-node-critical. */
function isNodeCriticalPod(pod: V1Pod): boolean {
  return isStaticPod(pod) && pod.spec?.priorityClassName === SYSTEM_NODE_CRITICAL;
}

const memoryRequest = (c: V1Container): number => value(c.resources?.requests?.memory);

/** A restartable init container (a sidecar). */
function isSidecar(pod: V1Pod, c: V1Container): boolean {
  return c.restartPolicy === 'Always' && (pod.spec?.initContainers ?? []).some((i) => i.name === c.name);
}

/**
 * GetContainerOOMScoreAdjust. Burstable containers score 1000 - 1000*memoryRequest/capacity,
 * kept within 3..999 (1000 + GUARANTEED_OOM_SCORE_ADJ up to BestEffort - 1); a sidecar scores no
 * higher than the regular container with the smallest memory request (it must not die first).
 */
export function containerOOMScoreAdjust(pod: V1Pod, container: V1Container, memoryCapacity: number): number {
  if (isNodeCriticalPod(pod)) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = getPodQOS(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;
  // Go's integer division truncates toward zero; every operand here is non-negative.
  const score = (request: number) => 1000 - Math.floor((1000 * request) / memoryCapacity);
  let adj = score(memoryRequest(container));
  if (isSidecar(pod, container)) {
    const regular = (pod.spec?.containers ?? []).map(memoryRequest);
    const minRequest = regular.length ? Math.min(...regular) : 0;
    adj = Math.min(adj, score(minRequest));
  }
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BESTEFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}
