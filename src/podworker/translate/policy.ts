// Node policy for powerful pod features: privileged containers, hostPath volumes, host namespaces (the kubelet's canRunPod), pure.
//
// The kubelet lets static pods have all three. Until 1.15 it had --allow-privileged and, for pods
// from the API server, host-namespace sources; mini-kubelet keeps the flags, all true by default,
// and names the flag in the error when one refuses a pod.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError } from './errors.js';

export interface NodePolicy {
  /** --allow-privileged */
  allowPrivileged: boolean;
  /** --allow-host-namespaces: hostNetwork, hostPID, hostIPC. */
  allowHostNamespaces: boolean;
  /** --allow-host-path: hostPath volumes. */
  allowHostPath: boolean;
}

export const ALLOW_ALL: NodePolicy = { allowPrivileged: true, allowHostNamespaces: true, allowHostPath: true };

/** securitycontext.HasPrivilegedRequest */
const privileged = (c: V1Container): boolean => c.securityContext?.privileged === true;

/** canRunPod: the first thing the policy forbids, as a ContainerConfigError naming the flag. */
export function checkPodPolicy(pod: V1Pod, policy: NodePolicy = ALLOW_ALL): void {
  const spec = pod.spec;
  const who = `pod with UID "${pod.metadata?.uid ?? ''}"`;
  if (!policy.allowPrivileged) {
    const c = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find(privileged);
    if (c) throw new ContainerConfigError(`${who} specified privileged container "${c.name}", but is disallowed by --allow-privileged=false`);
  }
  if (!policy.allowHostNamespaces) {
    const used = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => spec?.[k] === true);
    if (used.length) throw new ContainerConfigError(`${who} specified ${used.join(', ')}, but is disallowed by --allow-host-namespaces=false`);
  }
  if (!policy.allowHostPath) {
    const v = (spec?.volumes ?? []).find((x) => x.hostPath);
    if (v) throw new ContainerConfigError(`${who} specified hostPath volume "${v.name}", but is disallowed by --allow-host-path=false`);
  }
}
