// The pod syncer (observe → plan → execute → status) against the recording FakeCri: the CRI calls it makes and the status it reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { criError } from '../../src/cri/errors.js';
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
