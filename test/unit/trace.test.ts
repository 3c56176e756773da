// The CRI trace: the per-pod ring (bounds, order, follow, forget), and each call's cause (sync, step) as the agent's syncs record it over the recording FakeCri.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withCause, inStep, type CallCause } from '../../src/trace/cause.js';
import { recordCriCalls } from '../../src/trace/recording-cri.js';
import { TraceStore, type TraceEntry } from '../../src/trace/store.js';
import { FakeCri } from '../support/fake-cri.js';
import { makeHarness, pod } from '../support/syncer-harness.js';

const cause = (uid: string, sync = 1, step = 'a step'): CallCause => ({ uid, pod: `default/${uid}`, sync, kind: 'sync', step });
const entry = (call: string) => ({ start: 0, durationMs: 1, call, target: '', ok: true, result: 'ok' });
/** "sync#N step: Call" for each call, by start. */
const story = (entries: TraceEntry[]) => [...entries].sort((a, b) => a.start - b.start || a.seq - b.seq).map((e) => `#${e.sync} ${e.step}: ${e.call}`);

describe('TraceStore', () => {
  it('keeps the last perPod calls of each pod, oldest first, with seq counting on', () => {
    const store = new TraceStore({ perPod: 3 });
    for (const call of ['A', 'B', 'C', 'D', 'E']) store.record(cause('p1'), entry(call));
    store.record(cause('p2'), entry('X'));
    assert.deepEqual(store.entries('p1').map((e) => `${e.seq}${e.call}`), ['3C', '4D', '5E']);
    assert.deepEqual(store.entries('p2').map((e) => `${e.seq}${e.call}`), ['1X']);
    assert.deepEqual(store.entries('p1', 4).map((e) => e.call), ['E'], 'newer than seq 4');
    assert.deepEqual(store.entries('nobody'), []);
  });

  it('tells followers of each new call, and of the pod going; forget drops the ring', () => {
    const store = new TraceStore();
    const seen: (string | undefined)[] = [];
    const stop = store.follow('p1', (e) => seen.push(e?.call));
    store.record(cause('p1'), entry('A'));
    store.record(cause('p2'), entry('B'));
    store.forget('p1');
    assert.deepEqual(seen, ['A', undefined]);
    assert.deepEqual(store.entries('p1'), []);
    stop();
    assert.equal(store.size, 1, 'p2 only');
  });

  it('a follower of a pod that never made a call leaves nothing behind', () => {
    const store = new TraceStore();
    store.follow('rejected', () => {})();
    assert.equal(store.size, 0);
  });
});

describe('recordCriCalls', () => {
  it('records a call made under a cause, with its step, answer and duration; a call outside any cause is not recorded', async () => {
    const fake = new FakeCri();
    fake.addImage('busybox:1.36');
    const store = new TraceStore();
    const cri = recordCriCalls(fake, (c, e) => store.record(c, e));
    await cri.imageStatus({ image: 'busybox:1.36' });
    await withCause(cause('p1', 7, 'look up the images'), async () => {
      await cri.imageStatus({ image: 'busybox:1.36' });
      await inStep('ask again', () => cri.imageStatus({ image: 'nothere:1' }));
      await cri.podSandboxStatus('no-such-sandbox').catch(() => undefined);
    });
    const [a, b, c] = store.entries('p1');
    assert.equal(store.entries('p1').length, 3);
    assert.deepEqual([a!.call, a!.target, a!.result, a!.sync, a!.step, a!.ok], ['ImageStatus', 'busybox:1.36', a!.result, 7, 'look up the images', true]);
    assert.match(a!.result, /^present [0-9a-f]{13}$/);
    assert.deepEqual([b!.step, b!.result], ['ask again', 'absent']);
    assert.equal(c!.ok, false);
    assert.match(c!.result, /not found/i);
    assert.ok(a!.durationMs >= 0);
  });

  it('cuts a long error to a bounded size', async () => {
    const fake = new FakeCri();
    fake.podSandboxStatus = async () => { throw new Error('x'.repeat(10_000)); };
    const store = new TraceStore();
    const cri = recordCriCalls(fake, (c, e) => store.record(c, e));
    await withCause(cause('p1'), () => cri.podSandboxStatus('sb').catch(() => undefined));
    assert.ok(store.entries('p1')[0]!.result.length <= 300);
  });
});

describe("the agent's syncs as a trace", () => {
  it('names each call after its sync and plan step: images, sandbox, start, re-inspect; a restart is a later sync with its reason', async () => {
    const trace = new TraceStore();
    const h = makeHarness({ trace });
    h.cri.addImage('busybox:1.36');
    const p = pod('web');
    await h.sync(p);
    assert.deepEqual(story(trace.entries('uid-web')), [
      // No relist has vouched for the pod yet, so the worker reads it itself.
      '#1 observe the pod: ListPodSandbox',
      '#1 observe the pod: ListContainers',
      '#1 look up the images of app: ImageStatus',
      '#1 create sandbox (attempt 0): no sandbox for the pod yet: RunPodSandbox',
      '#1 create sandbox (attempt 0): no sandbox for the pod yet: PodSandboxStatus',
      '#1 start container app: not started yet: CreateContainer',
      '#1 start container app: not started yet: StartContainer',
      '#1 re-inspect the pod after acting on it: ListPodSandbox',
      '#1 re-inspect the pod after acting on it: ListContainers',
      '#1 re-inspect the pod after acting on it: PodSandboxStatus',
      '#1 re-inspect the pod after acting on it: ContainerStatus',
    ]);
    const id = [...h.cri.containers.keys()][0]!;
    h.cri.exitContainer(id, 1);
    await h.pleg.relist();
    const before = trace.entries('uid-web').length;
    await h.sync(p);
    const restart = story(trace.entries('uid-web').slice(before)).filter((s) => s.includes('CreateContainer'));
    assert.deepEqual(restart, ['#2 start container app (restart 1): exited with code 1, restartPolicy Always: CreateContainer']);
  });

  it("the PLEG relist is no pod's call; teardown is its own sync, and removing the pod drops its trace", async () => {
    const trace = new TraceStore();
    const h = makeHarness({ trace });
    h.cri.addImage('busybox:1.36');
    const p = pod('gone');
    await h.sync(p);
    const n = trace.entries('uid-gone').length;
    await h.pleg.relist();
    assert.equal(trace.entries('uid-gone').length, n, 'a relist adds nothing');
    await h.syncer.syncTerminatingPod(p, 0, 'deleted');
    const stops = trace.entries('uid-gone').filter((e) => e.call === 'StopContainer' || e.call === 'StopPodSandbox');
    assert.deepEqual(stops.map((e) => `${e.sync} ${e.kind} ${e.call}`), ['2 terminating StopContainer', '2 terminating StopPodSandbox']);
    assert.match(stops[0]!.step, /^kill pod: the pod was removed from its source, grace period 0s$/);
    await h.syncer.syncTerminatedPod(p, 'deleted');
    assert.deepEqual(trace.entries('uid-gone'), []);
    assert.equal(trace.size, 0);
  });

  it("a pull queued behind another pod's pull is still its own pod's call", async () => {
    const trace = new TraceStore();
    // Slow pulls, so that b's pull waits in the (serialized) queue while a's runs, and is started by it.
    const slow = (real: FakeCri['pullImage']): FakeCri['pullImage'] => async (...args) => {
      await new Promise((r) => setTimeout(r, 30));
      return real(...args);
    };
    const h = makeHarness({ trace, intercept: { pullImage: slow } });
    h.cri.addPullable('img-a:1');
    h.cri.addPullable('img-b:1');
    const a = pod('a', { containers: [{ name: 'app', image: 'img-a:1', imagePullPolicy: 'IfNotPresent' }] });
    const b = pod('b', { containers: [{ name: 'app', image: 'img-b:1', imagePullPolicy: 'IfNotPresent' }] });
    await Promise.all([h.sync(a), h.sync(b)]);
    const pulls = (uid: string) => trace.entries(uid).filter((e) => e.call === 'PullImage').map((e) => `${e.target} ${e.step}`);
    assert.deepEqual(pulls('uid-a'), ['img-a:1 start container app: not started yet']);
    assert.deepEqual(pulls('uid-b'), ['img-b:1 start container app: not started yet']);
  });
});
