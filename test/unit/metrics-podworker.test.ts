// kubelet_pod_worker_duration_seconds: each unit of pod-worker work is observed under the kubelet's operation_type (create, update, sync, kill, terminated).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { registerPodWorkerMetrics } from '../../src/metrics/podworker.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { PodWorkers, type PodSyncer, type PodWorkType } from '../../src/podworker/workers.js';
import { sampleOf } from '../support/metrics.js';

const pod = (gen: number): V1Pod => ({ metadata: { name: 'a', namespace: 'default', uid: 'uid-a', generation: gen }, spec: { containers: [] } });

/** A syncer whose syncPod takes `syncMs`. */
function syncer(syncMs = 0): PodSyncer {
  return {
    syncPod: () => new Promise((r) => setTimeout(() => r({ terminal: false }), syncMs)),
    syncTerminatingPod: async () => {},
    syncTerminatedPod: async () => {},
  };
}

function setup(syncMs = 0) {
  const seen: [PodWorkType, number][] = [];
  const workers = new PodWorkers({
    syncer: syncer(syncMs),
    logger: pino({ level: 'silent' }),
    concurrency: 2,
    syncFrequencyMs: 60_000,
    workObserver: (type, ms) => void seen.push([type, ms]),
  });
  return { workers, seen, types: () => seen.map(([t]) => t) };
}

describe('pod worker duration', () => {
  it('a new pod is create, a spec change update, a wake sync, a deletion kill and then terminated', async () => {
    const { workers, types } = setup();
    workers.updatePod(pod(1));
    await workers.idle();
    workers.updatePod(pod(2));
    await workers.idle();
    workers.wake('uid-a');
    await workers.idle();
    workers.killPod(pod(2), 'deleted', 0);
    await workers.idle();
    assert.deepEqual(types(), ['create', 'update', 'sync', 'kill', 'terminated']);
  });

  it('requests that arrive while a sync runs are served by one step, named by the weightier one', async () => {
    const { workers, types } = setup(30);
    workers.updatePod(pod(1));
    await new Promise((r) => setTimeout(r, 5));
    workers.wake('uid-a');
    workers.updatePod(pod(2));
    workers.wake('uid-a');
    await workers.idle();
    assert.deepEqual(types(), ['create', 'update']);
  });

  it('the duration runs from the request, the time spent waiting included', async () => {
    const { workers, seen } = setup(40);
    workers.updatePod(pod(1));
    await workers.idle();
    assert.equal(seen.length, 1);
    assert.ok(seen[0]![1] >= 35 && seen[0]![1] < 1000, `create took ${seen[0]![1]} ms`);
  });

  it('the histogram records them by operation_type', async () => {
    const registry = createMetricsRegistry();
    const observe = registerPodWorkerMetrics(registry);
    observe('create', 300);
    observe('sync', 20);
    observe('sync', 2);
    assert.equal(await sampleOf(registry, 'kubelet_pod_worker_duration_seconds_count', { operation_type: 'sync' }), 2);
    assert.equal(await sampleOf(registry, 'kubelet_pod_worker_duration_seconds_bucket', { operation_type: 'sync', le: 0.005 }), 1);
    assert.equal(await sampleOf(registry, 'kubelet_pod_worker_duration_seconds_sum', { operation_type: 'create' }), 0.3);
  });
});
