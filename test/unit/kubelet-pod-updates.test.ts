// The Kubelet's handling of pod updates that API pods bring: a pod that arrives already deleted, status-only changes, and the final disappearance of a finished pod.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import type { PodSource, SourceSnapshot } from '../../src/config/types.js';
import { Kubelet, type KubeletParts } from '../../src/kubelet.js';
import { PodConfig } from '../../src/podconfig/podconfig.js';
import { BackOff } from '../../src/podworker/backoff.js';
import { StatusManager } from '../../src/status/manager.js';

const logger = pino({ level: 'silent' });

function apiPod(name: string, extra: Partial<NonNullable<V1Pod['metadata']>> = {}, phase = 'Pending'): V1Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: new Date(0), ...extra },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
    status: { phase },
  };
}

/** A Kubelet over recording stand-ins for its workers and runtime, fed by one source we drive. */
async function harness(parts: Partial<KubeletParts> = {}) {
  const calls: string[] = [];
  const known = new Set<string>();
  const inRuntime = new Set<string>();
  let push!: (pods: V1Pod[]) => void;
  const source: PodSource = {
    name: 'api',
    async start(cb) {
      push = (pods) => cb({ source: 'api', pods: structuredClone(pods), errors: [] } satisfies SourceSnapshot);
      push([]);
    },
    async stop() {},
  };
  const workers = {
    updatePod: (p: V1Pod) => { known.add(p.metadata!.uid!); calls.push(`update ${p.metadata!.name}`); },
    killPod: (p: V1Pod, reason: string) => { known.add(p.metadata!.uid!); calls.push(`kill ${p.metadata!.name} ${reason}`); },
    isKnown: (uid: string) => known.has(uid),
    wake: () => {},
    state: (uid: string) => (known.has(uid) ? { kind: 'syncing' } : undefined),
    uids: () => [...known],
    stop: async () => {},
  };
  const pleg = { relist: async () => {}, subscribe: () => {}, start: () => {}, stop: () => {}, runtimeError: () => undefined, healthy: () => true, lastRelist: () => ({ at: 0 }) };
  const cache = { uids: () => [...inRuntime], get: (uid: string) => (inRuntime.has(uid) ? { uid, name: uid, namespace: 'default', sandboxes: [], containers: [] } : undefined) };
  const kubelet = new Kubelet({
    sources: [source],
    podConfig: new PodConfig({ logger }),
    workers, pleg, cache,
    statusManager: new StatusManager({ clock: { now: Date.now }, logger }),
    recorder: { event: () => {}, forget: () => {} },
    logger,
    housekeepingPeriodMs: 60_000,
    ...parts,
  } as unknown as KubeletParts);
  await kubelet.start();
  return { kubelet, calls, known, inRuntime, push: (pods: V1Pod[]) => push(pods) };
}

describe('Kubelet: pod updates from the API', () => {
  it('a pod that arrives with a deletionTimestamp (deleted while the agent was away) goes straight to its kill, not to a sync', async (t) => {
    const h = await harness();
    t.after(() => h.kubelet.stop());
    h.push([apiPod('gone', { deletionTimestamp: new Date(), deletionGracePeriodSeconds: 5 }), apiPod('new')]);
    assert.deepEqual(h.calls.sort(), ['kill gone deleted', 'update new']);
  });

  it('a status-only change (RECONCILE: our own status write coming back) is no work for the worker', async (t) => {
    const h = await harness();
    t.after(() => h.kubelet.stop());
    h.push([apiPod('web')]);
    h.push([apiPod('web', {}, 'Running')]);
    h.push([apiPod('web', { labels: { a: 'b' } }, 'Running')]);
    assert.deepEqual(h.calls, ['update web', 'update web'], 'the ADD and the label change only');
  });

  it('a status-only change that flips a readiness gate syncs the pod (HandlePodReconcile, NeedToReconcilePodReadiness)', async (t) => {
    const h = await harness();
    t.after(() => h.kubelet.stop());
    const gated = (conditions: Array<{ type: string; status: string; message?: string }>): V1Pod => {
      const p = apiPod('gated', {}, 'Running');
      p.spec!.readinessGates = [{ conditionType: 'example.com/lb' }];
      p.status!.containerStatuses = [{ name: 'app', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: {} } }];
      p.status!.conditions = conditions;
      return p;
    };
    const notReady = { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.' };
    const containersReady = { type: 'ContainersReady', status: 'True' };
    h.push([gated([notReady, containersReady])]);
    assert.deepEqual(h.calls, ['update gated']);
    // Our own status write coming back: Ready already says what the gates say, nothing to do.
    h.push([gated([notReady, containersReady, { type: 'PodScheduled', status: 'True' }])]);
    assert.deepEqual(h.calls, ['update gated']);
    // A controller sets the gate's condition: Ready must be recomputed, so the worker gets the pod.
    h.push([gated([notReady, containersReady, { type: 'example.com/lb', status: 'True' }])]);
    assert.deepEqual(h.calls, ['update gated', 'update gated']);
  });

  it('a graceful delete kills the pod; the object going away afterwards kills nothing again', async (t) => {
    const h = await harness();
    t.after(() => h.kubelet.stop());
    h.push([apiPod('web')]);
    h.push([apiPod('web', { deletionTimestamp: new Date(), deletionGracePeriodSeconds: 3 })]);
    assert.deepEqual(h.calls, ['update web', 'kill web deleted']);
    // The worker finished and was forgotten; the runtime has nothing; the API object goes.
    h.known.clear();
    h.push([]);
    assert.deepEqual(h.calls, ['update web', 'kill web deleted']);
  });

  it('a pod gone from the API while something of it still runs is killed', async (t) => {
    const h = await harness();
    t.after(() => h.kubelet.stop());
    h.push([apiPod('web')]);
    h.known.clear();
    h.inRuntime.add('uid-web');
    h.push([]);
    assert.deepEqual(h.calls, ['update web', 'kill web deleted']);
  });

  it('housekeeping drops expired crash-loop back-off entries (HandlePodCleanups: backOff.GC)', async (t) => {
    let now = 1_000_000;
    const crashLoopBackOff = new BackOff({ initialMs: 10_000, maxMs: 300_000, clock: () => now });
    crashLoopBackOff.next('web_default_uid-web_app_1', now);
    now += 600_000;
    crashLoopBackOff.next('fresh_default_uid-fresh_app_1', now);
    now += 1;
    const h = await harness({ crashLoopBackOff, housekeepingPeriodMs: 5 });
    t.after(() => h.kubelet.stop());
    const deadline = Date.now() + 2000;
    while (crashLoopBackOff.size > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(crashLoopBackOff.size, 1, 'the entry last updated more than 2*max ago is gone, the fresh one kept');
    assert.equal(crashLoopBackOff.get('fresh_default_uid-fresh_app_1'), 10_000);
  });
});
