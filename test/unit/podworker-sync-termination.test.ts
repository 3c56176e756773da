// The pod syncer against the recording fake CRI, after the start: termination, runtime failures, hung postStart hooks and activeDeadlineSeconds (the start is in podworker-sync.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { criError } from '../../src/cri/errors.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { HookRunner } from '../../src/lifecycle/handlers.js';
import { makeHarness, pod } from '../support/syncer-harness.js';

const running = (h: ReturnType<typeof makeHarness>) => [...h.cri.containers.values()].filter((c) => c.status.state === 'CONTAINER_RUNNING');

describe('KubeletPodSyncer termination', () => {
  it('stops containers with the grace period, then the sandbox, then removes everything', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('bye', { terminationGracePeriodSeconds: 7 });
    await h.sync(p);
    h.resetCalls();
    await h.syncer.syncTerminatingPod(p, 7, 'deleted');
    const stop = h.cri.calls.find((c) => c.method === 'stopContainer')!;
    assert.equal(stop.args[1], 7);
    assert.deepEqual(h.writes(), ['stopContainer', 'stopPodSandbox']);
    h.resetCalls();
    await h.syncer.syncTerminatedPod(p, 'deleted');
    assert.deepEqual(h.writes(), ['removeContainer', 'removePodSandbox']);
    assert.equal(h.cri.sandboxes.size, 0);
    assert.equal(h.status(p), undefined);
    // Forgotten by the runtime cache at once, not only at the next relist: housekeeping must not
    // find it there and kill it again as an orphan.
    assert.equal(h.cache.get(p.metadata!.uid!), undefined);
  });

  it("removing a pod drops its crash-loop and image-pull back-off entries", async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('backoffs', {
      containers: [
        { name: 'app', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' },
        { name: 'side', image: 'busybox:nope', imagePullPolicy: 'IfNotPresent' },
      ],
    });
    await h.sync(p);
    h.advance(1000);
    h.cri.exitContainer(running(h)[0]!.status.id, 1);
    await h.pleg.relist();
    await h.sync(p);
    assert.equal(h.crashLoopBackOff.size, 1, 'the restart recorded a crash-loop entry');
    assert.equal(h.imageBackOff.size, 1, 'the failed pull recorded a pull back-off entry');
    await h.syncer.syncTerminatingPod(p, 2, 'deleted');
    await h.syncer.syncTerminatedPod(p, 'deleted');
    assert.equal(h.crashLoopBackOff.size, 0);
    assert.equal(h.imageBackOff.size, 0);
  });

  it('an API pod deleted before its container ever started ends Failed, never Pending (TerminatePod)', async () => {
    const h = makeHarness();
    const p = pod('api-bye'); // its image is not there: the container stays waiting
    p.metadata!.annotations = { 'kubernetes.io/config.source': 'api' };
    const seen: string[] = [];
    h.statusManager.addSink({ podStatusChanged: (_p, s) => void seen.push(s.phase!), podDeleted: () => void seen.push('deleted') });
    await h.sync(p);
    assert.equal(h.status(p)!.phase, 'Pending');
    await h.syncer.syncTerminatingPod(p, 2, 'deleted');
    await h.syncer.syncTerminatedPod(p, 'deleted');
    assert.deepEqual(seen.slice(-2), ['Failed', 'deleted']);
  });

  it('a grace period under 2s is raised to the kubelet minimum', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('quick', { terminationGracePeriodSeconds: 0 });
    await h.sync(p);
    h.resetCalls();
    await h.syncer.syncTerminatingPod(p, 0, 'deleted');
    assert.equal(h.cri.calls.find((c) => c.method === 'stopContainer')!.args[1], 2);
  });
});

describe('KubeletPodSyncer when the runtime fails', () => {
  it('a failed sync puts RuntimeError on the pod, and the next good sync clears it', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('flaky');
    await h.sync(p);
    h.cri.failNext('listPodSandbox', criError(Status.UNAVAILABLE, 'ListPodSandbox', 'connection refused'), 5);
    h.cri.failNext('listContainers', criError(Status.UNAVAILABLE, 'ListContainers', 'connection refused'), 5);
    h.advance(1000);
    // Force a fresh look at the runtime, as after the worker's own actions.
    (h.syncer as unknown as { lastActionAt: Map<string, number> }).lastActionAt.set(p.metadata!.uid!, h.now() + 1);
    await assert.rejects(h.sync(p));
    const bad = h.status(p)!;
    assert.equal(bad.reason, 'RuntimeError');
    assert.match(bad.message!, /connection refused/);
    assert.equal(bad.phase, 'Running', 'what we last knew of the containers is kept');
    // The injected failures run out; the runtime is back.
    for (let i = 0; i < 6; i++) await h.sync(p).catch(() => undefined);
    const good = h.status(p)!;
    assert.equal(good.reason, undefined);
    assert.equal(good.phase, 'Running');
  });
});

describe('KubeletPodSyncer and a RuntimeError in the API copy', () => {
  it("a good sync clears a RuntimeError the API pod's status still carries (our earlier write seen back)", async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const stale = { phase: 'Running', reason: 'RuntimeError', message: 'cannot sync pod with the container runtime: connection refused' };
    // The agent restarted: it has no status of its own yet, only the API's.
    const fresh = { ...pod('api-stale'), status: stale };
    await h.sync(fresh);
    assert.equal(h.status(fresh)!.phase, 'Running');
    assert.equal(h.status(fresh)!.reason, undefined);
    assert.equal(h.status(fresh)!.message, undefined);
    // The manager's own status is clean, but the pod the worker holds still says RuntimeError.
    h.advance(1000);
    await h.sync(fresh);
    assert.equal(h.status(fresh)!.reason, undefined);
    assert.equal(h.status(fresh)!.message, undefined);
  });
});

describe('KubeletPodSyncer and a hung postStart hook', () => {
  /** Settles with 'hung' when the sync has not ended this long after the abort. */
  const endsAfterAbort = async (sync: Promise<unknown>, abort: AbortController, ms = 3000) => {
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    let timer!: NodeJS.Timeout;
    const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
    const first = await Promise.race([sync.then(() => 'ended' as const, () => 'ended' as const), hung]);
    clearTimeout(timer);
    return first;
  };

  it('an httpGet postStart that never answers ends when the worker aborts the sync (a kill), and the container is not killed by the sync', async (t) => {
    // A server that takes the request and never answers.
    const held: http.ServerResponse[] = [];
    const server = http.createServer((_req, res) => void held.push(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => {
      for (const res of held) res.destroy();
      server.close();
    });
    const port = (server.address() as AddressInfo).port;
    const recorder = { event: () => {} };
    const h = makeHarness({ lifecycle: (cri) => new HookRunner({ cri, recorder, logger: pino({ level: 'silent' }) }) });
    h.cri.addImage('busybox:1.36');
    const p = pod('hook-hang', {
      containers: [{ name: 'app', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', lifecycle: { postStart: { httpGet: { host: '127.0.0.1', port, path: '/hang' } } } }],
    });
    const abort = new AbortController();
    const sync = h.syncer.syncPod(p, abort.signal);
    assert.equal(await endsAfterAbort(sync, abort), 'ended', 'the kill ended the hook and the sync');
    assert.ok(!h.cri.calls.some((c) => c.method === 'stopContainer'), 'left to the kill: the sync does not stop the container itself');
  });

  it('an exec postStart that never returns ends when the worker aborts the sync', async () => {
    const recorder = { event: () => {} };
    const h = makeHarness({ lifecycle: (cri) => new HookRunner({ cri, recorder, logger: pino({ level: 'silent' }) }) });
    h.cri.addImage('busybox:1.36');
    h.cri.onExec(() => new Promise(() => {}));
    const p = pod('exec-hang', {
      containers: [{ name: 'app', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', lifecycle: { postStart: { exec: { command: ['sleep', '3600'] } } } }],
    });
    const abort = new AbortController();
    assert.equal(await endsAfterAbort(h.syncer.syncPod(p, abort.signal), abort), 'ended');
  });
});

describe('KubeletPodSyncer activeDeadlineSeconds', () => {
  it('runs the pod until the deadline, then fails it with DeadlineExceeded and asks for teardown', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('deadline', { activeDeadlineSeconds: 30 });
    const first = await h.sync(p);
    assert.equal(h.status(p)!.phase, 'Running');
    assert.equal(first.terminal, false);
    assert.ok(first.resyncAfterMs! <= 30_000, `a resync is due by the deadline, got ${first.resyncAfterMs}`);
    h.advance(29_000);
    assert.equal((await h.sync(p)).terminal, false);
    h.advance(1_000);
    const late = await h.sync(p);
    assert.equal(late.terminal, true);
    const st = h.status(p)!;
    assert.equal(st.phase, 'Failed');
    assert.equal(st.reason, 'DeadlineExceeded');
    assert.equal(st.message, 'Pod was active on the node longer than the specified deadline');
    assert.ok(h.recorder.eventsFor(p.metadata!.uid!).some((e) => e.reason === 'DeadlineExceeded'));
  });
});
