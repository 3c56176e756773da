// The pod syncer (observe → plan → execute → status) against the recording FakeCri: the CRI calls it makes and the status it reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { criError } from '../../src/cri/errors.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { HookRunner } from '../../src/lifecycle/handlers.js';
import { ProbeResults } from '../../src/prober/results.js';
import { makeHarness, pod } from '../support/syncer-harness.js';

const running = (h: ReturnType<typeof makeHarness>) => [...h.cri.containers.values()].filter((c) => c.status.state === 'CONTAINER_RUNNING');

describe('KubeletPodSyncer.syncPod', () => {
  it('a new pod: RunPodSandbox, PullImage, CreateContainer, StartContainer, in that order, and Running status', async () => {
    const h = makeHarness();
    h.cri.addPullable('busybox:1.36');
    const p = pod('web');
    await h.sync(p);
    assert.deepEqual(h.writes(), ['runPodSandbox', 'pullImage', 'createContainer', 'startContainer']);
    const st = h.status(p)!;
    assert.equal(st.phase, 'Running');
    assert.ok(st.containerStatuses?.[0]?.state?.running, 'app shows running right after the sync, not one relist later');
    assert.equal(st.podIP !== undefined && st.podIP !== '', true);
  });

  it('a second sync with nothing changed makes no runtime writes', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('idle');
    await h.sync(p);
    h.resetCalls();
    await h.sync(p);
    assert.deepEqual(h.writes(), []);
  });

  it('init containers run one at a time before the app container', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('init', {
      initContainers: [
        { name: 'init-1', image: 'busybox:1.36' },
        { name: 'init-2', image: 'busybox:1.36' },
      ],
    });
    const started = () => [...h.cri.containers.values()].map((c) => c.config.metadata.name);
    await h.sync(p);
    assert.deepEqual(started(), ['init-1']);
    assert.equal(h.status(p)!.containerStatuses![0]!.state!.waiting!.reason, 'PodInitializing');
    h.cri.exitContainer([...h.cri.containers.keys()][0]!, 0);
    await h.pleg.relist();
    await h.sync(p);
    assert.deepEqual(started(), ['init-1', 'init-2']);
    h.cri.exitContainer([...h.cri.containers.keys()][1]!, 0);
    await h.pleg.relist();
    await h.sync(p);
    assert.deepEqual(started(), ['init-1', 'init-2', 'app']);
  });

  it("a sidecar's startup probe holds the next init container back until it succeeds (the prober's results reach the planner)", async () => {
    const probes = new ProbeResults();
    const h = makeHarness({ probes });
    h.cri.addImage('busybox:1.36');
    const p = pod('sidecar-startup', {
      initContainers: [
        { name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } },
        { name: 'init-2', image: 'busybox:1.36' },
      ],
    });
    const started = () => [...h.cri.containers.values()].map((c) => c.config.metadata.name);
    await h.sync(p);
    assert.deepEqual(started(), ['proxy']);
    await h.sync(p);
    assert.deepEqual(started(), ['proxy'], 'no startup result yet: init-2 waits');
    const proxy = [...h.cri.containers.values()][0]!;
    probes.set(p.metadata!.uid!, 'Startup', proxy.status.id, 'proxy', 'Unknown');
    await h.sync(p);
    assert.deepEqual(started(), ['proxy'], 'startup not succeeded: init-2 still waits');
    probes.set(p.metadata!.uid!, 'Startup', proxy.status.id, 'proxy', 'Success');
    await h.sync(p);
    assert.deepEqual(started(), ['proxy', 'init-2'], 'startup succeeded: init-2 starts');
  });

  it("a readiness gate's condition on the pod it is given turns Ready True (the worker syncs the reconciled pod)", async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('gated', { readinessGates: [{ conditionType: 'example.com/lb' }] });
    await h.sync(p);
    const before = h.status(p)!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(before.status, 'False');
    assert.equal(before.reason, 'ReadinessGatesNotReady');
    const reconciled = { ...p, status: { ...h.status(p)!, conditions: [...h.status(p)!.conditions!, { type: 'example.com/lb', status: 'True' }] } };
    await h.sync(reconciled);
    const after = h.status(p)!.conditions!;
    assert.equal(after.find((c) => c.type === 'Ready')!.status, 'True');
    assert.equal(after.find((c) => c.type === 'example.com/lb')?.status, 'True', 'the gate condition is kept in the status');
  });

  it('restartPolicy Always: the first restart is immediate, the second waits in CrashLoopBackOff', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('crash');
    await h.sync(p);
    const first = running(h)[0]!;
    h.advance(1000);
    h.cri.exitContainer(first.status.id, 1);
    await h.pleg.relist();
    h.resetCalls();
    await h.sync(p);
    assert.deepEqual(h.writes(), ['createContainer', 'startContainer'], 'restarted at once');
    const second = running(h)[0]!;
    assert.equal(second.config.metadata.attempt, 1);
    h.advance(1000);
    h.cri.exitContainer(second.status.id, 1);
    await h.pleg.relist();
    h.resetCalls();
    const r = await h.sync(p);
    assert.deepEqual(h.writes(), [], 'held back by back-off');
    const cs = h.status(p)!.containerStatuses![0]!;
    assert.equal(cs.state!.waiting!.reason, 'CrashLoopBackOff');
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState!.terminated!.exitCode, 1);
    assert.ok(r.resyncAfterMs! > 9000 && r.resyncAfterMs! <= 10_000, `resync when the back-off ends, got ${r.resyncAfterMs}`);
    h.advance(10_000);
    await h.sync(p);
    assert.equal(running(h)[0]!.config.metadata.attempt, 2, 'restarted once the back-off passed');
  });

  it('a missing image gives ErrImagePull, then ImagePullBackOff without pulling, then recovers once pullable', async () => {
    const h = makeHarness();
    const p = pod('noimage', { containers: [{ name: 'app', image: 'busybox:nope', imagePullPolicy: 'IfNotPresent' }] });
    await h.sync(p);
    assert.equal(h.status(p)!.containerStatuses![0]!.state!.waiting!.reason, 'ErrImagePull');
    h.resetCalls();
    h.advance(2000);
    await h.sync(p);
    assert.ok(!h.writes().includes('pullImage'));
    assert.equal(h.status(p)!.containerStatuses![0]!.state!.waiting!.reason, 'ImagePullBackOff');
    h.cri.addPullable('busybox:nope');
    h.advance(10_000);
    await h.sync(p);
    assert.equal(h.status(p)!.phase, 'Running');
  });

  it('pull policy Never with a missing image gives ErrImageNeverPull', async () => {
    const h = makeHarness();
    const p = pod('never', { containers: [{ name: 'app', image: 'busybox:absent', imagePullPolicy: 'Never' }] });
    await h.sync(p);
    const w = h.status(p)!.containerStatuses![0]!.state!.waiting!;
    assert.equal(w.reason, 'ErrImageNeverPull');
    assert.match(w.message!, /not present with pull policy of Never/);
  });

  it('a CreateContainer that timed out but succeeded never yields a second container (kubernetes#139670)', async () => {
    let once = true;
    const h = makeHarness({
      intercept: {
        createContainer: (real) => async (...args) => {
          const id = await real(...args);
          if (once) {
            once = false;
            throw criError(Status.DEADLINE_EXCEEDED, 'CreateContainer', 'context deadline exceeded');
          }
          return id;
        },
      },
    });
    h.cri.addImage('busybox:1.36');
    const p = pod('timeout');
    await h.sync(p);
    assert.equal(h.status(p)!.containerStatuses![0]!.state!.waiting!.reason, 'CreateContainerError');
    await h.sync(p);
    assert.equal(h.cri.containers.size, 1, 'the container created by the timed-out call was adopted');
    assert.equal(running(h).length, 1);
  });

  it('a RunPodSandbox that timed out but succeeded is found and reused, not made twice', async () => {
    let once = true;
    const h = makeHarness({
      intercept: {
        runPodSandbox: (real) => async (...args) => {
          const id = await real(...args);
          if (once) {
            once = false;
            throw criError(Status.DEADLINE_EXCEEDED, 'RunPodSandbox', 'context deadline exceeded');
          }
          return id;
        },
      },
    });
    h.cri.addImage('busybox:1.36');
    const p = pod('sandbox-timeout');
    await h.sync(p);
    assert.equal(h.cri.sandboxes.size, 1);
    assert.equal(running(h).length, 0, 'the failed sync started nothing');
    h.resetCalls();
    await h.sync(p);
    assert.ok(h.cri.calls.some((c) => c.method === 'listPodSandbox'), 'after its own failed call the executor looks');
    assert.equal(h.cri.sandboxes.size, 1, 'the sandbox made by the timed-out call was adopted');
    assert.equal(running(h).length, 1);
  });

  it('a brand-new pod makes its sandbox without a ListPodSandbox first', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    await h.pleg.relist(); // as the agent does before any worker starts
    h.resetCalls();
    await h.sync(pod('new'));
    const methods = h.cri.calls.map((c) => c.method);
    const run = methods.indexOf('runPodSandbox');
    assert.ok(run >= 0);
    assert.deepEqual(methods.slice(0, run).filter((m) => m === 'listPodSandbox'), [], `calls: ${methods.join(', ')}`);
  });

  it('the image is looked up while the sandbox is made, once per image, and not for pull policy Always', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    await h.pleg.relist();
    h.resetCalls();
    await h.sync(pod('two', { containers: [{ name: 'a', image: 'busybox:1.36' }, { name: 'b', image: 'busybox:1.36' }] }));
    const methods = h.cri.calls.map((c) => c.method);
    assert.equal(methods.filter((m) => m === 'imageStatus').length, 1, `calls: ${methods.join(', ')}`);
    assert.ok(methods.indexOf('imageStatus') < methods.indexOf('runPodSandbox'), 'asked before the sandbox call returns');
    assert.equal(running(h).length, 2);

    h.resetCalls();
    await h.sync(pod('always', { containers: [{ name: 'a', image: 'busybox:1.36', imagePullPolicy: 'Always' }] }));
    const after = h.cri.calls.map((c) => c.method);
    assert.ok(after.indexOf('pullImage') > after.indexOf('runPodSandbox'), `calls: ${after.join(', ')}`);
    assert.equal(after.slice(0, after.indexOf('runPodSandbox')).includes('imageStatus'), false, 'Always pulls: nothing to look up ahead');
  });

  it('a sandbox made by this sync is not searched for containers an earlier call made; an existing one is', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('fresh');
    const inSandbox = () => h.cri.calls.filter((c) => c.method === 'listContainers' && (c.args[0] as { podSandboxId?: string } | undefined)?.podSandboxId);
    await h.sync(p);
    assert.equal(running(h).length, 1);
    assert.deepEqual(inSandbox(), [], 'a new sandbox holds no container yet');
    h.advance(1000);
    h.cri.exitContainer(running(h)[0]!.status.id, 1);
    await h.pleg.relist();
    h.resetCalls();
    await h.sync(p);
    assert.equal(running(h).length, 1, 'restarted');
    assert.equal(inSandbox().length, 1, 'a restart in the existing sandbox looks first (kubernetes#139670)');
  });

  it('runAsNonRoot with an image that runs as root is refused with CreateContainerConfigError', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('nonroot', { securityContext: { runAsNonRoot: true } });
    await h.sync(p);
    const w = h.status(p)!.containerStatuses![0]!.state!.waiting!;
    assert.equal(w.reason, 'CreateContainerConfigError');
    assert.match(w.message!, /runAsNonRoot and image will run as root/);
    assert.ok(!h.writes().includes('createContainer'));
  });

  it('restartPolicy Never: a finished pod is terminal and nothing restarts', async () => {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const p = pod('once', { restartPolicy: 'Never' });
    await h.sync(p);
    h.cri.exitContainer(running(h)[0]!.status.id, 0);
    await h.pleg.relist();
    h.resetCalls();
    const r = await h.sync(p);
    // Nothing restarts; the kubelet stops the now useless sandbox (computePodActions: keepCount == 0).
    assert.deepEqual(h.writes(), ['stopPodSandbox']);
    assert.equal(r.terminal, true);
    assert.equal(h.status(p)!.phase, 'Succeeded');
  });
});

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
