// Test fixtures: ObservedPod / ObservedSandbox / ObservedContainer (and a bare V1Pod) with sensible defaults.
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { ObservedContainer, ObservedPod, ObservedSandbox } from '../../src/runtime/types.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A ready, networked sandbox (id "sb0", attempt 0, ip 10.88.0.5) unless overridden. */
export function aSandbox(over: Partial<ObservedSandbox> = {}): ObservedSandbox {
  const ip = over.ip ?? '10.88.0.5';
  return {
    id: 'sb0',
    attempt: 0,
    state: 'ready',
    createdAt: T0,
    ip,
    ips: ip ? [ip] : [],
    hostNetwork: false,
    ...over,
  };
}

/**
 * A container of sandbox "sb0". Defaults follow the state: running has startedAt, exited has
 * startedAt/finishedAt and reason Completed (exit 0) or Error.
 */
export function aContainer(name: string, over: Partial<ObservedContainer> = {}): ObservedContainer {
  const state = over.state ?? 'running';
  const exitCode = over.exitCode ?? 0;
  const createdAt = over.createdAt ?? T0 + 1000;
  const exited = state === 'exited';
  return {
    id: `${name}-${over.restartCount ?? 0}`,
    name,
    sandboxId: 'sb0',
    restartCount: 0,
    state,
    createdAt,
    startedAt: state === 'running' || exited ? createdAt + 100 : 0,
    finishedAt: exited ? createdAt + 5000 : 0,
    exitCode,
    reason: exited ? (exitCode === 0 ? 'Completed' : 'Error') : '',
    message: '',
    image: `${name}:1`,
    imageRef: `sha256:${name.padEnd(8, '0')}`,
    hash: 'h1',
    logPath: `/var/log/pods/x/${name}/0.log`,
    annotations: {},
    ...over,
  };
}

/** An observed pod; sandboxes and containers are sorted newest first, as the runtime reader gives them. */
export function anObservedPod(
  parts: { sandboxes?: ObservedSandbox[]; containers?: ObservedContainer[] } = {},
  over: Partial<ObservedPod> = {},
): ObservedPod {
  const newestFirst = <T extends { createdAt: number }>(xs: T[]): T[] => [...xs].sort((a, b) => b.createdAt - a.createdAt);
  return {
    uid: 'uid-1',
    name: 'web',
    namespace: 'default',
    sandboxes: newestFirst(parts.sandboxes ?? [aSandbox()]),
    containers: newestFirst(parts.containers ?? []),
    timestamp: T0 + 60_000,
    ...over,
  };
}

/** A V1Pod "default/web" (uid "uid-1") with the given containers, each with image "<name>:1". */
export function aPod(
  containers: (string | V1Container)[],
  spec: Partial<V1PodSpec> = {},
  initContainers: (string | V1Container)[] = [],
): V1Pod {
  const toContainer = (c: string | V1Container): V1Container =>
    typeof c === 'string' ? { name: c, image: `${c}:1` } : { image: `${c.name}:1`, ...c };
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: { restartPolicy: 'Always', ...spec, containers: containers.map(toContainer) },
  };
  if (initContainers.length) pod.spec!.initContainers = initContainers.map(toContainer);
  return pod;
}
