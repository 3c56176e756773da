// The critical-pod admission failure handler (pkg/kubelet/preemption/preemption.go HandleAdmissionFailure), pure.
import type { V1Pod } from '@kubernetes/client-node';
import { CONFIG_MIRROR_ANNOTATION, isStaticPod } from '../config/annotations.js';
import { insufficientAmount } from './resources.js';
import type { PredicateFailureError, PredicateFailureReason } from './types.js';

/** scheduling.SystemCriticalPriority: priorities from here up (system-cluster-critical, system-node-critical) are critical. */
const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** kubetypes.IsCriticalPod: a static pod, a mirror pod, or one with a system-critical priority. */
export function isCriticalPod(pod: V1Pod): boolean {
  if (isStaticPod(pod) || pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined) return true;
  return (pod.spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY;
}

/** What the handler leaves: the failures that still reject the pod, or the error preemption ended in. */
export type AdmissionFailureOutcome = { reasons: PredicateFailureError[] } | { error: string };

/**
 * HandleAdmissionFailure for a critical pod (every static pod is one; a pod from the API server
 * only with a system-critical priority, and any other pod keeps its failures). Running out of a resource
 * (pods, cpu, memory, ephemeral-storage, hugepages-<size>, ...) is no reason to reject a critical
 * pod, so when there is another reason, only those others are kept (in generalFilter's order).
 * When resources are all that is missing, the kubelet tries to free them by evicting pods it may
 * preempt; see noPodsToPreempt for why none is ever found here, and so preemption fails with the
 * list of what was missing.
 */
export function handleCriticalAdmissionFailure(failures: readonly PredicateFailureReason[]): AdmissionFailureOutcome {
  const nonResource = failures.filter((f): f is PredicateFailureError => 'predicateName' in f);
  if (nonResource.length > 0) return { reasons: nonResource };
  const requirements = failures.filter((f) => 'resourceName' in f).map((r) => ({ resourceName: r.resourceName, quantity: insufficientAmount(r) }));
  return { error: `preemption: error finding a set of pods to preempt: ${noPodsToPreempt(requirements)}` };
}

/**
 * getPodsToPreempt, for the case it always meets here: kubetypes.Preemptable is false between
 * two critical pods unless both set spec.priority and the newcomer's is higher, and mini-kubelet
 * does not preempt (it has no eviction path for admission), so no running pod is a candidate and
 * subtracting none of them leaves every requirement as it was. The list reads as admissionRequirementList.toString.
 */
function noPodsToPreempt(requirements: readonly { resourceName: string; quantity: number }[]): string {
  const list = requirements.map((r) => `(res: ${r.resourceName}, q: ${r.quantity}), `).join('');
  return `no set of running pods found to reclaim resources: [${list}]`;
}
