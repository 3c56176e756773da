// PodWorkers: one serialized worker per UID, coalesced updates, the syncing → terminating → terminated path, bounded concurrency.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { PodWorkers, type PodSyncer, type SyncPodResult } from '../../src/podworker/workers.js';
import { transition, type PodWorkerState } from '../../src/podworker/state.js';

const pod = (name: string, gen = 1, uid = `uid-${name}`): V1Pod => ({
  metadata: { name, namespace: 'default', uid, generation: gen },
  spec: { containers: [], terminationGracePeriodSeconds: 30 },
});

class RecordingSyncer implements PodSyncer {
  log: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  gate: Promise<void> | undefined;
  result: SyncPodResult = { terminal: false };
  failNext = 0;
  async syncPod(p: V1Pod): Promise<SyncPodResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.log.push(`sync ${p.metadata!.name} gen${p.metadata!.generation}`);
    try {
      await this.gate;
      await new Promise((r) => setTimeout(r, 5));
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('runtime went away');
      }
      return this.result;
    } finally {
      this.inFlight--;
    }
  }
  async syncTerminatingPod(p: V1Pod, grace: number, reason: string): Promise<void> {
    this.log.push(`terminating ${p.metadata!.name} grace=${grace} ${reason}`);
  }
  async syncTerminatedPod(p: V1Pod, reason: string): Promise<void> {
    this.log.push(`terminated ${p.metadata!.name} ${reason}`);
  }
}

const make = (syncer: PodSyncer, concurrency = 4, errorRetryMs = 20) =>
  new PodWorkers({ syncer, logger: pino({ level: 'silent' }), concurrency, syncFrequencyMs: 60_000, errorRetryMs });

describe('PodWorkers', () => {
  it('coalesces updates that arrive during a sync: only the latest spec is synced next', async () => {
    const s = new RecordingSyncer();
    let open!: () => void;
    s.gate = new Promise((r) => (open = r));
    const w = make(s);
    w.updatePod(pod('a', 1));
    await new Promise((r) => setTimeout(r, 1));
    w.updatePod(pod('a', 2));
    w.updatePod(pod('a', 3));
    w.updatePod(pod('a', 4));
    open();
    await w.idle();
    assert.deepEqual(s.log, ['sync a gen1', 'sync a gen4']);
  });

  it('a deleted pod goes terminating with its grace period, then terminated and removed, then the worker is gone', async () => {
    const s = new RecordingSyncer();
    const w = make(s);
    w.updatePod(pod('b'));
    await w.idle();
    w.killPod(pod('b'), 'deleted', 5);
    await w.idle();
    assert.deepEqual(s.log, ['sync b gen1', 'terminating b grace=5 deleted', 'terminated b deleted']);
    assert.equal(w.isKnown('uid-b'), false);
  });

  it('a finished pod is torn down but keeps its records, and never syncs again on updates', async () => {
    const s = new RecordingSyncer();
    s.result = { terminal: true };
    const w = make(s);
    w.updatePod(pod('c'));
    await w.idle();
    w.updatePod(pod('c', 2));
    await w.idle();
    assert.deepEqual(s.log, ['sync c gen1', 'terminating c grace=30 finished']);
    assert.equal(w.state('uid-c')!.kind, 'terminated');
    w.killPod(pod('c'), 'deleted');
    await w.idle();
    assert.equal(s.log.at(-1), 'terminated c deleted');
  });

  it('the same UID re-added while terminating starts again only after its teardown completes', async () => {
    const s = new RecordingSyncer();
    const w = make(s);
    w.updatePod(pod('d'));
    await w.idle();
    w.killPod(pod('d'), 'orphaned');
    w.updatePod(pod('d', 2));
    await w.idle();
    assert.deepEqual(s.log, ['sync d gen1', 'terminating d grace=30 orphaned', 'terminated d orphaned', 'sync d gen2']);
  });

  it('bounds the number of pods syncing at once', async () => {
    const s = new RecordingSyncer();
    const w = make(s, 2);
    for (let i = 0; i < 8; i++) w.updatePod(pod(`p${i}`));
    await w.idle();
    assert.equal(s.log.length, 8);
    assert.equal(s.maxInFlight, 2);
  });

  it('a sync that throws is retried after the error delay, without crashing the agent', async () => {
    const s = new RecordingSyncer();
    s.failNext = 1;
    const w = make(s, 1, 10);
    w.updatePod(pod('e'));
    await w.idle();
    await new Promise((r) => setTimeout(r, 40));
    await w.idle();
    assert.deepEqual(s.log, ['sync e gen1', 'sync e gen1']);
    await w.stop();
  });
});

describe('pod worker state machine', () => {
  const p = pod('s');
  const cases: { name: string; from: PodWorkerState; event: Parameters<typeof transition>[1]; want: Partial<PodWorkerState> }[] = [
    { name: 'syncing + update → syncing with the new pod', from: { kind: 'syncing', pod: p }, event: { type: 'update', pod: pod('s', 2) }, want: { kind: 'syncing' } },
    { name: 'syncing + kill → terminating with the pod grace', from: { kind: 'syncing', pod: p }, event: { type: 'kill', pod: p, reason: 'deleted' }, want: { kind: 'terminating', gracePeriodSeconds: 30 } },
    { name: 'syncing + terminal sync → terminating (finished)', from: { kind: 'syncing', pod: p }, event: { type: 'synced', terminal: true }, want: { kind: 'terminating', reason: 'finished' } },
    { name: 'terminating + kill with a shorter grace → shorter grace', from: { kind: 'terminating', pod: p, reason: 'deleted', gracePeriodSeconds: 30 }, event: { type: 'kill', pod: p, reason: 'deleted', gracePeriodSeconds: 3 }, want: { gracePeriodSeconds: 3 } },
    { name: 'terminating + kill with a longer grace → grace unchanged', from: { kind: 'terminating', pod: p, reason: 'deleted', gracePeriodSeconds: 3 }, event: { type: 'kill', pod: p, reason: 'deleted', gracePeriodSeconds: 30 }, want: { gracePeriodSeconds: 3 } },
    { name: 'terminating + update → still terminating (never syncs again)', from: { kind: 'terminating', pod: p, reason: 'deleted', gracePeriodSeconds: 3 }, event: { type: 'update', pod: p }, want: { kind: 'terminating' } },
    { name: 'terminated (finished) + delete → terminated (deleted), not removed', from: { kind: 'terminated', pod: p, reason: 'finished', removed: false }, event: { type: 'kill', pod: p, reason: 'deleted' }, want: { reason: 'deleted', removed: false } },
    { name: 'terminated + update → unchanged', from: { kind: 'terminated', pod: p, reason: 'deleted', removed: true }, event: { type: 'update', pod: p }, want: { kind: 'terminated', removed: true } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = transition(c.from, c.event);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, k);
    });
  }
});
