// Sets each container status's ready and started from probe results (the kubelet's prober manager UpdatePodStatus).
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isSidecar } from './spec.js';

export interface ProbeResults {
  /** Readiness results by CRI container id. */
  ready?: ReadonlyMap<string, boolean>;
  /** Startup results by CRI container id. */
  started?: ReadonlyMap<string, boolean>;
}

/** "containerd://abc" → "abc": probe results are keyed by the bare CRI id. */
export function criId(containerID: string | undefined): string {
  return (containerID ?? '').replace(/^[^:]*:\/\//, '');
}

/** isContainerStarted: running, and the startup probe succeeded (or there is none). */
function isStarted(spec: V1Container | undefined, status: V1ContainerStatus, results: ProbeResults): boolean {
  if (!status.state?.running) return false;
  const result = results.started?.get(criId(status.containerID));
  if (result !== undefined) return result;
  // A startup probe that has not reported yet holds the container back.
  return !spec?.startupProbe;
}

/** Readiness of a started, running container: a success, or no readiness probe at all. */
function isReady(spec: V1Container | undefined, status: V1ContainerStatus, results: ProbeResults): boolean {
  if (!status.state?.running) return false;
  return results.ready?.get(criId(status.containerID)) === true || !spec?.readinessProbe;
}

/** prober.manager.UpdatePodStatus, for both lists. Mutates the given statuses. */
export function applyProbeResults(
  pod: V1Pod,
  containerStatuses: V1ContainerStatus[],
  initContainerStatuses: V1ContainerStatus[],
  results: ProbeResults,
): void {
  const regular = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c] as const));
  for (const s of containerStatuses) {
    const spec = regular.get(s.name);
    s.started = isStarted(spec, s, results);
    s.ready = s.started && isReady(spec, s, results);
  }
  const init = new Map((pod.spec?.initContainers ?? []).map((c) => [c.name, c] as const));
  for (const s of initContainerStatuses) {
    const spec = init.get(s.name);
    s.started = isStarted(spec, s, results);
    if (spec && !isSidecar(spec)) {
      // A regular init container is "ready" once it has completed successfully.
      s.ready = s.state?.terminated?.exitCode === 0;
      continue;
    }
    s.ready = s.started && isReady(spec, s, results);
  }
}
