// Init and sidecar container actions for one sync: the kubelet's computeInitContainerActions (SidecarContainers).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ObservedContainer, ObservedPod } from '../runtime/types.js';
import type { Draft } from './plan-draft.js';
import { initKind, newest } from './plan-draft.js';
import { hashContainer } from './translate/hash.js';

export interface InitProbeView {
  unhealthy?: ReadonlyMap<string, { reason: string; message: string }>;
  startupProbeSucceeded?: ReadonlySet<string>;
}

/** isInitContainerFailed: a non-zero exit, an OOM kill, or an unknown state. */
export function isInitContainerFailed(status: ObservedContainer): boolean {
  if (status.reason === 'OOMKilled') return true;
  if (status.state === 'exited' && status.exitCode !== 0) return true;
  return status.state === 'unknown';
}

/**
 * computeInitContainerActions: fills draft.initStarts (and kills) and returns true when the pod
 * is initialized, i.e. regular containers may run. It walks the init containers BACKWARDS, so
 * that the last one known to have run tells how far initialization got even if earlier ones were
 * removed. Only instances in the current sandbox count: the kubelet purges init containers when
 * it replaces the sandbox, and filtering here gives the same answer without relying on that purge.
 */
export function computeInitContainerActions(
  pod: V1Pod,
  observed: ObservedPod | undefined,
  sandboxId: string,
  probes: InitProbeView,
  draft: Draft,
): boolean {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return true;

  // A regular container that is created or running means initialization finished once already
  // (an exited one does not: after a node reboot every container is exited).
  let podHasInitialized = (pod.spec?.containers ?? []).some((c) => {
    const s = newest(observed, c.name);
    return s !== undefined && (s.state === 'created' || s.state === 'running');
  });
  let previouslyInitialized = podHasInitialized;
  const restartOnFailure = (pod.spec?.restartPolicy ?? 'Always') !== 'Never';
  const picked = new Map<number, string>();
  const start = (i: number, reason: string): void => {
    if (!picked.has(i)) picked.set(i, reason);
  };
  const kill = (c: V1Container, s: ObservedContainer, reason: string, message: string): void => {
    draft.kills.push({ containerId: s.id, name: c.name, reason, message });
  };
  const failPod = (c: V1Container): false => {
    draft.killPod = true;
    draft.killPodReason = `init container ${c.name} failed and restartPolicy is Never`;
    draft.initStarts = [];
    return false;
  };

  for (let i = inits.length - 1; i >= 0; i--) {
    const c = inits[i]!;
    const sidecar = initKind(c) === 'sidecar';
    const status = observed?.containers.find((o) => o.name === c.name && o.sandboxId === sandboxId);
    if (!status) {
      // Its instance is gone after initialization: only a sidecar needs to come back.
      if (previouslyInitialized && sidecar) start(i, 'sidecar not running');
      continue;
    }
    // After initialization only sidecars are kept running.
    if (previouslyInitialized && !sidecar) continue;

    switch (status.state) {
      case 'created':
        // Create and start happen in one step, so a created container failed to start: start anew.
        start(i, 'created but never started');
        break;
      case 'running': {
        if (!sidecar) break; // an init container: wait for it to finish
        const unhealthy = probes.unhealthy?.get(status.id);
        const startupPending =
          c.startupProbe !== undefined && probes.startupProbeSucceeded !== undefined && !probes.startupProbeSucceeded.has(status.id);
        if (startupPending) {
          // The next init container waits for this sidecar's startup probe.
          if (unhealthy) {
            kill(c, status, unhealthy.reason, unhealthy.message);
            start(i, unhealthy.message);
          }
          break;
        }
        if (i === inits.length - 1) podHasInitialized = true;
        else if (!previouslyInitialized) start(i + 1, `sidecar ${c.name} started`);
        if (status.hash !== hashContainer(c)) {
          kill(c, status, 'SpecChanged', `Init container ${c.name} definition changed`);
          start(i, 'definition changed');
        } else if (unhealthy) {
          kill(c, status, unhealthy.reason, unhealthy.message);
          start(i, unhealthy.message);
        }
        break;
      }
      case 'exited':
        if (sidecar) {
          start(i, `sidecar exited with code ${status.exitCode}`);
        } else if (isInitContainerFailed(status)) {
          if (!restartOnFailure) return failPod(c);
          start(i, `init container exited with code ${status.exitCode}`);
        } else if (i === inits.length - 1) {
          podHasInitialized = true;
        } else {
          start(i + 1, `init container ${c.name} completed`);
        }
        break;
      default: // unknown: it may still run, so stop it before a new one starts
        if (!sidecar && !restartOnFailure) return failPod(c);
        kill(c, status, 'Unknown', `Init container is in "${status.state}" state, try killing it before restart`);
        start(i, 'in unknown state');
    }
    previouslyInitialized = true;
  }
  // Nothing has run yet: begin with the first.
  if (!previouslyInitialized) start(0, 'not started yet');

  draft.initStarts = [...picked.entries()]
    .sort(([a], [b]) => a - b)
    .map(([i, reason]) => ({ container: inits[i]!, kind: initKind(inits[i]!), reason }));
  return podHasInitialized;
}
