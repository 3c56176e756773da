// Probe worker timing and thresholds against a fake clock and a scripted prober (kubelet prober/worker.go semantics).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { Prober, ProbeRun } from '../../src/prober/prober.js';
import { ProbeResults } from '../../src/prober/results.js';
import type { ProbeResult, ProbeType } from '../../src/prober/types.js';
import { FakeClock } from '../support/fake-prober-clock.js';
import { ProbeWorker } from '../../src/prober/worker.js';

/** A prober that answers from a script and records when it was called. */
class ScriptedProber implements Prober {
  calls: { type: ProbeType; at: number; containerId: string }[] = [];
  answer: (type: ProbeType) => ProbeRun = () => ({ result: 'Success' });
  constructor(private readonly clock: FakeClock) {}
  async probe(type: ProbeType, _pod: V1Pod, _c: V1Container, containerId: string): Promise<ProbeRun> {
    this.calls.push({ type, at: this.clock.now(), containerId });
    return this.answer(type);
  }
}

const UID = 'uid-1';

function podWith(container: V1Container, restartPolicy = 'Always'): V1Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: UID }, spec: { containers: [container], restartPolicy } };
}

function running(id: string, startedAt: number, started = true): V1PodStatus {
  return {
    phase: 'Running',
    podIP: '10.88.0.5',
    podIPs: [{ ip: '10.88.0.5' }],
    containerStatuses: [
      { name: 'app', containerID: `containerd://${id}`, image: 'busybox', imageID: '', ready: false, restartCount: 0, started, state: { running: { startedAt: new Date(startedAt) } } },
    ],
  };
}

function harness(container: V1Container, type: ProbeType, opts: { startedAgoMs?: number; random?: number; restartPolicy?: string } = {}) {
  const clock = new FakeClock(1_000_000);
  const prober = new ScriptedProber(clock);
  const results = new ProbeResults();
  let status: V1PodStatus | undefined = running('c1', clock.t);
  const changes: { type: ProbeType; id: string; result: ProbeResult }[] = [];
  let exited = false;
  const worker = new ProbeWorker(
    {
      clock,
      random: () => opts.random ?? 0,
      prober,
      results,
      statusOf: () => status,
      onResult: (_u, t, id, r) => changes.push({ type: t, id, result: r }),
      onExit: () => (exited = true),
      startedAt: clock.t - (opts.startedAgoMs ?? 3_600_000),
      logger: { debug: () => {} },
    },
    type,
    podWith(container, opts.restartPolicy),
    container,
  );
  let done: Promise<void> = Promise.resolve();
  return {
    clock, prober, results, changes, worker,
    /** Starts the worker; its first probe runs synchronously up to the prober call. */
    start: () => {
      done = worker.run();
    },
    get done() {
      return done;
    },
    setStatus: (s: V1PodStatus | undefined) => (status = s),
    exited: () => exited,
  };
}

const exec = { exec: { command: ['true'] } };

describe('probe worker', () => {
  it('probes every period and stores a failure only at failureThreshold', async () => {
    const h = harness({ name: 'app', livenessProbe: { ...exec, periodSeconds: 5, failureThreshold: 3 } }, 'Liveness');
    h.prober.answer = () => ({ result: 'Failure' });
    h.start();
    await h.clock.advance(0);
    assert.equal(h.prober.calls.length, 1, 'first probe at once (agent started long ago: no jitter)');
    assert.equal(h.results.get(UID, 'Liveness', 'c1'), 'Success', 'a new container starts alive');
    await h.clock.advance(5000);
    assert.equal(h.results.get(UID, 'Liveness', 'c1'), 'Success', 'two failures are below the threshold');
    await h.clock.advance(5000);
    assert.deepEqual(h.prober.calls.map((c) => c.at - h.prober.calls[0]!.at), [0, 5000, 10000]);
    assert.equal(h.results.get(UID, 'Liveness', 'c1'), 'Failure');
    assert.deepEqual(h.changes, [{ type: 'Liveness', id: 'c1', result: 'Failure' }]);
    h.worker.stop();
    await h.done;
  });

  it('after a liveness failure it holds until a new container id, then starts over', async () => {
    const h = harness({ name: 'app', livenessProbe: { ...exec, periodSeconds: 1, failureThreshold: 1 } }, 'Liveness');
    h.prober.answer = () => ({ result: 'Failure' });
    h.start();
    await h.clock.advance(0);
    assert.equal(h.results.get(UID, 'Liveness', 'c1'), 'Failure');
    await h.clock.advance(3000);
    assert.equal(h.prober.calls.length, 1, 'on hold: the dying container is not probed again');
    h.setStatus(running('c2', h.clock.t));
    h.prober.answer = () => ({ result: 'Success' });
    await h.clock.advance(1000);
    assert.equal(h.prober.calls.length, 2);
    assert.equal(h.prober.calls[1]!.containerId, 'c2');
    assert.equal(h.results.get(UID, 'Liveness', 'c1'), undefined, 'the old container result is removed');
    assert.equal(h.results.get(UID, 'Liveness', 'c2'), 'Success');
    h.worker.stop();
    await h.done;
  });

  it('readiness needs successThreshold successes in a row and starts not ready', async () => {
    const h = harness({ name: 'app', readinessProbe: { ...exec, periodSeconds: 2, successThreshold: 2 } }, 'Readiness');
    const answers: ProbeResult[] = ['Success', 'Failure', 'Success', 'Success'];
    h.prober.answer = () => ({ result: answers.shift() as 'Success' | 'Failure' });
    h.start();
    await h.clock.advance(0);
    assert.equal(h.results.get(UID, 'Readiness', 'c1'), 'Failure', 'initial value');
    await h.clock.advance(4000);
    assert.equal(h.results.get(UID, 'Readiness', 'c1'), 'Failure', 'success, failure, success: no run of two');
    await h.clock.advance(2000);
    assert.equal(h.results.get(UID, 'Readiness', 'c1'), 'Success');
    assert.deepEqual(h.changes.map((c) => c.result), ['Success']);
    h.worker.stop();
    await h.done;
  });

  it('waits initialDelaySeconds from the container start', async () => {
    const h = harness({ name: 'app', readinessProbe: { ...exec, periodSeconds: 1, initialDelaySeconds: 3 } }, 'Readiness');
    h.start();
    await h.clock.advance(2500);
    assert.equal(h.prober.calls.length, 0);
    await h.clock.advance(1000);
    assert.equal(h.prober.calls.length, 1);
    assert.ok(h.prober.calls[0]!.at - (h.clock.t - 3500) >= 3000);
    h.worker.stop();
    await h.done;
  });

  it('the startup probe holds liveness back until the container has started', async () => {
    const container = { name: 'app', livenessProbe: { ...exec, periodSeconds: 1 }, startupProbe: { ...exec, periodSeconds: 1 } };
    const live = harness(container, 'Liveness');
    live.setStatus(running('c1', live.clock.t, false));
    live.start();
    await live.clock.advance(3000);
    assert.equal(live.prober.calls.length, 0, 'not started: liveness waits');
    live.setStatus(running('c1', live.clock.t, true));
    await live.clock.advance(1000);
    assert.equal(live.prober.calls.length, 1);
    live.worker.stop();
    await live.done;

    const startup = harness(container, 'Startup');
    startup.setStatus(running('c1', startup.clock.t, false));
    startup.start();
    await startup.clock.advance(0);
    assert.equal(startup.results.get(UID, 'Startup', 'c1'), 'Success');
    startup.setStatus(running('c1', startup.clock.t, true));
    await startup.clock.advance(5000);
    assert.equal(startup.prober.calls.length, 1, 'a started container is not startup-probed again');
    startup.worker.stop();
    await startup.done;
  });

  it('jitters the first probe only within one period of the agent start (worker.run)', async () => {
    const fresh = harness({ name: 'app', readinessProbe: { ...exec, periodSeconds: 10 } }, 'Readiness', { startedAgoMs: 0, random: 0.5 });
    fresh.start();
    fresh.worker.trigger(); // a trigger does not cut the jitter short
    await fresh.clock.advance(4999);
    assert.equal(fresh.prober.calls.length, 0);
    await fresh.clock.advance(1);
    assert.equal(fresh.prober.calls.length, 2, 'after the jitter: the probe, then the buffered trigger');
    fresh.worker.stop();
    await fresh.done;

    const later = harness({ name: 'app', readinessProbe: { ...exec, periodSeconds: 10 } }, 'Readiness', { startedAgoMs: 60_000, random: 0.5 });
    later.start();
    await later.clock.advance(0);
    assert.equal(later.prober.calls.length, 1);
    later.worker.stop();
    await later.done;
  });

  it('a trigger probes at once and restarts the period from there', async () => {
    const h = harness({ name: 'app', readinessProbe: { ...exec, periodSeconds: 10 } }, 'Readiness');
    h.start();
    await h.clock.advance(3000);
    h.worker.trigger();
    await h.clock.advance(0);
    await h.clock.advance(10_000);
    assert.deepEqual(h.prober.calls.map((c) => c.at - h.prober.calls[0]!.at), [0, 3000, 13000]);
    h.worker.stop();
    await h.done;
  });

  it('a probe that errors is thrown away', async () => {
    const h = harness({ name: 'app', livenessProbe: { ...exec, periodSeconds: 1, failureThreshold: 1 } }, 'Liveness');
    h.prober.answer = () => ({ result: 'Failure', error: new Error('invalid port number: 0') });
    h.start();
    await h.clock.advance(5000);
    assert.equal(h.prober.calls.length, 6);
    assert.equal(h.results.get(UID, 'Liveness', 'c1'), 'Success');
    assert.deepEqual(h.changes, []);
    h.worker.stop();
    await h.done;
  });

  it('a non-running container fails; the worker ends when it will never run again', async () => {
    const h = harness({ name: 'app', readinessProbe: { ...exec, periodSeconds: 1 } }, 'Readiness', { restartPolicy: 'Never' });
    h.start();
    await h.clock.advance(0);
    h.setStatus({
      phase: 'Running',
      containerStatuses: [
        { name: 'app', containerID: 'containerd://c1', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1 } } },
      ],
    });
    await h.clock.advance(1000);
    await h.done;
    assert.ok(h.exited());
    assert.equal(h.results.get(UID, 'Readiness', 'c1'), undefined, 'cleaned up on exit');
  });

  it('ends when the pod reaches a terminal phase', async () => {
    const h = harness({ name: 'app', readinessProbe: { ...exec, periodSeconds: 1 } }, 'Readiness');
    h.start();
    await h.clock.advance(0);
    h.setStatus({ phase: 'Succeeded' });
    await h.clock.advance(1000);
    await h.done;
    assert.ok(h.exited());
  });

  it('liveness and startup stop with a last success once the pod is being deleted', async () => {
    const container = { name: 'app', livenessProbe: { ...exec, periodSeconds: 1 } };
    const h = harness(container, 'Liveness');
    h.worker.pod.metadata!.deletionTimestamp = new Date();
    h.start();
    await h.clock.advance(0);
    await h.done;
    assert.equal(h.prober.calls.length, 0);
    assert.ok(h.exited());
  });
});
