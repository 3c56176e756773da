// The predicate admit handler (pkg/kubelet/lifecycle/predicate.go Admit + generalFilter): OS, resources, node affinity, node name, host ports, pure.
import type { V1Pod } from '@kubernetes/client-node';
import { fitsHostPorts } from './host-ports.js';
import { matchesNodeAffinity } from './node-affinity.js';
import { fitsResources, insufficientResourceMessage, OUT_OF_REASON } from './resources.js';
import { ADMIT, type AdmitResult, type AdmissionNode } from './types.js';

/** runtime.GOOS of every node mini-kubelet runs on. */
const NODE_OS = 'linux';

/** PredicateFailureError.Error: "Predicate <name> failed: <reason>", with the predicate's name as the admission reason. */
function predicateFailure(name: string, desc: string): AdmitResult {
  return { admit: false, reason: name, message: `Predicate ${name} failed: ${desc}` };
}

/**
 * generalFilter (scheduler.AdmissionCheck with every failure): first the resources, then
 * NodeAffinity, NodeName and NodePorts. Taints are not checked: the kubelet skips them for
 * static pods, and every pod here is one. Only the first failure is reported, as the kubelet does.
 */
function generalFilter(pod: V1Pod, others: readonly V1Pod[], node: AdmissionNode): AdmitResult {
  const insufficient = fitsResources(pod, others, node);
  if (insufficient.length > 0) {
    const r = insufficient[0]!;
    return { admit: false, reason: OUT_OF_REASON[r.resourceName], message: insufficientResourceMessage(r) };
  }
  if (!matchesNodeAffinity(pod, node.name, node.labels)) {
    return predicateFailure('NodeAffinity', "node(s) didn't match Pod's node affinity/selector");
  }
  const nodeName = pod.spec?.nodeName;
  if (nodeName && nodeName !== node.name) return predicateFailure('NodeName', "node(s) didn't match the requested node name");
  if (!fitsHostPorts(pod, others)) return predicateFailure('NodePorts', "node(s) didn't have free ports for the requested pod ports");
  return ADMIT;
}

/**
 * predicateAdmitHandler.Admit: the checks preemption cannot help come first (the pod's
 * kubernetes.io/os label and spec.os against the node's OS), then generalFilter.
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
  return generalFilter(pod, others, node);
}
