// Tests the PLEG against the fake CRI: events, selective re-inspection, cache freshness, health, races and ownership.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status as Status } from '@grpc/grpc-js';
import { criError } from '../../src/cri/errors.js';
import type { PodSandboxConfig } from '../../src/cri/types.js';
import { PodCache } from '../../src/pleg/cache.js';
import { GenericPLEG, type PodLifecycleEvent } from '../../src/pleg/generic.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL, ownershipSelector } from '../../src/runtime/labels.js';
import { FakeCri } from '../support/fake-cri.js';

const NODE = 'node-a';

function setup() {
  const clock = { t: Date.parse('2026-01-01T00:00:00Z'), now: () => clock.t };
  const cri = new FakeCri({ now: clock.now });
  cri.addImage('busybox:1.36');
  const cache = new PodCache();
  const errors: object[] = [];
  const logger = { debug() {}, info() {}, error: (o: object) => void errors.push(o) };
  const pleg = new GenericPLEG({ cri, nodeName: NODE, cache, clock, logger });
  const events: PodLifecycleEvent[] = [];
  pleg.subscribe((e) => events.push(e));
  /** Relists after moving the clock on, and returns "Type:id" for the events it sent. */
  const relist = async (advanceMs = 1000) => {
    clock.t += advanceMs;
    events.length = 0;
    await pleg.relist();
    return events.map((e) => `${e.type}:${e.data}`);
  };
  return { clock, cri, cache, pleg, events, relist, errors };
}

/** A pod as the executor would make it: an owned sandbox and one created (not started) container per name. */
async function makePod(cri: FakeCri, uid: string, names: string[], labels = ownershipSelector(NODE)) {
  const sb: PodSandboxConfig = {
    metadata: { name: `pod-${uid}`, uid, namespace: 'default', attempt: 0 },
    labels: { [POD_UID_LABEL]: uid, ...labels },
  };
  const sandboxId = await cri.runPodSandbox(sb);
  const containerIds: string[] = [];
  for (const name of names) {
    containerIds.push(
      await cri.createContainer(sandboxId, { metadata: { name, attempt: 0 }, image: { image: 'busybox:1.36' }, labels: { ...sb.labels, [CONTAINER_NAME_LABEL]: name } }, sb),
    );
  }
  return { sandboxId, containerIds };
}

const inspectCalls = (cri: FakeCri) =>
  cri.calls.filter((c) => c.method === 'podSandboxStatus' || c.method === 'containerStatus').map((c) => `${c.method}:${c.args[0]}`);

test('events follow a container through created, started, died and removed, and a sandbox through its states', async () => {
  const { cri, cache, relist } = setup();
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  // A created container is ContainerChanged, which the kubelet does not send; the pod is still cached.
  assert.deepEqual(await relist(), [`SandboxChanged:${sandboxId}`]);
  assert.equal(cache.get('u1')?.containers[0]?.state, 'created');

  await cri.startContainer(c!);
  assert.deepEqual(await relist(), [`ContainerStarted:${c}`]);
  assert.equal(cache.get('u1')?.containers[0]?.state, 'running');

  cri.exitContainer(c!, 1);
  assert.deepEqual(await relist(), [`ContainerDied:${c}`]);
  assert.equal(cache.get('u1')?.containers[0]?.exitCode, 1);

  await cri.removeContainer(c!);
  assert.deepEqual(await relist(), [`ContainerRemoved:${c}`]);
  assert.deepEqual(cache.get('u1')?.containers, []);

  await cri.stopPodSandbox(sandboxId);
  assert.deepEqual(await relist(), [`SandboxChanged:${sandboxId}`]);
  assert.equal(cache.get('u1')?.sandboxes[0]?.state, 'notready');
  assert.deepEqual(await relist(), []);
});

test('a pod that vanished entirely is dropped from the cache, its live containers died and were removed', async () => {
  const { cri, cache, relist } = setup();
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await cri.startContainer(c!);
  await relist();
  await cri.removePodSandbox(sandboxId);
  assert.deepEqual(await relist(), [`ContainerDied:${c}`, `ContainerRemoved:${c}`, `SandboxChanged:${sandboxId}`]);
  assert.equal(cache.get('u1'), undefined);
  assert.deepEqual(cache.uids(), []);
});

test('a relist with no change costs two list calls; a change re-inspects only that pod', async () => {
  const { cri, relist } = setup();
  const pods = await Promise.all(['u1', 'u2', 'u3'].map((uid) => makePod(cri, uid, ['app', 'side'])));
  for (const p of pods) for (const c of p.containerIds) await cri.startContainer(c);
  await relist();

  cri.calls.length = 0;
  assert.deepEqual(await relist(), []);
  assert.deepEqual(cri.calls.map((c) => c.method).sort(), ['listContainers', 'listPodSandbox']);

  const [app2, side2] = pods[1]!.containerIds;
  cri.exitContainer(app2!, 0);
  cri.calls.length = 0;
  assert.deepEqual(await relist(), [`ContainerDied:${app2}`]);
  assert.deepEqual(inspectCalls(cri).sort(), [`containerStatus:${app2}`, `containerStatus:${side2}`, `podSandboxStatus:${pods[1]!.sandboxId}`].sort());
});

test('getNewerThan on an unchanged pod resolves with the relist that follows (cache.UpdateTime)', async () => {
  const { cri, cache, clock, relist } = setup();
  await makePod(cri, 'u1', ['app']);
  await relist();
  const before = cache.get('u1');
  const waitFrom = clock.t + 1;
  let resolved: unknown = 'pending';
  const p = cache.getNewerThan('u1', waitFrom).then((v) => (resolved = v));
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, 'pending');
  await relist(1);
  await p;
  assert.equal(resolved, before);
});

test('health: not healthy before a relist, healthy after, unhealthy 3 minutes after the last success', async () => {
  const { cri, pleg, clock, relist, errors } = setup();
  assert.deepEqual(pleg.healthy(), { ok: false, message: 'pleg has yet to be successful' });
  await relist();
  assert.equal(pleg.healthy().ok, true);
  assert.equal(pleg.lastRelist().at, clock.t);

  clock.t += 3 * 60 * 1000;
  assert.equal(pleg.healthy().ok, true);
  // A failed relist neither throws nor refreshes the health timestamp.
  cri.failNext('listPodSandbox', criError(Status.UNAVAILABLE, 'ListPodSandbox', 'connection refused'));
  await relist(1);
  assert.equal(errors.length, 1);
  const h = pleg.healthy();
  assert.equal(h.ok, false);
  assert.match(h.message, /last seen active 180001ms ago; threshold is 180000ms/);
  await relist(1);
  assert.equal(pleg.healthy().ok, true);
});

test('a container removed between list and status is skipped; the rest of the pod is cached', async () => {
  const { cri, cache, relist } = setup();
  const { containerIds: [a, b] } = await makePod(cri, 'u1', ['a', 'b']);
  cri.failNext('containerStatus', criError(Status.NOT_FOUND, 'ContainerStatus', `container "${a}": not found`));
  await relist();
  const ids = cache.get('u1')?.containers.map((c) => c.id) ?? [];
  assert.equal(ids.length, 1);
  assert.ok(ids[0] === a || ids[0] === b);
});

test('an inspection that fails is retried next relist, its events sent only then, and waiters are not misled meanwhile', async () => {
  const { cri, cache, clock, relist, errors } = setup();
  const { containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await relist();
  await cri.startContainer(c!);
  cri.failNext('containerStatus', criError(Status.UNKNOWN, 'ContainerStatus', 'boom'));
  const waiter = cache.getNewerThan('u1', clock.t + 1000);
  let done = false;
  void waiter.then(() => (done = true));
  assert.deepEqual(await relist(), []);
  assert.equal(errors.length, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'a pod whose inspection failed must not look fresh');
  assert.equal(cache.get('u1')?.containers[0]?.state, 'created');

  assert.deepEqual(await relist(), [`ContainerStarted:${c}`]);
  assert.equal((await waiter)?.containers[0]?.state, 'running');
});

test('objects without our ownership labels, or of another node, are ignored', async () => {
  const { cri, cache, relist } = setup();
  await makePod(cri, 'foreign', ['app'], {});
  await makePod(cri, 'other-node', ['app'], ownershipSelector('node-b'));
  const mine = await makePod(cri, 'mine', ['app']);
  assert.deepEqual(await relist(), [`SandboxChanged:${mine.sandboxId}`]);
  assert.deepEqual(cache.uids(), ['mine']);
  assert.equal(cri.calls.filter((c) => c.method === 'containerStatus').length, 1);
});

test('updatePod re-inspects one pod now, and reports an empty pod once it is gone', async () => {
  const { cri, cache, pleg, clock, relist } = setup();
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await makePod(cri, 'u2', ['app']);
  await relist();
  await cri.startContainer(c!);
  clock.t += 5;
  cri.calls.length = 0;
  const pod = await pleg.updatePod('u1');
  assert.equal(pod.containers[0]?.state, 'running');
  assert.equal(pod.timestamp, clock.t);
  assert.equal(cache.get('u1'), pod);
  assert.deepEqual(inspectCalls(cri).sort(), [`containerStatus:${c}`, `podSandboxStatus:${sandboxId}`].sort());

  await cri.removePodSandbox(sandboxId);
  const gone = await pleg.updatePod('u1');
  assert.deepEqual([gone.uid, gone.sandboxes, gone.containers], ['u1', [], []]);
  assert.equal(cache.get('u1'), undefined);
});

test('relists never overlap: callers during a relist share it, and timer ticks are skipped', async () => {
  const { cri } = setup();
  await makePod(cri, 'u1', ['app']);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let lists = 0;
  // The fake's methods are read-only: shadow listPodSandbox on an object that inherits the rest.
  const slow: FakeCri = Object.create(cri, {
    listPodSandbox: {
      value: async (...args: Parameters<FakeCri['listPodSandbox']>) => {
        lists++;
        await gate;
        return cri.listPodSandbox(...args);
      },
    },
  });
  const logger = { debug() {}, info() {}, error() {} };
  const pleg = new GenericPLEG({ cri: slow, nodeName: NODE, cache: new PodCache(), clock: { now: Date.now }, logger, relistPeriodMs: 5 });
  const first = pleg.relist();
  assert.equal(pleg.relist(), first);
  pleg.start();
  await new Promise((r) => setTimeout(r, 40)); // several ticks land while the relist is stuck
  pleg.stop();
  assert.equal(lists, 1);
  release();
  await first;
  assert.equal(pleg.healthy().ok, true);
});

test('a pod removed while a relist was listing, after a worker cached it, does not stay in the cache', async () => {
  const { clock, cri, cache, pleg, relist } = setup();
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await cri.startContainer(c!);
  await relist();
  // The relist begins (its timestamp is taken), but the list answers only after a worker has
  // cached the pod once more (a newer entry) and removed it: the relist finds no pod.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const listSandboxes = cri.listPodSandbox.bind(cri);
  const listContainers = cri.listContainers.bind(cri);
  let held = 2;
  const hold = async () => {
    if (held > 0) {
      held--;
      await gate;
    }
  };
  cri.listPodSandbox = async (...args: Parameters<FakeCri['listPodSandbox']>) => (await hold(), listSandboxes(...args));
  cri.listContainers = async (...args: Parameters<FakeCri['listContainers']>) => (await hold(), listContainers(...args));
  clock.t += 1000;
  const racing = pleg.relist();
  clock.t += 10;
  await pleg.updatePod('u1');
  await cri.stopPodSandbox(sandboxId);
  await cri.removePodSandbox(sandboxId);
  release();
  await racing;
  cri.listPodSandbox = listSandboxes;
  cri.listContainers = listContainers;
  // The entry the worker wrote is newer than that relist, so it survived it; the next one must drop it.
  await relist();
  assert.equal(cache.get('u1'), undefined);
  assert.deepEqual(cache.uids(), []);
});

test('a relist whose inspection of a pod answers after its worker removed it does not bring the pod back', async () => {
  const { clock, cri, cache, pleg, relist } = setup();
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await cri.startContainer(c!);
  await relist();
  await cri.stopContainer(c!, 0);
  // The relist lists the pod (its container died, so it is inspected), and the runtime's answer
  // to PodSandboxStatus is on its way back while the worker removes the pod and looks again.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sandboxStatus = cri.podSandboxStatus.bind(cri);
  let answered!: () => void;
  const inFlight = new Promise<void>((r) => (answered = r));
  cri.podSandboxStatus = async (...args: Parameters<FakeCri['podSandboxStatus']>) => {
    const answer = await sandboxStatus(...args);
    answered();
    await gate;
    return answer;
  };
  clock.t += 1000;
  const racing = pleg.relist();
  await inFlight;
  cri.podSandboxStatus = sandboxStatus;
  await cri.removeContainer(c!);
  await cri.stopPodSandbox(sandboxId);
  await cri.removePodSandbox(sandboxId);
  clock.t += 10;
  assert.equal((await pleg.updatePod('u1')).sandboxes.length, 0);
  release();
  await racing;
  // Housekeeping would take a pod left in the cache, with no worker and no source, for an orphan.
  assert.equal(cache.get('u1'), undefined);
  assert.deepEqual(cache.uids(), []);
});

test('a pod a worker cached and removed between two relists is dropped by the next relist', async () => {
  const { cri, cache, pleg, relist } = setup();
  await relist();
  // Made, cached by its worker (updatePod), and removed again, all before any relist saw it.
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await cri.startContainer(c!);
  await pleg.updatePod('u1');
  await cri.stopPodSandbox(sandboxId);
  await cri.removePodSandbox(sandboxId);
  assert.notEqual(cache.get('u1'), undefined);
  await relist();
  assert.deepEqual(cache.uids(), []);
});

test('a relist does not re-inspect a pod a worker already saw as listed; its events are still sent', async () => {
  const { clock, cri, cache, pleg, relist } = setup();
  await relist();
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await cri.startContainer(c!);
  await pleg.updatePod('u1'); // the worker, right after starting the container
  cri.calls.length = 0;
  assert.deepEqual((await relist()).sort(), [`ContainerStarted:${c}`, `SandboxChanged:${sandboxId}`]);
  assert.deepEqual(inspectCalls(cri), []);
  assert.equal(cache.timestampOf('u1'), clock.t, 'vouched for as of this relist');
  assert.equal(cache.get('u1')?.containers[0]?.state, 'running');
});

test('a relist re-inspects a pod when the runtime moved on since the worker looked', async () => {
  const { cri, cache, pleg, relist } = setup();
  await relist();
  const { sandboxId, containerIds: [c] } = await makePod(cri, 'u1', ['app']);
  await cri.startContainer(c!);
  await pleg.updatePod('u1');
  cri.exitContainer(c!, 3);
  cri.calls.length = 0;
  assert.deepEqual((await relist()).sort(), [`ContainerDied:${c}`, `SandboxChanged:${sandboxId}`]);
  assert.deepEqual(inspectCalls(cri).sort(), [`containerStatus:${c}`, `podSandboxStatus:${sandboxId}`]);
  assert.equal(cache.get('u1')?.containers[0]?.exitCode, 3);
});
