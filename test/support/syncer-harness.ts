// Builds a KubeletPodSyncer over the recording FakeCri, with a settable clock, for executor and worker tests.
import type { PodCgroups } from '../../src/node/cgroups-fs.js';
import type { V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EventRecorder } from '../../src/events/recorder.js';
import { PodCache } from '../../src/pleg/cache.js';
import { GenericPLEG } from '../../src/pleg/generic.js';
import { BackOff, MOUNT_RETRY_INITIAL_MS, MOUNT_RETRY_MAX_MS } from '../../src/podworker/backoff.js';
import { ImageManager } from '../../src/podworker/images.js';
import { SandboxRequests } from '../../src/podworker/sandbox-requests.js';
import { KubeletPodSyncer } from '../../src/podworker/sync-pod.js';
import { StatusManager } from '../../src/status/manager.js';
import { HostVolumeManager, type HostVolumeManagerOptions } from '../../src/volumes/manager.js';
import { FakeCri } from './fake-cri.js';
import { FakeMounter } from './fake-mounter.js';

export const NODE = 'node-a';

// Removed when the test process ends, so test runs leave nothing behind in /tmp.
const tempRoots: string[] = [];
process.once('exit', () => tempRoots.forEach((d) => rmSync(d, { recursive: true, force: true })));

import type { CriRuntime } from '../../src/cri/types.js';
import { recordCriCalls } from '../../src/trace/recording-cri.js';
import type { TraceStore } from '../../src/trace/store.js';
import type { LifecycleRunner, ProbeResultsView } from '../../src/podworker/deps.js';
import type { StopFirst } from '../../src/podworker/stop-first.js';

/**
 * `intercept` wraps CRI methods as the agent sees them (the FakeCri itself still records every call);
 * `trace` records the calls the syncs make, as run.ts wires it.
 * `volumes` gives the volume manager options on the harness's clock (cluster sources, say).
 * `stopFirst` orders sandbox teardown after the pending container stops, as run.ts wires it.
 * `probes` is the probe results store the syncer reads (src/prober/results.ts), `lifecycle` makes the hook runner.
 */
export function makeHarness(opts: {
  intercept?: Partial<{ [K in keyof CriRuntime]: (real: CriRuntime[K]) => CriRuntime[K] }>;
  trace?: TraceStore;
  volumes?: (clock: () => number) => HostVolumeManagerOptions;
  probes?: ProbeResultsView;
  lifecycle?: (cri: CriRuntime) => LifecycleRunner;
  stopFirst?: StopFirst;
  podCgroups?: PodCgroups;
} = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = () => now;
  const logger = pino({ level: 'silent' });
  const fake = new FakeCri({ now: clock });
  const intercepted: CriRuntime = new Proxy(fake, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      const wrap = (opts.intercept as Record<string | symbol, ((real: unknown) => unknown) | undefined> | undefined)?.[prop];
      return wrap ? wrap((value as (...a: unknown[]) => unknown).bind(target)) : value;
    },
  });
  const trace = opts.trace;
  const cri = trace ? recordCriCalls(intercepted, (cause, e) => trace.record(cause, e), clock) : intercepted;
  const cache = new PodCache();
  const pleg = new GenericPLEG({ cri, nodeName: NODE, cache, clock: { now: clock }, logger });
  const statusManager = new StatusManager({ clock: { now: clock }, logger });
  const recorder = new EventRecorder({ logger, clock });
  const crashLoopBackOff = new BackOff({ initialMs: 10_000, maxMs: 300_000, clock });
  const root = mkdtempSync(path.join(tmpdir(), 'mk-sync-'));
  tempRoots.push(root);
  const imageBackOff = new BackOff({ initialMs: 10_000, maxMs: 300_000, clock });
  const mountBackOff = new BackOff({ initialMs: MOUNT_RETRY_INITIAL_MS, maxMs: MOUNT_RETRY_MAX_MS, clock });
  const images = new ImageManager({
    cri,
    backOff: imageBackOff,
    recorder,
    logger,
    clock,
    serializeImagePulls: true,
  });
  // No real mounts in unit tests: secret and projected volumes would mount a tmpfs.
  const volumes = new HostVolumeManager(root, { mounter: new FakeMounter(), ...opts.volumes?.(clock) });
  const syncer = new KubeletPodSyncer({
    cri,
    images,
    volumes,
    recorder,
    crashLoopBackOff,
    mountBackOff,
    logger,
    clock,
    hostIP: '192.0.2.10',
    sandboxOptions: { nodeName: NODE, podLogsDir: path.join(root, 'logs') },
    cache,
    pleg,
    statusManager,
    sandboxRequests: new SandboxRequests(),
    trace,
    probes: opts.probes,
    lifecycle: opts.lifecycle?.(cri),
    stopFirst: opts.stopFirst,
    podCgroups: opts.podCgroups,
  });
  const signal = new AbortController().signal;
  return {
    cri: fake,
    cache,
    pleg,
    statusManager,
    recorder,
    syncer,
    volumes,
    root,
    crashLoopBackOff,
    imageBackOff,
    mountBackOff,
    advance: (ms: number) => (now += ms),
    now: clock,
    sync: (pod: V1Pod) => syncer.syncPod(pod, signal),
    status: (pod: V1Pod) => statusManager.getPodStatus(pod.metadata!.uid!),
    /** The CRI methods called since the last reset, in order, without the read-only ones. */
    writes: () =>
      fake.calls
        .map((c) => c.method)
        .filter((m) => !['listPodSandbox', 'listContainers', 'podSandboxStatus', 'containerStatus', 'imageStatus'].includes(m)),
    resetCalls: () => (fake.calls.length = 0),
  };
}

export function pod(name: string, spec: Partial<NonNullable<V1Pod['spec']>> = {}, uid = `uid-${name}`): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'app', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }],
      ...spec,
    },
  };
}
