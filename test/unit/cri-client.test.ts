// The gRPC CRI client against a real gRPC server on a unix socket: round trips, errors, deadlines, reconnects.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import { CriError, DeadlineExceededError, NotFoundError, UnavailableError } from '../../src/cri/errors.js';
import { PULL_TIMEOUT_MS } from '../../src/cri/image-service.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/cri/types.js';
import { startFakeCriServer, type FakeCriServer } from '../support/fake-cri-server.js';

const DEFAULT_MS = 5_000;
const sandboxConfig: PodSandboxConfig = {
  metadata: { name: 'web', uid: 'uid-1', namespace: 'default', attempt: 0 },
  hostname: 'web',
  logDirectory: '/var/log/pods/default_web_uid-1',
  labels: { 'io.kubernetes.pod.uid': 'uid-1', app: 'web' },
};
const containerConfig: ContainerConfig = {
  metadata: { name: 'main', attempt: 0 },
  image: { image: 'busybox:1.36' },
  command: ['sh', '-c', 'sleep 3600'],
  envs: [{ key: 'A', value: '1' }],
  labels: { 'io.kubernetes.container.name': 'main' },
  logPath: 'main/0.log',
};

/** Asserts the deadline the server saw is `expectedMs` after the call was made, within a second. */
function assertDeadline(server: FakeCriServer, method: string, calledAt: number, expectedMs: number): void {
  const call = server.callsOf(method).at(-1);
  assert.ok(call, `${method} reached the server`);
  const actual = call.deadline - calledAt;
  assert.ok(Math.abs(actual - expectedMs) < 1000, `${method} deadline ${actual} ms, expected ~${expectedMs} ms`);
}

describe('CRI client over gRPC', () => {
  let dir: string;
  let server: FakeCriServer;
  let client: CriClient;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cri-client-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    server = await startFakeCriServer({ socketPath: join(dir, 'cri.sock') });
    server.fake.addPullable('busybox:1.36');
    client = createCriClient({ runtimeEndpoint: server.endpoint, timeoutMs: DEFAULT_MS });
  });
  afterEach(async () => {
    client.close();
    await server.stop();
  });

  it('runs a pod through its whole life over the wire', async () => {
    assert.equal((await client.version()).runtimeApiVersion, 'v1');
    assert.equal(await client.imageStatus({ image: 'busybox:1.36' }), undefined, 'absent image is undefined, not an error');
    const imageRef = await client.pullImage({ image: 'busybox:1.36' });
    assert.match(imageRef, /^sha256:/);
    assert.equal((await client.imageStatus({ image: 'busybox:1.36' }))?.id, imageRef);

    const sandboxId = await client.runPodSandbox(sandboxConfig);
    const sandbox = await client.podSandboxStatus(sandboxId);
    assert.equal(sandbox.state, 'SANDBOX_READY');
    assert.match(sandbox.network?.ip ?? '', /^10\.88\./);
    assert.equal(sandbox.metadata.name, 'web');

    const containerId = await client.createContainer(sandboxId, containerConfig, sandboxConfig);
    await client.startContainer(containerId);
    const status = await client.containerStatus(containerId);
    assert.equal(status.state, 'CONTAINER_RUNNING');
    assert.equal(status.logPath, '/var/log/pods/default_web_uid-1/main/0.log');
    assert.equal(status.finishedAt, 0, 'unset int64 comes back as 0');
    assert.ok(!('resources' in status), 'unset message fields are dropped, not null');

    // camelCase requests reach the runtime under the proto's field names
    const seen = server.callsOf('CreateContainer')[0]!.request;
    assert.equal(seen.config.logPath, 'main/0.log');
    assert.deepEqual(seen.config.envs, [{ key: 'A', value: '1' }]);

    const listed = await client.listContainers({ labelSelector: { 'io.kubernetes.container.name': 'main' } });
    assert.deepEqual(listed.map((c) => c.id), [containerId]);
    assert.deepEqual(await client.listContainers({ state: { state: 'CONTAINER_EXITED' } }), []);

    const exec = await client.execSync(containerId, ['echo', 'hi'], 5);
    assert.ok(Buffer.isBuffer(exec.stdout));
    assert.equal(exec.stdout.toString(), 'hi\n');
    assert.equal(exec.exitCode, 0);

    await client.stopContainer(containerId, 10);
    assert.equal((await client.containerStatus(containerId)).state, 'CONTAINER_EXITED');
    assert.equal(server.callsOf('StopContainer')[0]!.request.timeout, 10);
    await client.removeContainer(containerId);
    await client.stopPodSandbox(sandboxId);
    await client.removePodSandbox(sandboxId);
    assert.deepEqual(await client.listPodSandbox(), []);
  });

  it('maps NotFound to NotFoundError naming the RPC', async () => {
    await assert.rejects(client.containerStatus('bogus'), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.method, 'ContainerStatus');
      assert.match(e.details, /bogus/);
      return true;
    });
  });

  it('a failed call does not poison the client', async () => {
    server.failNext('ListPodSandbox', Status.UNAVAILABLE, 2);
    await assert.rejects(client.listPodSandbox(), UnavailableError);
    await assert.rejects(client.listPodSandbox(), UnavailableError);
    assert.deepEqual(await client.listPodSandbox(), []);
  });

  it('gives every call the default deadline, or the per-call one', async () => {
    let t = Date.now();
    await client.listPodSandbox();
    assertDeadline(server, 'ListPodSandbox', t, DEFAULT_MS);
    t = Date.now();
    await client.listPodSandbox(undefined, { timeoutMs: 1234 });
    assertDeadline(server, 'ListPodSandbox', t, 1234);
  });

  it('extends StopContainer by the grace period and ExecSync by its timeout; pulls get a long deadline', async () => {
    await client.pullImage({ image: 'busybox:1.36' });
    const sandboxId = await client.runPodSandbox(sandboxConfig);
    const containerId = await client.createContainer(sandboxId, containerConfig, sandboxConfig);
    await client.startContainer(containerId);

    let t = Date.now();
    await client.execSync(containerId, ['true'], 10);
    assertDeadline(server, 'ExecSync', t, DEFAULT_MS + 10_000);
    t = Date.now();
    await client.execSync(containerId, ['true'], 0);
    assertDeadline(server, 'ExecSync', t, DEFAULT_MS);
    t = Date.now();
    await client.stopContainer(containerId, 30);
    assertDeadline(server, 'StopContainer', t, DEFAULT_MS + 30_000);
    t = Date.now();
    await client.pullImage({ image: 'busybox:1.36' });
    assertDeadline(server, 'PullImage', t, PULL_TIMEOUT_MS);
    t = Date.now();
    await client.pullImage({ image: 'busybox:1.36' }, undefined, undefined, { timeoutMs: 2000 });
    assertDeadline(server, 'PullImage', t, 2000);
  });

  it('fails with DeadlineExceededError when the runtime answers too late', async () => {
    server.delayNext('Version', 1500);
    const t = Date.now();
    await assert.rejects(client.version({ timeoutMs: 200 }), DeadlineExceededError);
    assert.ok(Date.now() - t < 1200, 'the client gave up at its deadline');
  });

  it('an aborted signal cancels the call (a kill ends a hung postStart exec)', async () => {
    server.fake.addImage('busybox:1.36');
    const sandboxId = await client.runPodSandbox(sandboxConfig);
    const containerId = await client.createContainer(sandboxId, containerConfig, sandboxConfig);
    await client.startContainer(containerId);
    server.delayNext('ExecSync', 3000);
    const abort = new AbortController();
    const t = Date.now();
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(client.execSync(containerId, ['sleep', '3600'], 0, { signal: abort.signal }), (err: CriError) => err.code === Status.CANCELLED);
    assert.ok(Date.now() - t < 1500, 'the call ended at the abort, not when the runtime answered');
  });

  it('receives messages larger than gRPC’s 4 MiB default', async () => {
    server.fake.addImage('busybox:1.36');
    const sandboxId = await client.runPodSandbox(sandboxConfig);
    const containerId = await client.createContainer(sandboxId, containerConfig, sandboxConfig);
    await client.startContainer(containerId);
    server.fake.onExec(() => ({ stdout: Buffer.alloc(6 * 1024 * 1024, 'x'), stderr: Buffer.alloc(0), exitCode: 0 }));
    const res = await client.execSync(containerId, ['cat', 'big'], 0);
    assert.equal(res.stdout.length, 6 * 1024 * 1024);
  });

  it('reconnects by itself after the runtime restarts on the same socket', async () => {
    assert.equal((await client.version()).runtimeName, 'fake-cri');
    await server.stop();
    await assert.rejects(client.version({ timeoutMs: 2000 }), UnavailableError);
    await server.start();
    const deadline = Date.now() + 8000;
    let lastError: unknown;
    for (;;) {
      try {
        assert.equal((await client.version({ timeoutMs: 2000 })).runtimeName, 'fake-cri');
        break;
      } catch (e) {
        lastError = e;
        assert.ok(e instanceof UnavailableError, `only Unavailable while the channel re-dials, got ${String(e)}`);
        if (Date.now() > deadline) assert.fail(`client never reconnected: ${String(lastError)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  it('rejects calls after close() with a CriError', async () => {
    client.close();
    await assert.rejects(client.version(), CriError);
  });
});

describe('CRI client with a separate image endpoint', () => {
  it('sends image RPCs to the image endpoint and runtime RPCs to the runtime endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cri-client-'));
    const runtime = await startFakeCriServer({ socketPath: join(dir, 'runtime.sock') });
    const images = await startFakeCriServer({ socketPath: join(dir, 'images.sock') });
    images.fake.addImage('busybox:1.36');
    const client = createCriClient({ runtimeEndpoint: runtime.endpoint, imageEndpoint: images.socketPath });
    try {
      assert.ok(await client.imageStatus({ image: 'busybox:1.36' }));
      await client.version();
      assert.equal(images.callsOf('ImageStatus').length, 1);
      assert.equal(runtime.callsOf('ImageStatus').length, 0);
      assert.equal(runtime.callsOf('Version').length, 1);
      assert.equal(images.callsOf('Version').length, 0);
      assert.equal(client.imageEndpoint.target, images.endpoint);
    } finally {
      client.close();
      await runtime.stop();
      await images.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
