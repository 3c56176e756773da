// The in-process FakeCri behaves as containerd's CRI does in the ways other tests rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { criError, NotFoundError, UnavailableError } from '../../src/cri/errors.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/cri/types.js';
import { FakeCri, normalizeImageRef } from '../support/fake-cri.js';

function sandboxConfig(name: string, labels: Record<string, string> = {}): PodSandboxConfig {
  return { metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 }, logDirectory: `/logs/${name}`, labels };
}
function containerConfig(name: string, labels: Record<string, string> = {}): ContainerConfig {
  return { metadata: { name, attempt: 0 }, image: { image: 'busybox:1.36' }, logPath: `${name}/0.log`, labels };
}

/** A fake with busybox present, a clock at 1000 ms that tests move, and one running container. */
async function setup() {
  const clock = { ms: 1000 };
  const cri = new FakeCri({ now: () => clock.ms });
  cri.addImage('busybox:1.36');
  const sandboxId = await cri.runPodSandbox(sandboxConfig('web', { app: 'web' }));
  const containerId = await cri.createContainer(sandboxId, containerConfig('main', { tier: 'front' }), sandboxConfig('web'));
  return { cri, clock, sandboxId, containerId };
}

describe('FakeCri', () => {
  it('moves containers created → running → exited, stamping times from the clock', async () => {
    const { cri, clock, containerId } = await setup();
    let s = await cri.containerStatus(containerId);
    assert.equal(s.state, 'CONTAINER_CREATED');
    assert.equal(s.createdAt, 1000 * 1e6);
    assert.equal(s.logPath, '/logs/web/main/0.log');
    clock.ms = 2000;
    await cri.startContainer(containerId);
    s = await cri.containerStatus(containerId);
    assert.equal(s.state, 'CONTAINER_RUNNING');
    assert.equal(s.startedAt, 2000 * 1e6);
    clock.ms = 3000;
    cri.exitContainer(containerId, 2);
    s = await cri.containerStatus(containerId);
    assert.deepEqual([s.state, s.exitCode, s.reason, s.finishedAt], ['CONTAINER_EXITED', 2, 'Error', 3000 * 1e6]);
    await assert.rejects(cri.startContainer(containerId), /CONTAINER_EXITED/);
  });

  it('exitContainer with code 0 reads Completed, or the reason given', async () => {
    const { cri, containerId } = await setup();
    await cri.startContainer(containerId);
    cri.exitContainer(containerId, 137, 'OOMKilled');
    assert.equal((await cri.containerStatus(containerId)).reason, 'OOMKilled');
    const other = await setup();
    await other.cri.startContainer(other.containerId);
    other.cri.exitContainer(other.containerId, 0);
    assert.equal((await other.cri.containerStatus(other.containerId)).reason, 'Completed');
  });

  it('StopPodSandbox marks the sandbox NOTREADY and kills its running containers only', async () => {
    const { cri, sandboxId, containerId } = await setup();
    await cri.startContainer(containerId);
    const idle = await cri.createContainer(sandboxId, containerConfig('idle'), sandboxConfig('web'));
    await cri.stopPodSandbox(sandboxId);
    assert.equal((await cri.podSandboxStatus(sandboxId)).state, 'SANDBOX_NOTREADY');
    const killed = await cri.containerStatus(containerId);
    assert.deepEqual([killed.state, killed.exitCode], ['CONTAINER_EXITED', 137]);
    assert.equal((await cri.containerStatus(idle)).state, 'CONTAINER_CREATED');
    await assert.rejects(cri.createContainer(sandboxId, containerConfig('late'), sandboxConfig('web')), /not running/);
  });

  it('StopContainer ends a running container with SIGTERM’s code and is a no-op otherwise', async () => {
    const { cri, containerId } = await setup();
    await cri.stopContainer(containerId, 30);
    assert.equal((await cri.containerStatus(containerId)).state, 'CONTAINER_CREATED');
    await cri.startContainer(containerId);
    await cri.stopContainer(containerId, 30);
    assert.equal((await cri.containerStatus(containerId)).exitCode, 143);
  });

  it('filters lists by id, state, sandbox id and label selector', async () => {
    const { cri, sandboxId, containerId } = await setup();
    const otherSandbox = await cri.runPodSandbox(sandboxConfig('db', { app: 'db' }));
    const dbContainer = await cri.createContainer(otherSandbox, containerConfig('pg', { tier: 'back' }), sandboxConfig('db'));
    await cri.startContainer(dbContainer);
    const ids = async (f: Parameters<FakeCri['listContainers']>[0]) => (await cri.listContainers(f)).map((c) => c.id);
    assert.deepEqual(await ids(undefined), [containerId, dbContainer]);
    assert.deepEqual(await ids({ id: dbContainer }), [dbContainer]);
    assert.deepEqual(await ids({ state: { state: 'CONTAINER_RUNNING' } }), [dbContainer]);
    assert.deepEqual(await ids({ podSandboxId: sandboxId }), [containerId]);
    assert.deepEqual(await ids({ labelSelector: { tier: 'back' } }), [dbContainer]);
    assert.deepEqual(await ids({ labelSelector: { tier: 'back' }, podSandboxId: sandboxId }), []);
    const sandboxes = async (f: Parameters<FakeCri['listPodSandbox']>[0]) => (await cri.listPodSandbox(f)).map((s) => s.id);
    assert.deepEqual(await sandboxes({ labelSelector: { app: 'db' } }), [otherSandbox]);
    await cri.stopPodSandbox(sandboxId);
    assert.deepEqual(await sandboxes({ state: { state: 'SANDBOX_READY' } }), [otherSandbox]);
    assert.deepEqual(await sandboxes({ id: sandboxId }), [sandboxId]);
  });

  it('answers NotFound for unknown ids, and removes idempotently as containerd does', async () => {
    const { cri, sandboxId } = await setup();
    await assert.rejects(cri.containerStatus('nope'), NotFoundError);
    await assert.rejects(cri.podSandboxStatus('nope'), NotFoundError);
    await assert.rejects(cri.stopPodSandbox('nope'), NotFoundError);
    await cri.removeContainer('nope');
    await cri.removePodSandbox(sandboxId);
    await cri.removePodSandbox(sandboxId);
    assert.deepEqual(await cri.listContainers(), [], 'removing a sandbox removes its containers');
  });

  it('refuses a second sandbox with the same name and attempt', async () => {
    const { cri } = await setup();
    await assert.rejects(cri.runPodSandbox(sandboxConfig('web')), /failed to reserve sandbox name/);
  });

  it('records calls and fails the next N calls as told', async () => {
    const { cri } = await setup();
    cri.failNext('listContainers', criError(Status.UNAVAILABLE, 'ListContainers', 'runtime restarting'), 2);
    await assert.rejects(cri.listContainers(), UnavailableError);
    await assert.rejects(cri.listContainers({ podSandboxId: 'x' }), UnavailableError);
    assert.equal((await cri.listContainers()).length, 1);
    assert.deepEqual(
      cri.calls.filter((c) => c.method === 'listContainers').map((c) => c.args[0]),
      [undefined, { podSandboxId: 'x' }, undefined],
    );
    assert.deepEqual(cri.calls.slice(0, 2).map((c) => c.method), ['runPodSandbox', 'createContainer']);
  });

  it('pulls only images registered as pullable; unknown ones fail NotFound', async () => {
    const cri = new FakeCri();
    assert.equal(await cri.imageStatus({ image: 'nginx' }), undefined);
    await assert.rejects(cri.pullImage({ image: 'nginx' }), NotFoundError);
    cri.addPullable('nginx:latest');
    const ref = await cri.pullImage({ image: 'nginx' });
    assert.equal((await cri.imageStatus({ image: 'docker.io/library/nginx:latest' }))?.id, ref);
    assert.equal((await cri.imageStatus({ image: ref }))?.id, ref, 'found by id too');
    await cri.removeImage({ image: 'nginx' });
    assert.equal(await cri.imageStatus({ image: 'nginx' }), undefined);
  });

  it('refuses to create a container whose image is absent', async () => {
    const cri = new FakeCri();
    const sandboxId = await cri.runPodSandbox(sandboxConfig('web'));
    await assert.rejects(cri.createContainer(sandboxId, containerConfig('main'), sandboxConfig('web')), NotFoundError);
  });

  it('execs only in running containers; the handler is replaceable', async () => {
    const { cri, containerId } = await setup();
    await assert.rejects(cri.execSync(containerId, ['echo', 'hi'], 0), /CONTAINER_CREATED/);
    await cri.startContainer(containerId);
    assert.equal((await cri.execSync(containerId, ['echo', 'hi'], 0)).stdout.toString(), 'hi\n');
    cri.onExec(() => ({ stdout: Buffer.alloc(0), stderr: Buffer.from('no'), exitCode: 7 }));
    assert.equal((await cri.execSync(containerId, ['false'], 0)).exitCode, 7);
  });

  it('reports the runtime conditions it is given', async () => {
    const cri = new FakeCri();
    cri.setCondition('RuntimeReady', false, 'Down', 'gone');
    const conditions = (await cri.status()).status?.conditions ?? [];
    assert.deepEqual(conditions.find((c) => c.type === 'RuntimeReady'), { type: 'RuntimeReady', status: false, reason: 'Down', message: 'gone' });
  });
});

describe('normalizeImageRef', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['127.0.0.1:5000/library/busybox', '127.0.0.1:5000/library/busybox:latest'],
    ['localhost/x@sha256:abc', 'localhost/x@sha256:abc'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(normalizeImageRef(input), expected));
  }
});
