// A restarted agent whose first relist could not inspect a pod must ask the runtime, not take the stale cache for the truth.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import pino from 'pino';
import { criError } from '../../src/cri/errors.js';
import { EventRecorder } from '../../src/events/recorder.js';
import { PodCache } from '../../src/pleg/cache.js';
import { GenericPLEG } from '../../src/pleg/generic.js';
import { BackOff } from '../../src/podworker/backoff.js';
import { ImageManager } from '../../src/podworker/images.js';
import { SandboxRequests } from '../../src/podworker/sandbox-requests.js';
import { KubeletPodSyncer } from '../../src/podworker/sync-pod.js';
import { StatusManager } from '../../src/status/manager.js';
import { HostVolumeManager } from '../../src/volumes/manager.js';
import { makeHarness, NODE, pod } from '../support/syncer-harness.js';

/** A second agent process over the same runtime: a fresh cache, PLEG and syncer, nothing remembered. */
function restartedAgent(h: ReturnType<typeof makeHarness>) {
  const logger = pino({ level: 'silent' });
  const clock = h.now;
  const cache = new PodCache();
  const pleg = new GenericPLEG({ cri: h.cri, nodeName: NODE, cache, clock: { now: clock }, logger });
  const recorder = new EventRecorder({ logger, clock });
  const statusManager = new StatusManager({ clock: { now: clock }, logger });
  const backOff = () => new BackOff({ initialMs: 10_000, maxMs: 300_000, clock });
  const syncer = new KubeletPodSyncer({
    cri: h.cri,
    images: new ImageManager({ cri: h.cri, backOff: backOff(), recorder, logger, clock, serializeImagePulls: true }),
    volumes: new HostVolumeManager(h.root),
    recorder,
    crashLoopBackOff: backOff(),
    logger,
    clock,
    hostIP: '192.0.2.10',
    sandboxOptions: { nodeName: NODE, podLogsDir: `${h.root}/logs` },
    cache,
    pleg,
    statusManager,
    sandboxRequests: new SandboxRequests(),
  });
  return { cache, pleg, syncer, statusManager };
}

describe('KubeletPodSyncer.observe with a stale cache entry', () => {
  it('a pod the first relist failed to inspect is adopted, not created a second time', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('adopt');
    await h.sync(p);
    h.advance(1000);
    const agent = restartedAgent(h);
    h.cri.failNext('podSandboxStatus', criError(Status.DEADLINE_EXCEEDED, 'PodSandboxStatus', 'context deadline exceeded'));
    await agent.pleg.relist();
    assert.equal(agent.cache.get('uid-adopt'), undefined, 'the relist could not inspect the pod');
    assert.notEqual(agent.cache.timestamp(), undefined, 'yet the relist set the global timestamp');
    h.resetCalls();
    await agent.syncer.syncPod(p, new AbortController().signal);
    assert.deepEqual(h.writes(), [], 'no second sandbox or container');
    assert.equal(agent.statusManager.getPodStatus('uid-adopt')?.phase, 'Running');
  });

  it('a pod whose change the relist could not inspect is read again: its dead container is restarted', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('died');
    await h.sync(p);
    const agent = restartedAgent(h);
    await agent.pleg.relist();
    assert.equal(agent.cache.get('uid-died')?.containers[0]?.state, 'running');
    h.advance(1000);
    const [id] = [...h.cri.containers.keys()];
    h.cri.exitContainer(id!, 1);
    h.cri.failNext('containerStatus', criError(Status.DEADLINE_EXCEEDED, 'ContainerStatus', 'context deadline exceeded'));
    await agent.pleg.relist();
    assert.equal(agent.cache.get('uid-died')?.containers[0]?.state, 'running', 'the cache still holds the old state');
    h.resetCalls();
    await agent.syncer.syncPod(p, new AbortController().signal);
    assert.deepEqual(h.writes(), ['createContainer', 'startContainer'], 'the exit was seen and the container restarted');
  });

  it('a pod the last relist inspected is served from the cache without asking the runtime', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('cached');
    await h.sync(p);
    const agent = restartedAgent(h);
    await agent.pleg.relist();
    h.resetCalls();
    await agent.syncer.syncPod(p, new AbortController().signal);
    assert.deepEqual(h.cri.calls.map((c) => c.method).filter((m) => m === 'listPodSandbox' || m === 'listContainers'), []);
  });
});
