// Teardown outside the start bound: every deleted pod gets its stop signal at once, whatever --max-concurrent-pod-syncs is, and the stops go before any sandbox teardown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import type { CriRuntime } from '../../src/cri/types.js';
import { PodWorkers, type PodSyncer, type SyncPodResult } from '../../src/podworker/workers.js';
import { StopFirst } from '../../src/podworker/stop-first.js';
import { POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { makeHarness, pod } from '../support/syncer-harness.js';

const silent = pino({ level: 'silent' });
const until = async (what: string, fn: () => boolean, timeoutMs = 2000): Promise<void> => {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A gate many callers wait on until it is opened. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('PodWorkers teardown', () => {
  it('all 10 pods get StopContainer at once with --max-concurrent-pod-syncs 2 (fake CRI, the real syncer)', async () => {
    let stopsInFlight = 0;
    let maxStops = 0;
    const release = gate();
    const h = makeHarness({
      intercept: {
        // A container that takes its grace period to stop: the call returns only when released.
        stopContainer: (real) => async (id, timeout, opts) => {
          stopsInFlight++;
          maxStops = Math.max(maxStops, stopsInFlight);
          await release.opened;
          stopsInFlight--;
          return real(id, timeout, opts);
        },
      } as Partial<{ [K in keyof CriRuntime]: (real: CriRuntime[K]) => CriRuntime[K] }>,
    });
    h.cri.addImage('busybox:1.36');
    const workers = new PodWorkers({ syncer: h.syncer, logger: silent, concurrency: 2, syncFrequencyMs: 60_000 });
    const pods = Array.from({ length: 10 }, (_, i) => pod(`p${i}`, { terminationGracePeriodSeconds: 1 }));
    for (const p of pods) workers.updatePod(p);
    await workers.idle();
    assert.equal((await h.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } })).length, 10, 'all 10 started');

    for (const p of pods) workers.killPod(p, 'deleted');
    // Each stop waits out its "grace period": with the start bound applied to teardown only 2 would be in flight.
    await until('10 StopContainer calls in flight together', () => stopsInFlight === 10);
    release.open();
    await workers.idle();
    assert.equal(maxStops, 10);
    assert.equal((await h.cri.listContainers()).length, 0, 'every container removed');
    assert.equal((await h.cri.listPodSandbox()).length, 0, 'every sandbox removed');
    assert.deepEqual(workers.uids(), []);
  });

  it('stops are not queued behind starts: running pods are stopped while every start slot hangs (recording fake CRI)', async () => {
    const hangStarts = gate();
    let hanging = false;
    let startsBegun = 0;
    const h = makeHarness({
      intercept: {
        // Once `hanging` is set, every StartContainer hangs: the 2 slots fill and 4 more starts wait behind them.
        startContainer: (real) => async (id, opts) => {
          if (hanging) {
            startsBegun++;
            await hangStarts.opened;
          }
          return real(id, opts);
        },
      } as Partial<{ [K in keyof CriRuntime]: (real: CriRuntime[K]) => CriRuntime[K] }>,
    });
    h.cri.addImage('busybox:1.36');
    const workers = new PodWorkers({ syncer: h.syncer, logger: silent, concurrency: 2, syncFrequencyMs: 60_000 });
    const old = [pod('old0', { terminationGracePeriodSeconds: 1 }), pod('old1', { terminationGracePeriodSeconds: 1 })];
    for (const p of old) workers.updatePod(p);
    await workers.idle();
    const oldIds = (await h.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } })).map((c) => c.id);
    assert.equal(oldIds.length, 2, 'the two old pods run');

    hanging = true;
    for (let i = 0; i < 6; i++) workers.updatePod(pod(`new${i}`));
    await until('both start slots held by hanging starts', () => startsBegun === 2);
    const before = h.cri.calls.length;
    for (const p of old) workers.killPod(p, 'deleted');
    await until('both old pods removed', () => !workers.isKnown('uid-old0') && !workers.isKnown('uid-old1'));
    const stopped = h.cri.calls.slice(before).filter((c) => c.method === 'stopContainer').map((c) => c.args[0]);
    assert.deepEqual(stopped.sort(), [...oldIds].sort(), 'StopContainer for each old container while the starts hang');
    assert.equal(startsBegun, 2, 'no start slot was freed meanwhile');
    hangStarts.open();
    await workers.idle();
    assert.equal((await h.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } })).length, 6, 'the 6 new pods run afterwards');
    await workers.stop();
  });

  it('the stop is the first CRI call of a teardown: the pod is killed as the cache has it, inspected afterwards (kubelet: SyncTerminatingPod)', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const workers = new PodWorkers({ syncer: h.syncer, logger: silent, concurrency: 2, syncFrequencyMs: 60_000 });
    const p = pod('first', { terminationGracePeriodSeconds: 1 });
    workers.updatePod(p);
    await workers.idle();
    const before = h.cri.calls.length;
    workers.killPod(p, 'deleted');
    await workers.idle();
    const methods = h.cri.calls.slice(before).map((c) => c.method);
    assert.equal(methods[0], 'stopContainer', `calls: ${methods.join(', ')}`);
    assert.ok(methods.includes('stopPodSandbox') && methods.includes('removePodSandbox'), `calls: ${methods.join(', ')}`);
    assert.equal((await h.cri.listPodSandbox()).length, 0);
  });

  it('a pod killed while its sync waits for a slot is torn down at once and never synced', async () => {
    const syncGate = gate();
    const teardownGate = gate();
    const log: string[] = [];
    let teardownsInFlight = 0;
    let syncsBegun = 0;
    const syncer: PodSyncer = {
      async syncPod(p: V1Pod): Promise<SyncPodResult> {
        syncsBegun++;
        log.push(`sync ${p.metadata!.name}`);
        await syncGate.opened;
        return { terminal: false };
      },
      async syncTerminatingPod(p: V1Pod) {
        teardownsInFlight++;
        log.push(`terminating ${p.metadata!.name}`);
        await teardownGate.opened;
        teardownsInFlight--;
      },
      async syncTerminatedPod(p: V1Pod) {
        log.push(`terminated ${p.metadata!.name}`);
      },
    };
    const workers = new PodWorkers({ syncer, logger: silent, concurrency: 2, syncFrequencyMs: 60_000 });
    const pods = Array.from({ length: 6 }, (_, i) => pod(`q${i}`));
    for (const p of pods) workers.updatePod(p);
    await until('the two slots taken', () => syncsBegun === 2);
    // q0 and q1 hold the slots (their syncs hang); q2..q5 wait in the queue.
    for (const p of pods.slice(2)) workers.killPod(p, 'deleted');
    await until('the 4 waiting pods terminating together', () => teardownsInFlight === 4);
    assert.equal(syncsBegun, 2, 'the killed pods never began a sync');
    teardownGate.open();
    syncGate.open();
    await workers.idle();
    for (const name of ['q2', 'q3', 'q4', 'q5']) {
      assert.ok(!log.includes(`sync ${name}`), `${name} was never synced`);
      assert.ok(log.includes(`terminated ${name}`), `${name} was removed`);
    }
    assert.deepEqual(workers.uids().sort(), ['uid-q0', 'uid-q1']);
    await workers.stop();
  });

  it('a kill that arrives during a running sync waits for it: the teardown never runs beside the sync', async () => {
    const syncGate = gate();
    const events: string[] = [];
    let syncing = false;
    const syncer: PodSyncer = {
      async syncPod(_p: V1Pod, signal: AbortSignal): Promise<SyncPodResult> {
        syncing = true;
        events.push('sync begins');
        await syncGate.opened;
        events.push(`sync ends (aborted: ${signal.aborted})`);
        syncing = false;
        return { terminal: false };
      },
      async syncTerminatingPod() {
        events.push(`terminating (sync running: ${syncing})`);
      },
      async syncTerminatedPod() {
        events.push('terminated');
      },
    };
    const workers = new PodWorkers({ syncer, logger: silent, concurrency: 1, syncFrequencyMs: 60_000 });
    const p = pod('r');
    workers.updatePod(p);
    await until('the sync running', () => syncing);
    workers.killPod(p, 'deleted');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events, ['sync begins'], 'no teardown while the sync runs');
    syncGate.open();
    await workers.idle();
    assert.deepEqual(events, ['sync begins', 'sync ends (aborted: true)', 'terminating (sync running: false)', 'terminated']);
  });
});

describe('PodWorkers teardown: stops first', () => {
  /** A harness whose StopContainer for pod `slow` hangs until released; every other stop is immediate. */
  async function twoPods(stopFirst: StopFirst) {
    const release = gate();
    let slowStopPending = false;
    const h = makeHarness({
      stopFirst,
      intercept: {
        stopContainer: (real) => async (id, timeout, opts) => {
          if (slowIds.has(id)) {
            slowStopPending = true;
            await release.opened;
            slowStopPending = false;
          }
          return real(id, timeout, opts);
        },
      } as Partial<{ [K in keyof CriRuntime]: (real: CriRuntime[K]) => CriRuntime[K] }>,
    });
    const slowIds = new Set<string>();
    h.cri.addImage('busybox:1.36');
    const workers = new PodWorkers({ syncer: h.syncer, logger: silent, concurrency: 4, syncFrequencyMs: 60_000 });
    const quick = pod('quick', { terminationGracePeriodSeconds: 1 });
    const slow = pod('slow', { terminationGracePeriodSeconds: 1 });
    workers.updatePod(quick);
    workers.updatePod(slow);
    await workers.idle();
    for (const c of await h.cri.listContainers()) if (c.podSandboxId && c.labels?.[POD_NAME_LABEL] === 'slow') slowIds.add(c.id);
    assert.equal(slowIds.size, 1, 'the slow pod runs one container');
    return { h, workers, quick, slow, release, pending: () => slowStopPending };
  }

  it("a pod's sandbox stop and removal wait until the other pods' container stops are done (recording fake CRI)", async () => {
    const { h, workers, quick, slow, release, pending } = await twoPods(new StopFirst(60_000));
    const before = h.cri.calls.length;
    workers.killPod(slow, 'deleted');
    workers.killPod(quick, 'deleted');
    await until('the slow stop pending', pending);
    // The fake records a call when it reaches it: the slow stop is not there until released.
    await until('the quick pod stopped its container', () => h.cri.calls.slice(before).filter((c) => c.method === 'stopContainer').length === 1);
    await new Promise((r) => setTimeout(r, 50));
    const meanwhile = h.cri.calls.slice(before).map((c) => c.method);
    assert.ok(!meanwhile.includes('stopPodSandbox') && !meanwhile.includes('removeContainer'), `no teardown while a stop is pending: ${meanwhile.join(', ')}`);
    release.open();
    await workers.idle();
    assert.equal((await h.cri.listPodSandbox()).length, 0, 'both pods removed afterwards');
  });

  it('the wait is bounded: a stop that takes long holds the other pods only for maxWaitMs', async () => {
    const { h, workers, quick, slow, release, pending } = await twoPods(new StopFirst(40));
    workers.killPod(slow, 'deleted');
    workers.killPod(quick, 'deleted');
    await until('the slow stop pending', pending);
    await until('the quick pod removed while the slow stop still hangs', () => !workers.isKnown('uid-quick'));
    assert.equal(pending(), true);
    assert.equal((await h.cri.listPodSandbox()).length, 1, 'only the slow pod is left');
    release.open();
    await workers.idle();
    assert.equal((await h.cri.listPodSandbox()).length, 0);
  });
});
