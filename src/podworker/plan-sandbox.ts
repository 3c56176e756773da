// Whether a pod needs a new sandbox, and with which attempt: the kubelet's PodSandboxChanged (kuberuntime/util).
import type { V1Pod } from '@kubernetes/client-node';
import type { ObservedPod } from '../runtime/types.js';

export interface SandboxDecision {
  /** True when a (new) sandbox must be created. */
  create: boolean;
  /** The new sandbox's attempt when create, else the current sandbox's attempt. */
  attempt: number;
  /** The newest sandbox, when there is one. */
  sandboxId: string;
  /** Why a new sandbox is needed ('' when not). */
  reason: string;
}

/**
 * PodSandboxChanged. The attempt is one more than the HIGHEST attempt seen (not just the newest's),
 * so a new sandbox never reuses an attempt number even if the runtime lists them out of order.
 */
export function podSandboxChanged(pod: V1Pod, observed: ObservedPod | undefined): SandboxDecision {
  const sandboxes = observed?.sandboxes ?? [];
  if (sandboxes.length === 0) {
    return { create: true, attempt: 0, sandboxId: '', reason: 'no sandbox for the pod yet' };
  }
  const maxAttempt = Math.max(...sandboxes.map((s) => s.attempt));
  const ready = sandboxes.filter((s) => s.state === 'ready').length;
  const current = sandboxes[0]!;
  const again = (reason: string): SandboxDecision => ({ create: true, attempt: maxAttempt + 1, sandboxId: current.id, reason });
  if (ready > 1) return again('more than one sandbox is ready');
  if (current.state !== 'ready') return again('the newest sandbox is not ready');
  const hostNetwork = pod.spec?.hostNetwork === true;
  if (current.hostNetwork !== hostNetwork) {
    return again(`the network namespace changed (hostNetwork ${current.hostNetwork} → ${hostNetwork})`);
  }
  if (!hostNetwork && current.ip === '') return again('the sandbox has no IP address');
  return { create: false, attempt: current.attempt, sandboxId: current.id, reason: '' };
}

/** True when killing the pod would stop something: a ready sandbox, or a container that has not exited. */
export function anythingToStop(observed: ObservedPod | undefined): boolean {
  if (!observed) return false;
  return observed.sandboxes.some((s) => s.state === 'ready') || observed.containers.some((c) => c.state !== 'exited');
}
