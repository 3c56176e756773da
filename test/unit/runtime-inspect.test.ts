// Tests reading the runtime: ownership filtering, CRI→ObservedPod mapping, cheap sandbox reads, NotFound races.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status as Status } from '@grpc/grpc-js';
import { criError } from '../../src/cri/errors.js';
import type { PodSandboxConfig } from '../../src/cri/types.js';
import { getPodStatus, listOwned } from '../../src/runtime/inspect.js';
import {
  CONTAINER_HASH_ANNOTATION, CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, ownershipSelector,
} from '../../src/runtime/labels.js';
import { FakeCri } from '../support/fake-cri.js';

const NODE = 'node-a';
const T = Date.parse('2026-01-01T00:00:00Z');

function setup() {
  const clock = { t: T };
  const cri = new FakeCri({ now: () => clock.t });
  cri.addImage('busybox:1.36');
  return { cri, clock };
}

function sandboxConfig(uid: string, attempt = 0, opts: { node?: string; owned?: boolean; hostNetwork?: boolean } = {}): PodSandboxConfig {
  const owned = opts.owned ?? true;
  return {
    metadata: { name: `pod-${uid}`, uid, namespace: 'default', attempt },
    labels: {
      [POD_NAME_LABEL]: `pod-${uid}`, [POD_NAMESPACE_LABEL]: 'default', [POD_UID_LABEL]: uid,
      ...(owned ? ownershipSelector(opts.node ?? NODE) : {}),
    },
    linux: opts.hostNetwork ? { securityContext: { namespaceOptions: { network: 'NODE' } } } : {},
  };
}

async function addContainer(cri: FakeCri, sandboxId: string, sb: PodSandboxConfig, name: string, attempt = 0, hash = 'h1') {
  return cri.createContainer(
    sandboxId,
    {
      metadata: { name, attempt },
      image: { image: 'busybox:1.36' },
      labels: { ...sb.labels, [CONTAINER_NAME_LABEL]: name },
      annotations: { [CONTAINER_HASH_ANNOTATION]: hash },
      mounts: [{ containerPath: '/dev/termination-log', hostPath: `/var/lib/pods/${name}/termlog` }],
    },
    sb,
  );
}

const callsOf = (cri: FakeCri, method: string) => cri.calls.filter((c) => c.method === method).map((c) => c.args[0]);

test('listOwned keeps only objects with our ownership labels for this node', async () => {
  const { cri } = setup();
  const mine = sandboxConfig('u1');
  const mineId = await cri.runPodSandbox(mine);
  await addContainer(cri, mineId, mine, 'app');
  const foreign = sandboxConfig('u2', 0, { owned: false });
  await addContainer(cri, await cri.runPodSandbox(foreign), foreign, 'app');
  const otherNode = sandboxConfig('u3', 0, { node: 'node-b' });
  await addContainer(cri, await cri.runPodSandbox(otherNode), otherNode, 'app');

  cri.calls.length = 0;
  const owned = await listOwned(cri, NODE);
  assert.deepEqual(owned.sandboxes.map((s) => s.id), [mineId]);
  assert.deepEqual(owned.containers.map((c) => c.podSandboxId), [mineId]);
  assert.equal(cri.calls.length, 2);
});

test('getPodStatus maps sandbox and container fields into the ObservedPod', async () => {
  const { cri, clock } = setup();
  const sb = sandboxConfig('u1');
  const sbId = await cri.runPodSandbox(sb);
  clock.t += 10;
  const cId = await addContainer(cri, sbId, sb, 'app', 3, 'abc123');
  clock.t += 5;
  await cri.startContainer(cId);

  const pod = await getPodStatus(cri, 'u1', await listOwned(cri, NODE), 4242);
  assert.equal(pod.uid, 'u1');
  assert.equal(pod.name, 'pod-u1');
  assert.equal(pod.namespace, 'default');
  assert.equal(pod.timestamp, 4242);
  assert.equal(pod.sandboxes.length, 1);
  const s = pod.sandboxes[0]!;
  assert.deepEqual({ ...s, ip: s.ip !== '' }, { id: sbId, attempt: 0, state: 'ready', createdAt: T, ip: true, ips: [s.ip], hostNetwork: false });
  const c = pod.containers[0]!;
  assert.equal(c.id, cId);
  assert.equal(c.name, 'app');
  assert.equal(c.sandboxId, sbId);
  assert.equal(c.restartCount, 3);
  assert.equal(c.state, 'running');
  assert.equal(c.createdAt, T + 10);
  assert.equal(c.startedAt, T + 15);
  assert.equal(c.finishedAt, 0);
  assert.equal(c.hash, 'abc123');
  assert.equal(c.image, 'busybox:1.36');
  assert.match(c.imageRef, /^sha256:/);
  assert.deepEqual(c.mounts, [{ containerPath: '/dev/termination-log', hostPath: '/var/lib/pods/app/termlog' }]);
});

test('getPodStatus maps an exited container with its exit code and reason, and host network from the namespace mode', async () => {
  const { cri, clock } = setup();
  const sb = sandboxConfig('u1', 0, { hostNetwork: true });
  const sbId = await cri.runPodSandbox(sb);
  const cId = await addContainer(cri, sbId, sb, 'job');
  await cri.startContainer(cId);
  clock.t += 2000;
  cri.exitContainer(cId, 2);

  const pod = await getPodStatus(cri, 'u1', await listOwned(cri, NODE), clock.t);
  assert.equal(pod.sandboxes[0]!.hostNetwork, true);
  assert.equal(pod.sandboxes[0]!.ip, '');
  const c = pod.containers[0]!;
  assert.deepEqual([c.state, c.exitCode, c.reason, c.finishedAt], ['exited', 2, 'Error', T + 2000]);
});

test('only the newest and ready sandboxes are asked for; older NOTREADY ones come from the list, newest first', async () => {
  const { cri, clock } = setup();
  const ids: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    clock.t += 1000;
    ids.push(await cri.runPodSandbox(sandboxConfig('u1', attempt)));
    if (attempt < 2) await cri.stopPodSandbox(ids[attempt]!);
  }
  cri.calls.length = 0;
  const pod = await getPodStatus(cri, 'u1', await listOwned(cri, NODE), clock.t);
  assert.deepEqual(pod.sandboxes.map((s) => [s.id, s.attempt, s.state]), [
    [ids[2], 2, 'ready'],
    [ids[1], 1, 'notready'],
    [ids[0], 0, 'notready'],
  ]);
  assert.deepEqual(callsOf(cri, 'podSandboxStatus'), [ids[2]]);
});

test('containers are sorted newest first across sandboxes', async () => {
  const { cri, clock } = setup();
  const sb = sandboxConfig('u1');
  const sbId = await cri.runPodSandbox(sb);
  const first = await addContainer(cri, sbId, sb, 'app', 0);
  clock.t += 1;
  const second = await addContainer(cri, sbId, sb, 'app', 1);
  clock.t += 1;
  const init = await addContainer(cri, sbId, sb, 'init', 0);
  const pod = await getPodStatus(cri, 'u1', await listOwned(cri, NODE), clock.t);
  assert.deepEqual(pod.containers.map((c) => c.id), [init, second, first]);
});

test('a container removed between list and status (NotFound) is skipped, not fatal', async () => {
  const { cri } = setup();
  const sb = sandboxConfig('u1');
  const sbId = await cri.runPodSandbox(sb);
  const a = await addContainer(cri, sbId, sb, 'a');
  const b = await addContainer(cri, sbId, sb, 'b');
  const known = await listOwned(cri, NODE);
  await cri.removeContainer(a);
  const pod = await getPodStatus(cri, 'u1', known, T);
  assert.deepEqual(pod.containers.map((c) => c.id), [b]);
});

test('a sandbox NotFound is skipped; any other status error fails the pod', async () => {
  const { cri } = setup();
  const sb = sandboxConfig('u1');
  const sbId = await cri.runPodSandbox(sb);
  await addContainer(cri, sbId, sb, 'a');
  const known = await listOwned(cri, NODE);

  cri.failNext('podSandboxStatus', criError(Status.NOT_FOUND, 'PodSandboxStatus', 'not found'));
  const pod = await getPodStatus(cri, 'u1', known, T);
  assert.deepEqual(pod.sandboxes, []);
  assert.equal(pod.containers.length, 1);

  cri.failNext('containerStatus', criError(Status.UNAVAILABLE, 'ContainerStatus', 'connection refused'));
  await assert.rejects(getPodStatus(cri, 'u1', known, T), /UNAVAILABLE/);
});

test('with a previous observation, exited containers are reused and a torn-down sandbox keeps its IP', async () => {
  const { cri, clock } = setup();
  const sb = sandboxConfig('u1');
  const sbId = await cri.runPodSandbox(sb);
  const cId = await addContainer(cri, sbId, sb, 'job');
  await cri.startContainer(cId);
  cri.exitContainer(cId, 0);
  const first = await getPodStatus(cri, 'u1', await listOwned(cri, NODE), clock.t);
  const ip = first.sandboxes[0]!.ip;
  assert.notEqual(ip, '');

  await cri.stopPodSandbox(sbId);
  cri.sandboxes.get(sbId)!.status.network = { ip: '', additionalIps: [] }; // network torn down
  cri.calls.length = 0;
  clock.t += 1000;
  const second = await getPodStatus(cri, 'u1', await listOwned(cri, NODE), clock.t, { previous: first });
  assert.deepEqual(callsOf(cri, 'containerStatus'), []);
  assert.equal(second.containers[0], first.containers[0]);
  assert.deepEqual([second.sandboxes[0]!.state, second.sandboxes[0]!.ip, second.sandboxes[0]!.ips], ['notready', ip, [ip]]);
});
