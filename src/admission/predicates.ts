// The predicate admit handler (pkg/kubelet/lifecycle/predicate.go Admit + generalFilter): OS, then all of resources, node affinity, node name, host ports, pure.
import type { V1Pod } from '@kubernetes/client-node';
import { handleCriticalAdmissionFailure, isCriticalPod } from './critical.js';
import { fitsHostPorts } from './host-ports.js';
import { matchesNodeAffinity } from './node-affinity.js';
import { fitsResources } from './resources.js';
import { ADMIT, type AdmitResult, type AdmissionNode, type PredicateFailureError, type PredicateFailureReason } from './types.js';

/** runtime.GOOS of every node mini-kubelet runs on. */
const NODE_OS = 'linux';

/** lifecycle.UnexpectedAdmissionError: the admit reason when recovering from a failure (preemption) itself failed. */
export const UNEXPECTED_ADMISSION_ERROR = 'UnexpectedAdmissionError';

const failure = (predicateName: string, predicateDesc: string): PredicateFailureError => ({ predicateName, predicateDesc });

/**
 * generalFilter (scheduler.AdmissionCheck with includeAllFailures): every failure, in order:
 * each resource that ran out, then NodeAffinity, NodeName and NodePorts. Taints are not checked:
 * the kubelet skips them for static pods, and checks a pod from the API server only against the
 * Node object's NoExecute taints, which this agent does not read.
 */
function generalFilter(pod: V1Pod, others: readonly V1Pod[], node: AdmissionNode): PredicateFailureReason[] {
  const reasons: PredicateFailureReason[] = fitsResources(pod, others, node);
  if (!matchesNodeAffinity(pod, node.name, node.labels)) reasons.push(failure('NodeAffinity', "node(s) didn't match Pod's node affinity/selector"));
  const nodeName = pod.spec?.nodeName;
  if (nodeName && nodeName !== node.name) reasons.push(failure('NodeName', "node(s) didn't match the requested node name"));
  if (!fitsHostPorts(pod, others)) reasons.push(failure('NodePorts', "node(s) didn't have free ports for the requested pod ports"));
  return reasons;
}

/**
 * predicateAdmitHandler.Admit: the checks preemption cannot help come first (the pod's
 * kubernetes.io/os label and spec.os against the node's OS), then generalFilter, whose failures
 * go to the critical-pod handler (critical.ts) before one of them is reported.
 */
export function admitPredicates(pod: V1Pod, others: readonly V1Pod[], node: AdmissionNode): AdmitResult {
  const osLabel = pod.metadata?.labels?.['kubernetes.io/os'];
  // rejectPodAdmissionBasedOnOSSelector: the node's own label is taken to be its OS.
  if (osLabel !== undefined && osLabel !== NODE_OS) {
    return { admit: false, reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" };
  }
  const os = pod.spec?.os?.name;
  if (os !== undefined && os !== NODE_OS) {
    return { admit: false, reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" };
  }
  const reasons = generalFilter(pod, others, node);
  if (reasons.length === 0) return ADMIT;
  // HandleAdmissionFailure changes nothing for a pod that is not critical.
  const outcome = isCriticalPod(pod) ? handleCriticalAdmissionFailure(reasons) : { reasons };
  if ('error' in outcome) {
    return { admit: false, reason: UNEXPECTED_ADMISSION_ERROR, message: `Unexpected error while attempting to recover from admission failure: ${outcome.error}` };
  }
  // Only the first remaining failure is reported, with its Error() as the message.
  const first = outcome.reasons[0]!;
  if ('resourceName' in first) {
    // InsufficientResourceError: reason OutOf<resource>.
    return { admit: false, reason: `OutOf${first.resourceName}`, message: `Node didn't have enough resource: ${first.resourceName}, requested: ${first.requested}, used: ${first.used}, capacity: ${first.capacity}` };
  }
  return { admit: false, reason: first.predicateName, message: `Predicate ${first.predicateName} failed: ${first.predicateDesc}` };
}
