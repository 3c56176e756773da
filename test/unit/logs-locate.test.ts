// Which log a request means (validateContainerLogStatus), where its file is, and how a follower moves on after a restart.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContainerLogsError, containerIdForLogs, findPodContainer, followSourceFor, logInstanceFor, type ContainerLogsView } from '../../src/logs/locate.js';
import type { ObservedContainer, ObservedPod } from '../../src/runtime/types.js';

function pod(status: Partial<V1ContainerStatus> | undefined, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { name: 'web-node1', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...extra },
    status: {
      phase: 'Running',
      containerStatuses: status ? [{ name: 'main', image: 'busybox', imageID: '', ready: false, restartCount: 0, ...status }] : [],
    },
  };
}

function observedContainer(id: string, restartCount: number, state: ObservedContainer['state'], exitCode = 0): ObservedContainer {
  return {
    id, name: 'main', sandboxId: 's1', restartCount, state, createdAt: restartCount + 1, startedAt: state === 'created' ? 0 : 1,
    finishedAt: 0, exitCode, reason: '', message: '', image: 'busybox', imageRef: '', hash: '',
    logPath: `/logs/default_web-node1_u1/main/${restartCount}.log`, annotations: {},
  };
}

function view(pods: V1Pod[], containers: ObservedContainer[]): ContainerLogsView {
  const observed: ObservedPod = { uid: 'u1', name: 'web-node1', namespace: 'default', sandboxes: [], containers, timestamp: 0 };
  return { pods: () => pods, observed: (uid) => (uid === 'u1' ? observed : undefined), podLogsDir: '/var/log/pods' };
}

const running = { running: { startedAt: new Date(0) } };
const terminated = (containerID?: string) => ({ terminated: { exitCode: 1, ...(containerID ? { containerID } : {}) } });

describe('containerIdForLogs (validateContainerLogStatus)', () => {
  const cases: { name: string; status?: Partial<V1ContainerStatus>; previous?: boolean; want: string | RegExp }[] = [
    { name: 'running: the running instance', status: { state: running, containerID: 'containerd://c2' }, want: 'c2' },
    {
      name: 'previous: the last terminated instance',
      status: { state: running, containerID: 'containerd://c2', lastState: terminated('containerd://c1') },
      previous: true,
      want: 'c1',
    },
    {
      name: 'previous without a terminated instance',
      status: { state: running, containerID: 'containerd://c2' },
      previous: true,
      want: /^previous terminated container "main" in pod "web-node1" not found$/,
    },
    { name: 'terminated: that instance', status: { state: terminated('containerd://c3') }, want: 'c3' },
    {
      name: 'terminated without an id: the last terminated one',
      status: { state: terminated(), lastState: terminated('containerd://c1') },
      want: 'c1',
    },
    { name: 'terminated without any id', status: { state: terminated() }, want: /^container "main" in pod "web-node1" is terminated$/ },
    {
      name: 'waiting in back-off: the last terminated instance',
      status: { state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: terminated('containerd://c4') },
      want: 'c4',
    },
    {
      name: 'waiting for its image',
      status: { state: { waiting: { reason: 'ErrImagePull' } } },
      want: /^container "main" in pod "web-node1" is waiting to start: image can't be pulled$/,
    },
    {
      name: 'waiting for another reason',
      status: { state: { waiting: { reason: 'ContainerCreating' } } },
      want: /is waiting to start: ContainerCreating$/,
    },
    { name: 'no status yet', status: undefined, want: /^container "main" in pod "web-node1" is not available$/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const p = pod(c.status);
      if (typeof c.want === 'string') assert.equal(containerIdForLogs(p, 'main', c.previous ?? false), c.want);
      else {
        assert.throws(() => containerIdForLogs(p, 'main', c.previous ?? false), (err: unknown) => {
          assert.ok(err instanceof ContainerLogsError);
          assert.equal(err.status, 400);
          assert.match(err.message, c.want as RegExp);
          return true;
        });
      }
    });
  }
});

describe('findPodContainer', () => {
  const v = view([pod({ state: running }, { initContainers: [{ name: 'setup', image: 'busybox' }] })], []);
  test('a regular or an init container', () => {
    assert.equal(findPodContainer(v, 'default', 'web-node1', 'main').isInit, false);
    assert.equal(findPodContainer(v, 'default', 'web-node1', 'setup').isInit, true);
  });
  test('404s name what is missing', () => {
    assert.throws(() => findPodContainer(v, 'default', 'nope', 'main'), { status: 404, message: 'pod "nope" does not exist' });
    assert.throws(() => findPodContainer(v, 'other', 'web-node1', 'main'), { status: 404 });
    assert.throws(() => findPodContainer(v, 'default', 'web-node1', 'x'), { status: 404, message: 'container "x" not found in pod "web-node1"' });
  });
});

describe('logInstanceFor', () => {
  test("the runtime's log path for the container", () => {
    const p = pod({ state: running, containerID: 'containerd://c1', restartCount: 1 });
    const v = view([p], [observedContainer('c1', 1, 'running'), observedContainer('c0', 0, 'exited')]);
    assert.deepEqual(logInstanceFor(v, p, 'main', false), { containerId: 'c1', path: '/logs/default_web-node1_u1/main/1.log', restartCount: 1 });
  });
  test('a container the runtime no longer lists: the restartCount file under --pod-logs-dir', () => {
    const p = pod({ state: running, containerID: 'containerd://c3', restartCount: 3, lastState: terminated('containerd://gone') });
    const v = view([p], [observedContainer('c3', 3, 'running')]);
    assert.equal(logInstanceFor(v, p, 'main', true).path, '/var/log/pods/default_web-node1_u1/main/2.log');
    const backOff = pod({ state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 3, lastState: terminated('containerd://gone') });
    assert.equal(logInstanceFor(view([backOff], []), backOff, 'main', false).path, '/var/log/pods/default_web-node1_u1/main/3.log');
  });
});

describe('followSourceFor: after an instance ends', () => {
  const c0 = { containerId: 'c0', path: '/x/0.log', restartCount: 0 };
  const cases: {
    name: string;
    spec?: Partial<V1Pod['spec']>;
    containers: ObservedContainer[];
    podGone?: boolean;
    phase?: string;
    want: 'wait' | 'done' | string;
  }[] = [
    { name: 'restartPolicy Always: wait for the restart', containers: [observedContainer('c0', 0, 'exited')], want: 'wait' },
    { name: 'the next instance once it started', containers: [observedContainer('c1', 1, 'running'), observedContainer('c0', 0, 'exited')], want: 'c1' },
    {
      name: 'the oldest later instance, so none is skipped',
      containers: [observedContainer('c2', 2, 'running'), observedContainer('c1', 1, 'exited'), observedContainer('c0', 0, 'exited')],
      want: 'c1',
    },
    { name: 'a created, not started instance is waited for', containers: [observedContainer('c1', 1, 'created'), observedContainer('c0', 0, 'exited')], want: 'wait' },
    { name: 'restartPolicy Never: done', spec: { restartPolicy: 'Never' }, containers: [observedContainer('c0', 0, 'exited', 1)], want: 'done' },
    { name: 'OnFailure after a success: done', spec: { restartPolicy: 'OnFailure' }, containers: [observedContainer('c0', 0, 'exited', 0)], want: 'done' },
    { name: 'OnFailure after a failure: wait', spec: { restartPolicy: 'OnFailure' }, containers: [observedContainer('c0', 0, 'exited', 2)], want: 'wait' },
    { name: 'the pod is gone: done', podGone: true, containers: [observedContainer('c0', 0, 'exited')], want: 'done' },
    { name: 'the pod finished: done', phase: 'Failed', containers: [observedContainer('c0', 0, 'exited', 1)], want: 'done' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const p = pod({ state: running }, c.spec);
      if (c.phase) p.status!.phase = c.phase;
      const v = view(c.podGone ? [] : [p], c.containers);
      const next = await followSourceFor(v, 'u1', p.spec!.containers[0]!, false).next(c0);
      assert.equal(typeof next === 'string' ? next : next.containerId, c.want);
    });
  }

  test('an init container that succeeded is done; a sidecar always comes back', async () => {
    const p = pod({ state: running });
    const v = view([p], [observedContainer('c0', 0, 'exited', 0)]);
    assert.equal(await followSourceFor(v, 'u1', { name: 'main' }, true).next(c0), 'done');
    assert.equal(await followSourceFor(v, 'u1', { name: 'main', restartPolicy: 'Always' }, true).next(c0), 'wait');
  });

  test('isRunning follows the runtime cache', async () => {
    const v = view([pod({ state: running })], [observedContainer('c0', 0, 'running'), observedContainer('c9', 1, 'exited')]);
    const f = followSourceFor(v, 'u1', { name: 'main' }, false);
    assert.equal(await f.isRunning(c0), true);
    assert.equal(await f.isRunning({ ...c0, containerId: 'c9' }), false);
    assert.equal(await f.isRunning({ ...c0, containerId: 'unknown' }), false);
  });
});
