// The dev runtime as users rely on it: CRI is ready, the registry is loopback-only and full, pulls stay local, images behave, reruns are cheap.
//
// Speaks CRI through raw grpc-js calls (test/support/runtime.ts), not the project's client, so
// a failure here points at the runtime set-up and not at mini-kubelet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_DIR, criCall, criVersion, decodeMessage, encodeMessage, ensureRuntime, fieldString, parseEndpoint } from '../support/runtime.js';
import { REGISTRY, deleteImage, pushImage, registryDigest, sourceDigest, type ImageSource } from '../support/registry.js';

const { endpoint, runtimeDir } = await ensureRuntime();
const runtime = (method: string, req: Buffer, timeoutMs?: number) => criCall(endpoint, 'RuntimeService', method, req, timeoutMs).then(decodeMessage);
const images = (method: string, req: Buffer, timeoutMs?: number) => criCall(endpoint, 'ImageService', method, req, timeoutMs).then(decodeMessage);
const imageSpec = (image: string) => encodeMessage({ 1: image });
const sub = (msg: Record<number, Array<Buffer | number>>, no: number) => decodeMessage((msg[no]?.[0] as Buffer | undefined) ?? Buffer.alloc(0));
const unique = `${process.pid}-${Date.now().toString(36)}`;

test('the project socket answers CRI Version as containerd, CRI v1', async () => {
  const v = await criVersion(endpoint);
  assert.equal(v.runtimeName, 'containerd');
  assert.equal(v.runtimeApiVersion, 'v1');
  assert.equal(endpoint, `unix://${path.join(runtimeDir, 'containerd.sock')}`);
});

test('CRI Status reports RuntimeReady and NetworkReady', async () => {
  const status = sub(await runtime('Status', Buffer.alloc(0)), 1);
  const conditions = Object.fromEntries((status[1] ?? []).map((c) => {
    const cond = decodeMessage(c as Buffer);
    return [fieldString(cond, 1), cond[2]?.[0] === 1];
  }));
  assert.deepEqual(conditions, { RuntimeReady: true, NetworkReady: true });
});

test('the registry answers on 127.0.0.1:5000 and listens on loopback only', async () => {
  assert.equal((await fetch(`http://${REGISTRY}/v2/`)).status, 200);
  // Every listening socket on port 5000 (0x1388), IPv4 and IPv6, is bound to 127.0.0.1.
  const listeners: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local.endsWith(':1388')) listeners.push(local.split(':')[0]);
    }
  }
  assert.deepEqual(listeners, ['0100007F']);
  const external = Object.values(os.networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal);
  for (const addr of external) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: addr!.address, port: 5000 }, () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(true));
    });
    assert.ok(refused, `registry reachable on ${addr!.address}:5000`);
  }
});

const published: Array<[ImageSource, string]> = [
  ['busybox', 'library/busybox:1.36'],
  ['pause', 'pause:3.9'],
  ['busybox-nonroot', 'library/busybox-nonroot:1.36'],
  ['busybox-httpd', 'library/busybox-httpd:1.36'],
];
for (const [source, repoTag] of published) {
  test(`the registry serves ${repoTag} at the digest the builder produced`, async () => {
    assert.equal(await registryDigest(repoTag), await sourceDigest(source));
  });
}

test('the sandbox image is in containerd (namespace k8s.io) without a pull', async () => {
  const image = sub(await images('ImageStatus', encodeMessage({ 1: imageSpec('registry.k8s.io/pause:3.9') })), 1);
  assert.ok((image[2] ?? []).map(String).includes('registry.k8s.io/pause:3.9'), 'pause image missing from CRI ImageStatus');
});

test('pulls resolve docker.io and unknown registries from 127.0.0.1:5000, and a miss is a clean not found', async (t) => {
  const repoTag = `runtime-e2e/busybox:${unique}`;
  const digest = await pushImage('busybox', repoTag);
  t.after(async () => {
    await images('RemoveImage', encodeMessage({ 1: imageSpec(`docker.io/${repoTag}`) })).catch(() => undefined);
    await deleteImage(repoTag);
  });
  await images('PullImage', encodeMessage({ 1: imageSpec(`docker.io/${repoTag}`) }), 60_000);
  const image = sub(await images('ImageStatus', encodeMessage({ 1: imageSpec(`docker.io/${repoTag}`) })), 1);
  assert.ok((image[3] ?? []).map(String).includes(`docker.io/runtime-e2e/busybox@${digest}`));
  // hosts.toml names every registry (and _default), so a miss is answered by the local registry.
  for (const missing of [`docker.io/runtime-e2e/busybox:missing-${unique}`, `quay.io/runtime-e2e/none:${unique}`]) {
    await assert.rejects(images('PullImage', encodeMessage({ 1: imageSpec(missing) }), 30_000), (err: Error & { code?: number }) => {
      assert.equal(err.code, 5, err.message); // NOT_FOUND, never a DNS or TLS error from outside
      assert.match(err.message, /not found/);
      return true;
    });
  }
});

/** Polls ContainerStatus until state (0 created, 1 running, 2 exited) is reached; returns the status. */
async function waitContainer(id: string, state: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = sub(await runtime('ContainerStatus', encodeMessage({ 1: id })), 1);
    if ((status[3]?.[0] ?? 0) === state) return status;
    if (Date.now() > deadline) throw new Error(`container ${id} not in state ${state}: ${fieldString(status, 10)} ${fieldString(status, 11)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the test images behave as documented in one pod (pause, busybox, nonroot, httpd)', async (t) => {
  for (const image of ['busybox:1.36', 'busybox-nonroot:1.36', 'busybox-httpd:1.36', 'registry.k8s.io/pause:3.9']) {
    await images('PullImage', encodeMessage({ 1: imageSpec(image) }), 60_000);
  }
  const sandboxConfig = encodeMessage({
    1: encodeMessage({ 1: 'runtime-e2e', 2: `runtime-e2e-${unique}`, 3: 'default', 4: 0 }),
    2: 'runtime-e2e',
  });
  const podId = fieldString(await runtime('RunPodSandbox', encodeMessage({ 1: sandboxConfig }), 60_000), 1);
  t.after(async () => {
    await runtime('StopPodSandbox', encodeMessage({ 1: podId }), 60_000);
    await runtime('RemovePodSandbox', encodeMessage({ 1: podId }), 60_000);
  });
  const start = async (name: string, image: string, command: string[] = []) => {
    const config = encodeMessage({ 1: encodeMessage({ 1: name, 2: 0 }), 2: imageSpec(image), 3: command });
    const id = fieldString(await runtime('CreateContainer', encodeMessage({ 1: podId, 2: config, 3: sandboxConfig }), 60_000), 1);
    await runtime('StartContainer', encodeMessage({ 1: id }), 60_000);
    await waitContainer(id, 1);
    return id;
  };
  const exec = async (id: string, cmd: string[]) => {
    const r = await runtime('ExecSync', encodeMessage({ 1: id, 2: cmd, 3: 10 }), 20_000);
    return { stdout: fieldString(r, 1), exitCode: Number(r[3]?.[0] ?? 0) };
  };

  const shell = await start('busybox', 'busybox:1.36', ['sleep', '3600']);
  assert.equal((await exec(shell, ['id', '-u'])).stdout.trim(), '0');
  // Applet links are relative, so every applet resolves inside the image, /usr/bin ones too.
  assert.equal((await exec(shell, ['env', 'true'])).exitCode, 0);
  const lo = await exec(shell, ['ip', '-o', 'addr', 'show', 'lo']);
  assert.match(lo.stdout, /inet 127\.0\.0\.1\/8/, 'loopback is up in the pod');

  const nonroot = await start('nonroot', 'busybox-nonroot:1.36', ['sleep', '3600']);
  assert.equal((await exec(nonroot, ['id', '-u'])).stdout.trim(), '1000');
  assert.equal((await exec(nonroot, ['pwd'])).stdout.trim(), '/home/user');

  await start('httpd', 'busybox-httpd:1.36');
  const ip = fieldString(sub(sub(await runtime('PodSandboxStatus', encodeMessage({ 1: podId })), 1), 5), 1);
  const subnet = readFileSync(path.join(runtimeDir, 'etc', 'pod-subnet'), 'utf8').trim();
  assert.ok(ip.startsWith(subnet.replace(/0\/24$/, '')), `pod IP ${ip} outside ${subnet}`);
  // RUNNING is not listening: httpd may not have bound :8080 yet, so retry until it answers (20 s).
  const answer = async (): Promise<string> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await fetch(`http://${ip}:8080/healthz`).catch((err: Error) => err);
      if (!(res instanceof Error) && res.ok) return res.text();
      if (Date.now() > deadline) throw new Error(`httpd on ${ip}:8080 did not answer in 20 s: ${res instanceof Error ? res.message : res.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  assert.equal(await answer(), 'ok\n');

  // The pause entrypoint exits 0 on SIGTERM at once (StopContainer sends TERM, KILL after 10 s).
  const pause = await start('pause', 'registry.k8s.io/pause:3.9');
  const before = Date.now();
  await runtime('StopContainer', encodeMessage({ 1: pause, 2: 10 }), 30_000);
  const stopped = await waitContainer(pause, 2);
  assert.ok(Date.now() - before < 9000, `pause took ${Date.now() - before} ms to stop`);
  assert.equal(Number(stopped[7]?.[0] ?? 0), 0, 'pause exit code');
});

test('a second up.sh is fast and idempotent: same endpoint, same daemons, nothing rebuilt', async (t) => {
  const pidFile = path.join(runtimeDir, 'run', 'containerd.pid');
  const pidBefore = readFileSync(pidFile, 'utf8');
  const began = Date.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', [path.join(REPO_DIR, 'scripts/runtime/up.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const took = Date.now() - began;
  t.diagnostic(`warm up.sh took ${took} ms`);
  assert.equal(code, 0, stderr);
  assert.equal(parseEndpoint(stdout), endpoint);
  assert.equal(stdout.trim().split('\n').length, 1, 'stdout carries only the endpoint line');
  assert.doesNotMatch(stderr, /starting|pushing|importing|built|restarting/, stderr);
  assert.equal(readFileSync(pidFile, 'utf8'), pidBefore, 'containerd was restarted');
  assert.ok(took < 30_000, `warm up.sh took ${took} ms`);
});
