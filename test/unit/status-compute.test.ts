// A pod's whole life through computePodStatus: phases, container states, waiting reasons, IPs and times.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1PodStatus } from '@kubernetes/client-node';
import { computePodStatus } from '../../src/status/compute.js';
import { aContainer, anObservedPod, aPod, T0 } from '../support/observed-builders.js';
import { compute, cond, cs, NOW, waiting, type Case } from '../support/status-compute-cases.js';

const cases: Case[] = [
  {
    name: 'nothing in the runtime yet: Pending, ContainerCreating, no pod IP',
    pod: aPod(['app']),
    observed: undefined,
    check: (s) => {
      assert.equal(s.phase, 'Pending');
      assert.deepEqual(cs(s, 'app').state, { waiting: { reason: 'ContainerCreating' } });
      assert.equal(cs(s, 'app').ready, false);
      assert.equal(cs(s, 'app').restartCount, 0);
      assert.equal(cs(s, 'app').image, 'app:1');
      assert.equal(s.podIP, undefined);
      assert.equal(s.hostIP, '192.168.1.10');
      assert.deepEqual(s.hostIPs, [{ ip: '192.168.1.10' }]);
      assert.equal(cond(s, 'PodReadyToStartContainers').status, 'False');
      assert.equal(s.startTime!.getTime(), NOW);
    },
  },
  {
    name: 'sandbox up, container created but not started: waiting with no reason of its own',
    pod: aPod(['app']),
    observed: anObservedPod({ containers: [aContainer('app', { state: 'created' })] }),
    check: (s) => {
      assert.equal(s.phase, 'Pending');
      assert.deepEqual(cs(s, 'app').state, { waiting: {} });
      assert.equal(s.podIP, '10.88.0.5');
      assert.deepEqual(s.podIPs, [{ ip: '10.88.0.5' }]);
      assert.equal(cond(s, 'PodReadyToStartContainers').status, 'True');
    },
  },
  {
    name: 'running: Running, ready and started, ids from the runtime',
    pod: aPod(['app']),
    observed: anObservedPod({ containers: [aContainer('app')] }),
    check: (s) => {
      assert.equal(s.phase, 'Running');
      const app = cs(s, 'app');
      assert.deepEqual(app.state, { running: { startedAt: new Date(T0 + 1100) } });
      assert.equal(app.ready, true);
      assert.equal(app.started, true);
      assert.equal(app.containerID, 'containerd://app-0');
      assert.equal(app.imageID, 'sha256:app00000');
      assert.equal(cond(s, 'Ready').status, 'True');
      assert.equal(cond(s, 'ContainersReady').status, 'True');
    },
  },
  {
    name: 'running with a readiness probe that has not succeeded: not ready',
    pod: aPod([{ name: 'app', readinessProbe: { exec: { command: ['true'] } } }]),
    observed: anObservedPod({ containers: [aContainer('app')] }),
    check: (s) => {
      assert.equal(s.phase, 'Running');
      assert.equal(cs(s, 'app').ready, false);
      assert.deepEqual(
        { status: cond(s, 'Ready').status, reason: cond(s, 'Ready').reason, message: cond(s, 'Ready').message },
        { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' },
      );
    },
  },
  {
    name: 'readiness probe succeeded (by container id): ready',
    pod: aPod([{ name: 'app', readinessProbe: { exec: { command: ['true'] } } }]),
    observed: anObservedPod({ containers: [aContainer('app')] }),
    ctx: { ready: new Map([['app-0', true]]) },
    check: (s) => assert.equal(cs(s, 'app').ready, true),
  },
  {
    name: 'startup probe pending: not started, so not ready either',
    pod: aPod([{ name: 'app', startupProbe: { exec: { command: ['true'] } } }]),
    observed: anObservedPod({ containers: [aContainer('app')] }),
    check: (s) => {
      assert.equal(cs(s, 'app').started, false);
      assert.equal(cs(s, 'app').ready, false);
    },
  },
  {
    name: 'Never, every container exited 0: Succeeded, PodCompleted conditions',
    pod: aPod(['a', 'b'], { restartPolicy: 'Never' }),
    observed: anObservedPod({ containers: [aContainer('a', { state: 'exited' }), aContainer('b', { state: 'exited' })] }),
    check: (s) => {
      assert.equal(s.phase, 'Succeeded');
      assert.deepEqual(cs(s, 'a').state, {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          startedAt: new Date(T0 + 1100),
          finishedAt: new Date(T0 + 6000),
          containerID: 'containerd://a-0',
        },
      });
      assert.equal(cond(s, 'Ready').reason, 'PodCompleted');
      assert.equal(cond(s, 'ContainersReady').reason, 'PodCompleted');
      assert.equal(cond(s, 'Initialized').reason, 'PodCompleted');
    },
  },
  {
    name: 'Never, one container exited 1: Failed',
    pod: aPod(['a', 'b'], { restartPolicy: 'Never' }),
    observed: anObservedPod({
      containers: [aContainer('a', { state: 'exited' }), aContainer('b', { state: 'exited', exitCode: 1 })],
    }),
    check: (s) => {
      assert.equal(s.phase, 'Failed');
      assert.equal(cs(s, 'b').state!.terminated!.reason, 'Error');
      assert.equal(cond(s, 'ContainersReady').reason, 'PodFailed');
    },
  },
  {
    name: 'Never, one exited and one still running: Running',
    pod: aPod(['a', 'b'], { restartPolicy: 'Never' }),
    observed: anObservedPod({ containers: [aContainer('a', { state: 'exited', exitCode: 2 }), aContainer('b')] }),
    check: (s) => assert.equal(s.phase, 'Running'),
  },
  {
    name: 'Always, crash looping: waiting CrashLoopBackOff, lastState the exit, restartCount from the newest',
    pod: aPod(['app']),
    observed: anObservedPod({
      containers: [
        aContainer('app', { state: 'exited', exitCode: 1, createdAt: T0 + 1000 }),
        aContainer('app', { state: 'exited', exitCode: 1, restartCount: 1, createdAt: T0 + 20_000 }),
      ],
    }),
    ctx: { waiting: waiting({ app: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app' } }) },
    check: (s) => {
      assert.equal(s.phase, 'Running');
      const app = cs(s, 'app');
      assert.deepEqual(app.state, {
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app' },
      });
      assert.equal(app.lastState!.terminated!.exitCode, 1);
      assert.equal(app.lastState!.terminated!.containerID, 'containerd://app-1');
      assert.equal(app.restartCount, 1);
      assert.equal(app.ready, false);
      assert.equal(cond(s, 'Ready').status, 'False');
    },
  },
  {
    name: 'Always, restarted and running again: lastState is the previous instance',
    pod: aPod(['app']),
    observed: anObservedPod({
      containers: [
        aContainer('app', { state: 'exited', exitCode: 137, reason: 'OOMKilled', createdAt: T0 + 1000 }),
        aContainer('app', { restartCount: 1, createdAt: T0 + 20_000 }),
      ],
    }),
    check: (s) => {
      const app = cs(s, 'app');
      assert.ok(app.state!.running);
      assert.equal(app.restartCount, 1);
      assert.equal(app.lastState!.terminated!.reason, 'OOMKilled');
      assert.equal(app.lastState!.terminated!.exitCode, 137);
    },
  },
  {
    name: 'OnFailure, exited 0: Succeeded',
    pod: aPod(['app'], { restartPolicy: 'OnFailure' }),
    observed: anObservedPod({ containers: [aContainer('app', { state: 'exited' })] }),
    check: (s) => assert.equal(s.phase, 'Succeeded'),
  },
  {
    name: 'OnFailure, exited 1 and backing off: Running',
    pod: aPod(['app'], { restartPolicy: 'OnFailure' }),
    observed: anObservedPod({ containers: [aContainer('app', { state: 'exited', exitCode: 1 })] }),
    ctx: { waiting: waiting({ app: { reason: 'CrashLoopBackOff', message: 'back-off' } }) },
    check: (s) => {
      assert.equal(s.phase, 'Running');
      assert.equal(cs(s, 'app').state!.waiting!.reason, 'CrashLoopBackOff');
    },
  },
  {
    name: 'Always, exited but the pod is terminal (being finished): Failed',
    pod: aPod(['app']),
    observed: anObservedPod({ containers: [aContainer('app', { state: 'exited', exitCode: 143 })] }),
    ctx: { podTerminal: true },
    check: (s) => assert.equal(s.phase, 'Failed'),
  },
  {
    name: 'ErrImagePull: waiting with the pull error, Pending',
    pod: aPod(['app']),
    observed: anObservedPod(),
    ctx: { waiting: waiting({ app: { reason: 'ErrImagePull', message: 'failed to pull image "app:1": not found' } }) },
    check: (s) => {
      assert.equal(s.phase, 'Pending');
      assert.deepEqual(cs(s, 'app').state, {
        waiting: { reason: 'ErrImagePull', message: 'failed to pull image "app:1": not found' },
      });
    },
  },
  {
    name: 'ImagePullBackOff: waiting with the back-off message',
    pod: aPod(['app']),
    observed: anObservedPod(),
    ctx: { waiting: waiting({ app: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "app:1"' } }) },
    check: (s) => {
      assert.equal(s.phase, 'Pending');
      assert.equal(cs(s, 'app').state!.waiting!.reason, 'ImagePullBackOff');
      assert.equal(cs(s, 'app').state!.waiting!.message, 'Back-off pulling image "app:1"');
    },
  },
  {
    name: 'CreateContainerConfigError on a running pod is not applied to the running container',
    pod: aPod(['app']),
    observed: anObservedPod({ containers: [aContainer('app')] }),
    ctx: { waiting: waiting({ app: { reason: 'CreateContainerConfigError', message: 'secret "s" not found' } }) },
    check: (s) => assert.ok(cs(s, 'app').state!.running),
  },
];

describe('computePodStatus: a pod’s life', () => {
  for (const c of cases) it(c.name, () => c.check(compute(c.pod, c.observed, c.ctx)));
});

describe('computePodStatus: the whole life in sequence', () => {
  it('Pending → Running → Succeeded under OnFailure, with the start time kept', () => {
    const pod = aPod(['app'], { restartPolicy: 'OnFailure' });
    const s1 = computePodStatus(pod, undefined, { now: T0, hostIP: '10.0.0.1', waiting: new Map() });
    assert.equal(s1.phase, 'Pending');
    const s2 = computePodStatus(pod, anObservedPod({ containers: [aContainer('app')] }), {
      now: T0 + 5000,
      hostIP: '10.0.0.1',
      waiting: new Map(),
      previous: s1,
    });
    assert.equal(s2.phase, 'Running');
    const s3 = computePodStatus(pod, anObservedPod({ containers: [aContainer('app', { state: 'exited' })] }), {
      now: T0 + 9000,
      hostIP: '10.0.0.1',
      waiting: new Map(),
      previous: s2,
    });
    assert.equal(s3.phase, 'Succeeded');
    assert.equal(s3.startTime!.getTime(), T0);
    // The Ready condition went False → True → False, each flip stamped when it happened.
    const ready = (s: V1PodStatus) => s.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready(s2).lastTransitionTime!.getTime(), T0 + 5000);
    assert.equal(ready(s3).lastTransitionTime!.getTime(), T0 + 9000);
    // PodScheduled never changed.
    assert.equal(s3.conditions!.find((c) => c.type === 'PodScheduled')!.lastTransitionTime!.getTime(), T0);
  });
});
