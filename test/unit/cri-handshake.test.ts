// connectRuntime: Version then Status, and a one-line, actionable error for each way the runtime can be unusable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import { connectRuntime, conditionProblems, RuntimeConnectError } from '../../src/cri/handshake.js';
import { startFakeCriServer } from '../support/fake-cri-server.js';

async function handshakeError(client: CriClient, timeoutMs?: number): Promise<RuntimeConnectError> {
  try {
    await connectRuntime(client, { timeoutMs });
  } catch (e) {
    assert.ok(e instanceof RuntimeConnectError, `a RuntimeConnectError, got ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, 'the message is one line');
    return e;
  } finally {
    client.close();
  }
  assert.fail('connectRuntime should have thrown');
}

describe('connectRuntime', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cri-handshake-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('returns version and status from a ready runtime', async () => {
    const server = await startFakeCriServer({ socketPath: join(dir, 'ready.sock') });
    const client = createCriClient({ runtimeEndpoint: server.endpoint });
    try {
      const info = await connectRuntime(client);
      assert.equal(info.version.runtimeName, 'fake-cri');
      assert.equal(info.ready, true);
      assert.deepEqual(info.problems, []);
      assert.deepEqual(server.calls.map((c) => c.method), ['Version', 'Status']);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('reports a runtime whose network is not ready without failing', async () => {
    const server = await startFakeCriServer({ socketPath: join(dir, 'nonet.sock') });
    server.fake.setCondition('NetworkReady', false, 'NetworkPluginNotReady', 'cni plugin not initialized');
    const client = createCriClient({ runtimeEndpoint: server.endpoint });
    try {
      const info = await connectRuntime(client);
      assert.equal(info.ready, false);
      assert.deepEqual(info.problems, [
        'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized',
      ]);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('says "no such socket" and what to do when the socket is missing', async () => {
    const socket = join(dir, 'missing.sock');
    const e = await handshakeError(createCriClient({ runtimeEndpoint: `unix://${socket}` }));
    assert.equal(e.kind, 'unreachable');
    assert.equal(
      e.message,
      `cannot reach the container runtime at unix://${socket} (no such socket): is containerd running? ` +
        'start the dev runtime with "npm run runtime:up" or pass --container-runtime-endpoint',
    );
  });

  it('says "connection refused" when a crashed runtime left its socket behind', async () => {
    const socket = join(dir, 'stale.sock');
    // A process that listens and is then SIGKILLed never unlinks its socket, as a crashed containerd.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.ok(statSync(socket).isSocket(), 'the stale socket exists');
    const e = await handshakeError(createCriClient({ runtimeEndpoint: socket }));
    assert.equal(e.kind, 'unreachable');
    assert.match(e.message, /\(connection refused\): is containerd running\?/);
  });

  it('says "not a socket" when the path is some other file', async () => {
    const path = join(dir, 'plain-file');
    writeFileSync(path, '');
    const e = await handshakeError(createCriClient({ runtimeEndpoint: path }));
    assert.equal(e.kind, 'unreachable');
    assert.match(e.message, /\(not a socket\): is containerd running\?/);
  });

  it('says the peer does not speak CRI v1 when runtime.v1 is unimplemented', async () => {
    const server = await startFakeCriServer({ socketPath: join(dir, 'other.sock'), serve: 'other' });
    try {
      const e = await handshakeError(createCriClient({ runtimeEndpoint: server.endpoint }));
      assert.equal(e.kind, 'not-cri-v1');
      assert.match(e.message, /answers gRPC but not CRI v1 \(runtime\.v1\.RuntimeService\/Version is unimplemented\)/);
    } finally {
      await server.stop();
    }
  });

  it('says the runtime did not answer when Version times out', async () => {
    const server = await startFakeCriServer({ socketPath: join(dir, 'slow.sock') });
    server.delayNext('Version', 1000);
    try {
      const e = await handshakeError(createCriClient({ runtimeEndpoint: server.endpoint }), 100);
      assert.equal(e.kind, 'timeout');
      assert.match(e.message, /did not answer Version within 0\.1s/);
    } finally {
      await server.stop();
    }
  });

  it('names the failing call when Status fails after Version', async () => {
    const server = await startFakeCriServer({ socketPath: join(dir, 'nostatus.sock') });
    server.failNext('Status', Status.INTERNAL, 1, 'status exploded\nwith a second line');
    try {
      const e = await handshakeError(createCriClient({ runtimeEndpoint: server.endpoint }));
      assert.equal(e.kind, 'failed');
      assert.match(e.message, /failed Status: status exploded with a second line$/);
    } finally {
      await server.stop();
    }
  });
});

describe('conditionProblems (kubelet updateRuntimeUp)', () => {
  it('treats a missing condition as not ready', () => {
    assert.deepEqual(conditionProblems([{ type: 'NetworkReady', status: true, reason: '', message: '' }]), [
      'container runtime not ready: RuntimeReady condition missing from the runtime status',
    ]);
  });
  it('reports a runtime that is down', () => {
    const problems = conditionProblems([
      { type: 'RuntimeReady', status: false, reason: 'Down', message: 'shim gone' },
      { type: 'NetworkReady', status: true, reason: '', message: '' },
    ]);
    assert.deepEqual(problems, ['container runtime not ready: RuntimeReady=false reason:Down message:shim gone']);
  });
});
