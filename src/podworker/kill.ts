// Stops containers and sandboxes within a grace period (the kubelet's killContainer and killPodWithSyncResult).
import type { V1Pod } from '@kubernetes/client-node';
import { isNotFound } from '../cri/errors.js';
import { containerFieldPath } from '../events/recorder.js';
import type { ContainerRef, ObservedContainer, ObservedPod } from '../runtime/types.js';
import type { ExecutorDeps } from './deps.js';

/** kubelet: minimumGracePeriodInSeconds. A container always gets at least this long to stop. */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;

export function effectiveGracePeriod(seconds: number): number {
  return Math.max(MINIMUM_GRACE_PERIOD_SECONDS, Math.floor(seconds));
}

/** kubelet: killContainer. Sends StopContainer with the grace period; a container already gone is fine. */
export async function killContainer(
  pod: V1Pod,
  container: ContainerRef,
  gracePeriodSeconds: number,
  message: string,
  deps: ExecutorDeps,
): Promise<void> {
  let grace = effectiveGracePeriod(gracePeriodSeconds);
  deps.recorder.event(pod, 'Normal', 'Killing', message || `Stopping container ${container.name}`, containerFieldPath(pod, container.name));
  // preStop runs first and its time comes out of the grace period (kubelet: executePreStopHook).
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === container.name);
  if (spec?.lifecycle?.preStop && deps.lifecycle && container.state === 'running') {
    const started = deps.clock();
    await deps.lifecycle.preStop(pod, spec, container, grace);
    grace = effectiveGracePeriod(grace - (deps.clock() - started) / 1000);
  }
  try {
    const stop = () => deps.cri.stopContainer(container.id, grace);
    await (deps.stopFirst ? deps.stopFirst.stopping(stop) : stop());
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

function isActive(c: ObservedContainer): boolean {
  return c.state === 'running' || c.state === 'created' || c.state === 'unknown';
}

/** Whether killPod would still stop something: a live container or a ready sandbox. */
export function hasLive(observed: ObservedPod | undefined): boolean {
  return !!observed && (observed.containers.some(isActive) || observed.sandboxes.some((sb) => sb.state === 'ready'));
}

/**
 * kubelet: killPodWithSyncResult. Stops every live container, then every ready sandbox. Regular
 * containers go first and sidecars after them, as the kubelet does since sidecars became
 * restartable init containers, so that a sidecar (a proxy, a log shipper) outlives the app.
 */
export async function killPod(pod: V1Pod, observed: ObservedPod | undefined, gracePeriodSeconds: number, deps: ExecutorDeps): Promise<void> {
  if (!observed) return;
  const live = observed.containers.filter(isActive);
  const regular = live.filter((c) => !isSidecarName(pod, c.name));
  const sidecars = live.filter((c) => !regular.includes(c));
  const started = deps.clock();
  await Promise.all(regular.map((c) => killContainer(pod, c, gracePeriodSeconds, `Stopping container ${c.name}`, deps)));
  // Sidecars get what is left of the grace period (at least the minimum).
  const left = gracePeriodSeconds - (deps.clock() - started) / 1000;
  await Promise.all(sidecars.map((c) => killContainer(pod, c, left, `Stopping container ${c.name}`, deps)));
  const ready = observed.sandboxes.filter((sb) => sb.state === 'ready');
  // Other pods' container stops go first (stop-first.ts): this sandbox's network teardown can wait.
  if (ready.length) await deps.stopFirst?.stopsDone();
  for (const sb of ready) {
    try {
      await deps.cri.stopPodSandbox(sb.id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function isSidecarName(pod: V1Pod, name: string): boolean {
  return (pod.spec?.initContainers ?? []).some((c) => c.name === name && c.restartPolicy === 'Always');
}

/** Removes every container and sandbox of the pod from the runtime (after it was killed). */
export async function removePod(observed: ObservedPod | undefined, deps: ExecutorDeps): Promise<void> {
  if (!observed) return;
  if (observed.containers.length || observed.sandboxes.length) await deps.stopFirst?.stopsDone();
  for (const c of observed.containers) {
    try {
      await deps.cri.removeContainer(c.id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  for (const sb of observed.sandboxes) {
    try {
      await deps.cri.removePodSandbox(sb.id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
