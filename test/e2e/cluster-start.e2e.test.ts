// `npm run start:cluster` as the README gives it, against the REAL control plane and containerd: the node Ready in `kubectl get nodes`, the example pods and a `kubectl create deployment` Running with their IPs, logs and exec, and Ctrl-C ends it cleanly.
//
// Skipped, with one line saying why, without the control-plane binaries.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCriClient } from '../../src/cri/client.js';
import { ownershipSelector } from '../../src/runtime/labels.js';
import { freePort, unmountUnder } from '../support/agent.js';
import { clusterTest, uniqueName } from '../support/cluster.js';
import { createDeployment, isRunning, kubectlOk, listPods, readPod } from '../support/cluster-agent.js';
import { REPO_DIR } from '../support/runtime.js';

clusterTest('npm run start:cluster: the node Ready in kubectl get nodes, the example pods and a deployment Running with their IPs, kubectl logs and exec, Ctrl-C exits 0 and leaves the pods running', async (cluster, t) => {
  const nodeName = uniqueName('e2e-start');
  const base = mkdtempSync(path.join(tmpdir(), 'mk-e2e-start-'));
  // The README's command; only what must not collide with other agents on this machine is added
  // (its own ports, root and log dirs).
  const args = ['scripts/run-cluster.sh',
    '--port', String(await freePort()), '--read-only-port', String(await freePort()),
    '--root-dir', path.join(base, 'root'), '--pod-logs-dir', path.join(base, 'pods-logs')];
  // What `npm run start:cluster` runs. Not npm itself: on Ctrl-C npm dies of the SIGINT at once and
  // leaves the agent to finish on its own, so npm's exit says nothing of the agent's.
  const pkg = JSON.parse(readFileSync(path.join(REPO_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts['start:cluster'], 'bash scripts/run-cluster.sh');
  const started = Date.now();
  // Its own process group, as a shell's foreground job: Ctrl-C reaches the script (by then the agent) at once.
  const child = spawn('bash', args, { cwd: REPO_DIR, env: { ...process.env, NODE_NAME: nodeName }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let joinedAt: number | undefined;
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    joinedAt ??= err.includes('[run] mini-kubelet joins the cluster') ? Date.now() : undefined;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const cri = createCriClient({ runtimeEndpoint: process.env.CONTAINER_RUNTIME_ENDPOINT!, timeoutMs: 30_000 });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    for (const sb of await cri.listPodSandbox({ labelSelector: ownershipSelector(nodeName) }).catch(() => [])) {
      await cri.stopPodSandbox(sb.id).catch(() => undefined);
      await cri.removePodSandbox(sb.id).catch(() => undefined);
    }
    cri.close();
    await cluster.core.deleteNode({ name: nodeName }).catch(() => undefined);
    for (const f of ['.crt', '.key', '.kubeconfig']) rmSync(path.join(cluster.dir, 'pki/nodes', nodeName + f), { force: true });
    await unmountUnder(base);
    rmSync(base, { recursive: true, force: true });
  });
  const tail = () => `\nstdout: ${out.slice(-500)}\nstderr: ${err.slice(-3000)}`;
  const alive = () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`scripts/run-cluster.sh exited (${child.exitCode ?? child.signalCode})${tail()}`);
  };

  // `kubectl get nodes`, as the script's help line tells the user to run it.
  await cluster.waitFor(`${nodeName} Ready in kubectl get nodes`, async () => {
    alive();
    const r = await cluster.kubectl(['get', 'nodes', '--no-headers']);
    return r.code === 0 && r.stdout.split('\n').some((l) => /^(\S+)\s+(\S+)/.exec(l)?.slice(1).join(' ') === `${nodeName} Ready`);
  }, 360_000).catch((e: Error) => { throw new Error(e.message + tail()); });
  t.diagnostic(`node Ready ${Date.now() - started} ms after scripts/run-cluster.sh started, ${Date.now() - joinedAt!} ms after the agent started (script, runtime, control plane and build before it)`);
  assert.match(err, new RegExp(`export KUBECONFIG=${cluster.adminKubeconfig.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'the help line names the admin kubeconfig');

  // The example manifests run as static pods: their mirror pods are in the API with their IPs.
  const mirror = await cluster.waitFor('the web example Running in the API', async () => {
    alive();
    const p = await readPod(cluster, 'default', `web-${nodeName}`);
    return isRunning(p) ? p : undefined;
  }, 120_000);
  assert.equal(mirror.metadata!.annotations?.['kubernetes.io/config.mirror'] !== undefined, true, 'web is a mirror pod');

  // The README's next lines: a deployment, its pods Running with IPs, their logs and an exec through
  // the node API. Narrowed to this node (the shared cluster holds other tests' nodes).
  const ns = await cluster.namespace(t, 'e2e-start');
  await cluster.waitForServiceAccount(ns);
  const created = Date.now();
  await createDeployment(cluster, ns, 'web', { replicas: 2, nodeLabel: ['kubernetes.io/hostname', nodeName], grace: 2,
    command: ['sh', '-c', 'echo hello from $(hostname); exec sleep 3600'] });
  await cluster.waitFor('2 replicas Running in the API', async () => {
    alive();
    const ps = await listPods(cluster, ns, 'app=web');
    return ps.length === 2 && ps.every(isRunning);
  }, 120_000);
  t.diagnostic(`kubectl create deployment (2 replicas) → all Running in the API in ${Date.now() - created} ms`);
  const wide = await kubectlOk(cluster, ['get', 'pods', '-A', '-o', 'wide', '--field-selector', `spec.nodeName=${nodeName}`]);
  t.diagnostic(`kubectl get pods -A -o wide:\n${wide}`);
  // NAMESPACE NAME READY STATUS RESTARTS AGE IP NODE ...
  const rows = wide.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
  const web = rows.filter((r) => r[0] === ns);
  assert.equal(web.length, 2, wide);
  for (const r of [...web, rows.find((r) => r[1] === `web-${nodeName}`)!]) {
    assert.ok(r, `web-${nodeName} listed:\n${wide}`);
    assert.deepEqual([r[3], r[7]], ['Running', nodeName], `${r[1]} Running on the node`);
    assert.match(r[6]!, /^\d+\.\d+\.\d+\.\d+$/, `${r[1]} has its IP`);
  }
  const logs = await kubectlOk(cluster, ['logs', '-n', ns, 'deploy/web']);
  assert.match(logs, /^hello from web-/);
  const host = await kubectlOk(cluster, ['exec', '-n', ns, 'deploy/web', '--', 'hostname']);
  assert.ok(web.some((r) => r[1] === host.trim()), `kubectl exec hostname: ${host}`);

  // Ctrl-C in the terminal: SIGINT to the whole foreground group. The agent stops; its pods keep running.
  const stopAt = Date.now();
  process.kill(-child.pid!, 'SIGINT');
  const res = await Promise.race([exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running 30 s after SIGINT${tail()}`)), 30_000))]);
  t.diagnostic(`exited ${JSON.stringify(res)} ${Date.now() - stopAt} ms after SIGINT`);
  assert.deepEqual(res, { code: 0, signal: null }, `a clean exit${tail()}`);
  assert.match(err, /shutting down; pods keep running in the runtime/);
  assert.doesNotMatch(err, /the API server cannot reach it/, 'the node API is where the API server dials it');
  assert.doesNotMatch(err, /"level":(50|60)|unhandled/i, `no error logged while it ran or stopped${tail()}`);
  const sandboxes = await cri.listPodSandbox({ labelSelector: ownershipSelector(nodeName) });
  assert.ok(sandboxes.filter((s) => s.state === 'SANDBOX_READY').length >= 3, 'the pods keep running after the agent stopped');
}, { timeout: 540_000 });
