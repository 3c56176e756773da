// The CRI client against the real dev containerd: pull, sandbox, container, CRI log file, exec, teardown, errors.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import { NotFoundError } from '../../src/cri/errors.js';
import { connectRuntime, RuntimeConnectError } from '../../src/cri/handshake.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/cri/types.js';
import {
  CONTAINER_NAME_LABEL,
  ownershipSelector,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
} from '../../src/runtime/labels.js';
import { ensureRuntime } from '../support/runtime.js';

// A node name of its own, so this file's objects never mix with an agent's or another test's.
const NODE = `cri-e2e-${process.pid}-${randomUUID().slice(0, 8)}`;
const IMAGE = 'busybox:1.36';
/** The CRI log line format: `<RFC3339Nano> <stream> <P|F> <text>`. */
const CRI_LOG_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) (.*)$/;

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('CRI client against the dev containerd', { timeout: 180_000 }, () => {
  let client: CriClient;
  let logDir: string;
  let sandboxConfig: PodSandboxConfig;
  let sandboxId = '';
  let containerId = '';

  before(async () => {
    const { endpoint } = await ensureRuntime();
    client = createCriClient({ runtimeEndpoint: endpoint });
    logDir = mkdtempSync(join(tmpdir(), 'cri-e2e-logs-'));
    const uid = randomUUID();
    sandboxConfig = {
      metadata: { name: 'cri-e2e', uid, namespace: 'default', attempt: 0 },
      hostname: 'cri-e2e',
      logDirectory: logDir,
      labels: { ...ownershipSelector(NODE), [POD_NAME_LABEL]: 'cri-e2e', [POD_NAMESPACE_LABEL]: 'default', [POD_UID_LABEL]: uid },
      annotations: { 'mini-kubelet.io/test': 'cri.e2e' },
      linux: {},
    };
  });

  // Whatever happened above, remove everything carrying this file's labels.
  after(async () => {
    if (!client) return;
    const selector = ownershipSelector(NODE);
    for (const c of await client.listContainers({ labelSelector: selector }).catch(() => [])) {
      await client.removeContainer(c.id).catch(() => {});
    }
    for (const s of await client.listPodSandbox({ labelSelector: selector }).catch(() => [])) {
      await client.stopPodSandbox(s.id).catch(() => {});
      await client.removePodSandbox(s.id).catch(() => {});
    }
    client.close();
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  });

  it('says hello: Version is v1 and the runtime and network are ready', async () => {
    const info = await connectRuntime(client);
    assert.equal(info.version.runtimeApiVersion, 'v1');
    assert.equal(info.version.runtimeName, 'containerd');
    assert.deepEqual(info.problems, []);
  });

  it('pulls busybox:1.36 through the local registry mirror', async () => {
    const imageRef = await client.pullImage({ image: IMAGE });
    assert.match(imageRef, /^sha256:[0-9a-f]{64}$/);
    const image = await client.imageStatus({ image: IMAGE });
    assert.ok(image, 'the image is present after the pull');
    assert.equal(image.id, imageRef);
    assert.ok(image.repoTags.includes('docker.io/library/busybox:1.36'), `repoTags ${image.repoTags.join(',')}`);
    assert.equal(await client.imageStatus({ image: 'busybox:no-such-tag-here' }), undefined);
  });

  it('runs a sandbox with hostname, log directory and labels, and reads its IP', async () => {
    sandboxId = await client.runPodSandbox(sandboxConfig);
    const status = await client.podSandboxStatus(sandboxId);
    assert.equal(status.state, 'SANDBOX_READY');
    assert.match(status.network?.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/, 'the sandbox got a pod IP from CNI');
    assert.equal(status.labels[POD_UID_LABEL], sandboxConfig.metadata.uid);
    assert.equal(status.annotations['mini-kubelet.io/test'], 'cri.e2e');
    const listed = await client.listPodSandbox({ labelSelector: ownershipSelector(NODE) });
    assert.deepEqual(listed.map((s) => s.id), [sandboxId]);
  });

  it('creates and starts a container whose output lands in the CRI log file', async () => {
    const config: ContainerConfig = {
      metadata: { name: 'hello', attempt: 0 },
      image: { image: IMAGE },
      command: ['sh', '-c', 'echo hello-from-cri; sleep 3600'],
      logPath: 'hello/0.log',
      labels: { ...sandboxConfig.labels, [CONTAINER_NAME_LABEL]: 'hello' },
    };
    // The kubelet creates the container's log directory before CreateContainer.
    mkdirSync(join(logDir, 'hello'), { recursive: true });
    containerId = await client.createContainer(sandboxId, config, sandboxConfig);
    await client.startContainer(containerId);

    const status = await client.containerStatus(containerId);
    assert.equal(status.state, 'CONTAINER_RUNNING');
    assert.equal(status.logPath, join(logDir, 'hello/0.log'));
    assert.ok(status.startedAt > 0);

    const line = await until('hello-from-cri in the log file', 30_000, () => {
      let text = '';
      try {
        text = readFileSync(status.logPath, 'utf8');
      } catch {
        return undefined;
      }
      return text.split('\n').find((l) => l.endsWith(' hello-from-cri'));
    });
    const m = CRI_LOG_LINE.exec(line);
    assert.ok(m, `a CRI log line: ${JSON.stringify(line)}`);
    assert.deepEqual([m[2], m[3], m[4]], ['stdout', 'F', 'hello-from-cri']);
    assert.ok(Math.abs(Date.parse(m[1]!.replace(/(\.\d{3})\d+/, '$1')) - Date.now()) < 120_000, 'timestamp is now-ish');

    const listed = await client.listContainers({ podSandboxId: sandboxId, state: { state: 'CONTAINER_RUNNING' } });
    assert.deepEqual(listed.map((c) => c.id), [containerId]);
  });

  it('runs ExecSync in the container; a non-zero exit is a result, not an error', async () => {
    const hi = await client.execSync(containerId, ['echo', 'hi'], 10);
    assert.equal(hi.stdout.toString(), 'hi\n');
    assert.equal(hi.exitCode, 0);
    const fail = await client.execSync(containerId, ['sh', '-c', 'echo oops >&2; exit 3'], 10);
    assert.equal(fail.exitCode, 3);
    assert.equal(fail.stderr.toString(), 'oops\n');
    const hostname = await client.execSync(containerId, ['hostname'], 10);
    assert.equal(hostname.stdout.toString().trim(), 'cri-e2e', 'the sandbox hostname reached the container');
  });

  it('stops and removes the container and the sandbox', async () => {
    await client.stopContainer(containerId, 1);
    const stopped = await client.containerStatus(containerId);
    assert.equal(stopped.state, 'CONTAINER_EXITED');
    assert.ok(stopped.finishedAt >= stopped.startedAt);
    await client.removeContainer(containerId);
    await assert.rejects(client.containerStatus(containerId), NotFoundError);

    await client.stopPodSandbox(sandboxId);
    assert.equal((await client.podSandboxStatus(sandboxId)).state, 'SANDBOX_NOTREADY');
    await client.removePodSandbox(sandboxId);
    await assert.rejects(client.podSandboxStatus(sandboxId), NotFoundError);
    assert.deepEqual(await client.listPodSandbox({ labelSelector: ownershipSelector(NODE) }), []);
  });

  it('answers NotFoundError for the status of a container that does not exist', async () => {
    await assert.rejects(client.containerStatus('0123456789abcdef-not-a-container'), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.method, 'ContainerStatus');
      return true;
    });
  });

  it('gives one clear line when the socket does not exist', async () => {
    const missing = join(tmpdir(), `no-runtime-${process.pid}.sock`);
    const bad = createCriClient({ runtimeEndpoint: `unix://${missing}` });
    try {
      await assert.rejects(connectRuntime(bad), (e: unknown) => {
        assert.ok(e instanceof RuntimeConnectError);
        assert.equal(e.kind, 'unreachable');
        assert.doesNotMatch(e.message, /\n/);
        assert.match(e.message, new RegExp(`^cannot reach the container runtime at unix://${missing} \\(no such socket\\)`));
        assert.match(e.message, /npm run runtime:up/);
        return true;
      });
    } finally {
      bad.close();
    }
  });
});
