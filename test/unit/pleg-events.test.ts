// Tests relist diffing: container and sandbox state transitions to pod lifecycle events (kubelet generateEvents table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ContainerState, PodSandbox, PodSandboxState } from '../../src/cri/types.js';
import fc from 'fast-check';
import { computePodEvents, groupByPod, isDelivered, recordMatches, recordOf, type PodRecord } from '../../src/pleg/events.js';

const rec = (containers: Record<string, ContainerState> = {}, sandboxes: Record<string, PodSandboxState> = {}): PodRecord => ({
  containers: new Map(Object.entries(containers)),
  sandboxes: new Map(Object.entries(sandboxes)),
});

const cases: { name: string; old?: ContainerState; now?: ContainerState; want: string[] }[] = [
  { name: 'new running container is started', now: 'CONTAINER_RUNNING', want: ['ContainerStarted'] },
  { name: 'created then running is started', old: 'CONTAINER_CREATED', now: 'CONTAINER_RUNNING', want: ['ContainerStarted'] },
  { name: 'running then exited died', old: 'CONTAINER_RUNNING', now: 'CONTAINER_EXITED', want: ['ContainerDied'] },
  { name: 'created then exited died', old: 'CONTAINER_CREATED', now: 'CONTAINER_EXITED', want: ['ContainerDied'] },
  { name: 'exited then gone is only removed', old: 'CONTAINER_EXITED', want: ['ContainerRemoved'] },
  { name: 'running then gone died and was removed', old: 'CONTAINER_RUNNING', want: ['ContainerDied', 'ContainerRemoved'] },
  { name: 'new created container is changed', now: 'CONTAINER_CREATED', want: ['ContainerChanged'] },
  { name: 'running then unknown is changed', old: 'CONTAINER_RUNNING', now: 'CONTAINER_UNKNOWN', want: ['ContainerChanged'] },
  { name: 'created then unknown is no change (both unknown to the PLEG)', old: 'CONTAINER_CREATED', now: 'CONTAINER_UNKNOWN', want: [] },
  { name: 'running stays running', old: 'CONTAINER_RUNNING', now: 'CONTAINER_RUNNING', want: [] },
  { name: 'new exited container died', now: 'CONTAINER_EXITED', want: ['ContainerDied'] },
];

for (const c of cases) {
  test(`container: ${c.name}`, () => {
    const old = c.old ? rec({ c1: c.old }) : rec();
    const now = c.now ? rec({ c1: c.now }) : rec();
    const events = computePodEvents('u1', old, now);
    assert.deepEqual(events.map((e) => e.type), c.want);
    for (const e of events) assert.deepEqual([e.uid, e.data], ['u1', 'c1']);
  });
}

test('sandbox: every state change, appearing and vanishing included, is SandboxChanged', () => {
  assert.deepEqual(computePodEvents('u1', undefined, rec({}, { s1: 'SANDBOX_READY' })), [
    { uid: 'u1', type: 'SandboxChanged', data: 's1' },
  ]);
  assert.deepEqual(
    computePodEvents('u1', rec({}, { s1: 'SANDBOX_READY' }), rec({}, { s1: 'SANDBOX_NOTREADY' })).map((e) => e.type),
    ['SandboxChanged'],
  );
  assert.deepEqual(computePodEvents('u1', rec({}, { s1: 'SANDBOX_READY' }), rec({}, { s1: 'SANDBOX_READY' })), []);
});

test('a vanished pod: its live container died and was removed, the exited one removed, the sandbox changed', () => {
  const old = rec({ a: 'CONTAINER_RUNNING', b: 'CONTAINER_EXITED' }, { s1: 'SANDBOX_READY' });
  const events = computePodEvents('u1', old, undefined);
  assert.deepEqual(
    events.map((e) => `${e.type}:${e.data}`),
    ['ContainerDied:a', 'ContainerRemoved:a', 'ContainerRemoved:b', 'SandboxChanged:s1'],
  );
});

test('ContainerChanged is computed but not delivered (kubelet relist)', () => {
  assert.equal(isDelivered({ uid: 'u', type: 'ContainerChanged', data: 'c' }), false);
  assert.equal(isDelivered({ uid: 'u', type: 'ContainerStarted', data: 'c' }), true);
});

test('groupByPod groups by the pod UID label and drops objects without one', () => {
  const uidLabel = (uid?: string): Record<string, string> => (uid ? { 'io.kubernetes.pod.uid': uid } : {});
  const sb = (id: string, uid: string): PodSandbox => ({
    id, metadata: { name: 'p', uid, namespace: 'd', attempt: 0 }, state: 'SANDBOX_READY', createdAt: 1,
    labels: uidLabel(uid), annotations: {}, runtimeHandler: '',
  });
  const ct = (id: string, uid?: string): Container => ({
    id, podSandboxId: 's', metadata: { name: 'c', attempt: 0 }, image: { image: 'i' }, imageRef: '',
    state: 'CONTAINER_RUNNING', createdAt: 1, labels: uidLabel(uid), annotations: {},
  });
  const groups = groupByPod({
    sandboxes: [sb('s1', 'u1'), sb('s2', 'u2')],
    containers: [ct('c1', 'u1'), ct('c2'), ct('c3', 'u3')],
  });
  assert.deepEqual([...groups.keys()].sort(), ['u1', 'u2', 'u3']);
  assert.deepEqual(groups.get('u1')?.containers.map((c) => c.id), ['c1']);
  assert.deepEqual(groups.get('u3')?.sandboxes, []);
});

const listing = (containers: Record<string, ContainerState>, sandboxes: Record<string, PodSandboxState> = {}) => ({
  containers: Object.entries(containers).map(([id, state]) => ({ id, state }) as Container),
  sandboxes: Object.entries(sandboxes).map(([id, state]) => ({ id, state }) as PodSandbox),
});

const matchCases: { name: string; record: PodRecord; group: ReturnType<typeof listing>; want: boolean }[] = [
  { name: 'same ids, same states', record: rec({ a: 'CONTAINER_RUNNING' }, { s: 'SANDBOX_READY' }), group: listing({ a: 'CONTAINER_RUNNING' }, { s: 'SANDBOX_READY' }), want: true },
  { name: 'a container changed state', record: rec({ a: 'CONTAINER_RUNNING' }), group: listing({ a: 'CONTAINER_EXITED' }), want: false },
  { name: 'a container appeared', record: rec({ a: 'CONTAINER_RUNNING' }), group: listing({ a: 'CONTAINER_RUNNING', b: 'CONTAINER_CREATED' }), want: false },
  { name: 'a container was replaced by another id', record: rec({ a: 'CONTAINER_EXITED' }), group: listing({ b: 'CONTAINER_EXITED' }), want: false },
  { name: 'the sandbox went not ready', record: rec({}, { s: 'SANDBOX_READY' }), group: listing({}, { s: 'SANDBOX_NOTREADY' }), want: false },
  { name: 'created then unknown differ here, though the PLEG sends nothing for it', record: rec({ a: 'CONTAINER_CREATED' }), group: listing({ a: 'CONTAINER_UNKNOWN' }), want: false },
];

for (const c of matchCases) {
  test(`recordMatches: ${c.name}`, () => {
    assert.equal(recordMatches(c.record, c.group), c.want);
  });
}

test('recordMatches: a matching listing never has events (the relist may skip computePodEvents)', () => {
  const state = fc.constantFrom<ContainerState>('CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN');
  const sbState = fc.constantFrom<PodSandboxState>('SANDBOX_READY', 'SANDBOX_NOTREADY');
  const ids = <T extends string>(a: fc.Arbitrary<T>) => fc.dictionary(fc.constantFrom('a', 'b', 'c'), a, { maxKeys: 3 }) as fc.Arbitrary<Record<string, T>>;
  fc.assert(
    fc.property(ids(state), ids(sbState), ids(state), ids(sbState), (oldC, oldS, newC, newS) => {
      const group = listing(newC, newS);
      if (recordMatches(rec(oldC, oldS), group)) assert.deepEqual(computePodEvents('u', rec(oldC, oldS), recordOf(group)), []);
      assert.ok(recordMatches(recordOf(group), group), 'a listing matches its own record');
    }),
  );
});
