// The pod phase from its container statuses and restart policy (the kubelet's getPhase).
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isSidecar } from './spec.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/**
 * kubelet getPhase (without the alpha ContainerRestartRules gate).
 * - podIsTerminal: the pod worker has finished the pod, so stopped containers stay stopped.
 * - podHasInitialized: a regular container exists in the current sandbox, so sidecars that are
 *   restarting do not push the pod back to Pending.
 * The kubelet skips the terminal phase for static pods (a TODO, kubernetes#116484); every pod
 * here gets it.
 */
export function getPhase(
  pod: V1Pod,
  statuses: V1ContainerStatus[],
  podIsTerminal: boolean,
  podHasInitialized: boolean,
): PodPhase {
  const spec = pod.spec;
  const byName = new Map(statuses.map((s) => [s.name, s] as const));
  let pendingRestartableInit = 0;
  let pendingRegularInit = 0;
  let failedInitialization = 0;

  for (const c of spec?.initContainers ?? []) {
    if (isSidecar(c)) continue;
    const s = byName.get(c.name);
    if (!s || s.state?.running) pendingRegularInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting) {
      const last = s.lastState?.terminated;
      if (!last) pendingRegularInit++;
      else if (last.exitCode !== 0) failedInitialization++;
    } else pendingRegularInit++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;

  // Sidecars count as running containers; a stopped sidecar does not decide the phase.
  for (const c of spec?.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const s = byName.get(c.name);
    if (!s) {
      unknown++;
    } else if (s.state?.running) {
      if (!s.started) pendingRestartableInit++;
      running++;
    } else if (s.state?.terminated) {
      // ignored
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) {
        pendingRestartableInit++;
        waiting++;
      }
    } else {
      pendingRestartableInit++;
      unknown++;
    }
  }

  for (const c of spec?.containers ?? []) {
    const s = byName.get(c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  const restartPolicy = spec?.restartPolicy ?? 'Always';
  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';

  if (pendingRegularInit > 0 || (pendingRestartableInit > 0 && !podHasInitialized) || waiting > 0) {
    // One or more containers has not been started.
    return 'Pending';
  }
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    // A finished pod's containers will not be restarted, whatever the policy.
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    // All containers are in the process of restarting.
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    // OnFailure, with at least one failure being restarted.
    return 'Running';
  }
  return 'Pending';
}
