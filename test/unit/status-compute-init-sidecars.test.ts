// computePodStatus for init containers, sidecars, termination messages and containers the runtime lost (named table cases).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aContainer, anObservedPod, aPod, aSandbox, T0 } from '../support/observed-builders.js';
import { compute, cond, cs, waiting, type Case } from '../support/status-compute-cases.js';

const cases: Case[] = [
  {
    name: 'init container running: regular containers PodInitializing, Initialized False',
    pod: aPod(['app'], {}, ['init']),
    observed: anObservedPod({ containers: [aContainer('init')] }),
    check: (s) => {
      assert.equal(s.phase, 'Pending');
      assert.ok(cs(s, 'init').state!.running);
      assert.equal(cs(s, 'init').ready, false);
      assert.deepEqual(cs(s, 'app').state, { waiting: { reason: 'PodInitializing' } });
      const init = cond(s, 'Initialized');
      assert.deepEqual([init.status, init.reason, init.message], [
        'False',
        'ContainersNotInitialized',
        'containers with incomplete status: [init]',
      ]);
    },
  },
  {
    name: 'init container done, app running: Running, Initialized True, init ready',
    pod: aPod(['app'], {}, ['init']),
    observed: anObservedPod({
      containers: [aContainer('init', { state: 'exited' }), aContainer('app', { createdAt: T0 + 9000 })],
    }),
    check: (s) => {
      assert.equal(s.phase, 'Running');
      assert.equal(cs(s, 'init').state!.terminated!.reason, 'Completed');
      assert.equal(cs(s, 'init').ready, true);
      assert.equal(cond(s, 'Initialized').status, 'True');
      assert.equal(s.initContainerStatuses!.length, 1);
    },
  },
  {
    name: 'init container failed under Never: Failed',
    pod: aPod(['app'], { restartPolicy: 'Never' }, ['init']),
    observed: anObservedPod({ containers: [aContainer('init', { state: 'exited', exitCode: 1 })] }),
    check: (s) => assert.equal(s.phase, 'Failed'),
  },
  {
    name: 'init container crash looping under Always: Pending, init waiting with lastState',
    pod: aPod(['app'], {}, ['init']),
    observed: anObservedPod({ containers: [aContainer('init', { state: 'exited', exitCode: 1 })] }),
    ctx: { waiting: waiting({ init: { reason: 'CrashLoopBackOff', message: 'back-off' } }) },
    check: (s) => {
      assert.equal(s.phase, 'Pending');
      assert.equal(cs(s, 'init').state!.waiting!.reason, 'CrashLoopBackOff');
      assert.equal(cs(s, 'init').lastState!.terminated!.exitCode, 1);
    },
  },
  {
    name: 'init container record gone but app exists: treated as completed',
    pod: aPod(['app'], {}, ['init']),
    observed: anObservedPod({ containers: [aContainer('app')] }),
    check: (s) => {
      assert.equal(s.phase, 'Running');
      assert.equal(cs(s, 'init').state!.terminated!.reason, 'Completed');
      assert.equal(cs(s, 'init').state!.terminated!.exitCode, 0);
    },
  },
  {
    name: 'sidecar started and app running: Running, both count for readiness',
    pod: aPod(['app'], {}, [{ name: 'proxy', restartPolicy: 'Always' }]),
    observed: anObservedPod({ containers: [aContainer('proxy'), aContainer('app', { createdAt: T0 + 9000 })] }),
    check: (s) => {
      assert.equal(s.phase, 'Running');
      assert.equal(cs(s, 'proxy').started, true);
      assert.equal(cs(s, 'proxy').ready, true);
      assert.equal(cond(s, 'Initialized').status, 'True');
      assert.equal(cond(s, 'ContainersReady').status, 'True');
    },
  },
  {
    name: 'sidecar not started yet (startup probe): Pending, app PodInitializing',
    pod: aPod(['app'], {}, [{ name: 'proxy', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } }]),
    observed: anObservedPod({ containers: [aContainer('proxy')] }),
    check: (s) => {
      assert.equal(s.phase, 'Pending');
      assert.equal(cs(s, 'proxy').started, false);
      assert.equal(cs(s, 'app').state!.waiting!.reason, 'PodInitializing');
      assert.equal(cond(s, 'Initialized').message, 'containers with incomplete status: [proxy]');
    },
  },
  {
    name: 'sidecar crash looping after the app started, under Never: still Running, sidecar unready',
    pod: aPod(['app'], { restartPolicy: 'Never' }, [{ name: 'proxy', restartPolicy: 'Always' }]),
    observed: anObservedPod({
      containers: [aContainer('proxy', { state: 'exited', exitCode: 1 }), aContainer('app', { createdAt: T0 + 9000 })],
    }),
    ctx: { waiting: waiting({ proxy: { reason: 'CrashLoopBackOff', message: 'back-off' } }) },
    check: (s) => {
      assert.equal(s.phase, 'Running');
      assert.equal(cs(s, 'proxy').state!.waiting!.reason, 'CrashLoopBackOff');
      assert.equal(cs(s, 'proxy').lastState!.terminated!.exitCode, 1);
      assert.equal(cond(s, 'ContainersReady').message, 'containers with unready status: [proxy]');
    },
  },
  {
    name: 'app done under Never while the sidecar still runs: Succeeded needs the sidecar gone, so Running',
    pod: aPod(['app'], { restartPolicy: 'Never' }, [{ name: 'proxy', restartPolicy: 'Always' }]),
    observed: anObservedPod({
      containers: [aContainer('proxy'), aContainer('app', { state: 'exited', createdAt: T0 + 9000 })],
    }),
    check: (s) => assert.equal(s.phase, 'Running'),
  },
  {
    name: 'app done under Never and the sidecar stopped: Succeeded',
    pod: aPod(['app'], { restartPolicy: 'Never' }, [{ name: 'proxy', restartPolicy: 'Always' }]),
    observed: anObservedPod({
      containers: [
        aContainer('proxy', { state: 'exited', exitCode: 143 }),
        aContainer('app', { state: 'exited', createdAt: T0 + 9000 }),
      ],
    }),
    ctx: { podTerminal: true },
    check: (s) => assert.equal(s.phase, 'Succeeded'),
  },
  {
    name: 'termination message joined to the runtime message',
    pod: aPod(['app'], { restartPolicy: 'Never' }),
    observed: anObservedPod({ containers: [aContainer('app', { state: 'exited', exitCode: 3, message: 'exit' })] }),
    ctx: { terminationMessages: new Map([['app-0', 'disk full']]) },
    check: (s) => assert.equal(cs(s, 'app').state!.terminated!.message, 'exit: disk full'),
  },
  {
    name: 'a container that was running and vanished: lastState ContainerStatusUnknown, restartCount + 1',
    pod: aPod(['app']),
    observed: anObservedPod(),
    ctx: {
      previous: {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', image: 'app:1', imageID: 'x', ready: true, restartCount: 2, state: { running: { startedAt: new Date(T0) } } },
        ],
      },
    },
    check: (s) => {
      const app = cs(s, 'app');
      assert.equal(app.state!.waiting!.reason, 'ContainerCreating');
      assert.equal(app.lastState!.terminated!.reason, 'ContainerStatusUnknown');
      assert.equal(app.lastState!.terminated!.exitCode, 137);
      assert.equal(app.restartCount, 3);
      // The vanished container stopped, so the pod is not pushed back to Pending.
      assert.equal(s.phase, 'Running');
    },
  },
  {
    name: 'runtime says unknown for a container that was running: terminated ContainerStatusUnknown',
    pod: aPod(['app'], { restartPolicy: 'Never' }),
    observed: anObservedPod({ containers: [aContainer('app', { state: 'unknown' })] }),
    ctx: {
      previous: {
        containerStatuses: [
          { name: 'app', image: 'app:1', imageID: 'x', ready: true, restartCount: 0, state: { running: {} } },
        ],
      },
    },
    check: (s) => {
      assert.equal(cs(s, 'app').state!.terminated!.reason, 'ContainerStatusUnknown');
      assert.equal(cs(s, 'app').restartCount, 1);
    },
  },
  {
    name: 'a terminal phase is never left: previous Succeeded stays Succeeded',
    pod: aPod(['app'], { restartPolicy: 'Never' }),
    observed: anObservedPod(),
    ctx: { previous: { phase: 'Succeeded', reason: 'Done', message: 'all done' } },
    check: (s) => {
      assert.equal(s.phase, 'Succeeded');
      assert.equal(s.reason, 'Done');
      assert.equal(s.message, 'all done');
    },
  },
  {
    name: 'pod.status from the source says Failed: Failed',
    pod: { ...aPod(['app']), status: { phase: 'Failed' } },
    observed: anObservedPod({ containers: [aContainer('app')] }),
    check: (s) => assert.equal(s.phase, 'Failed'),
  },
  {
    name: 'host-network pod: podIP is the node address',
    pod: aPod(['app'], { hostNetwork: true }),
    observed: anObservedPod({ sandboxes: [aSandbox({ ip: '', hostNetwork: true })], containers: [aContainer('app')] }),
    check: (s) => {
      assert.equal(s.podIP, '192.168.1.10');
      assert.equal(cond(s, 'PodReadyToStartContainers').status, 'True');
    },
  },
  {
    name: 'newest sandbox not ready: no pod IP, not ready to start containers',
    pod: aPod(['app']),
    observed: anObservedPod({ sandboxes: [aSandbox({ state: 'notready' })] }),
    check: (s) => {
      assert.equal(s.podIP, undefined);
      assert.equal(cond(s, 'PodReadyToStartContainers').status, 'False');
    },
  },
  {
    name: 'startTime is kept from the previous status',
    pod: aPod(['app']),
    observed: anObservedPod({ containers: [aContainer('app')] }),
    ctx: { previous: { startTime: new Date(T0) } },
    check: (s) => assert.equal(s.startTime!.getTime(), T0),
  },
  {
    name: 'statuses come in spec order, init list apart',
    pod: aPod(['zeta', 'alpha'], {}, ['init-b', 'init-a']),
    observed: undefined,
    check: (s) => {
      assert.deepEqual(s.containerStatuses!.map((c) => c.name), ['zeta', 'alpha']);
      assert.deepEqual(s.initContainerStatuses!.map((c) => c.name), ['init-b', 'init-a']);
    },
  },
];

describe('computePodStatus: init containers, sidecars and lost containers', () => {
  for (const c of cases) it(c.name, () => c.check(compute(c.pod, c.observed, c.ctx)));
});
