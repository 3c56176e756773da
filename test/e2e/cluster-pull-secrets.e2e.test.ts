// imagePullSecrets against a REAL registry with htpasswd auth (a second docker-registry on loopback): the pod with the secret pulls and runs, the one without gets ErrImagePull with the registry's answer.
//
// The dev registry (127.0.0.1:5000) has no auth, so this test starts its own, on another
// loopback port, with an htpasswd file (bcrypt through libxcrypt's crypt), and tells this
// worktree's containerd to reach it over plain HTTP (a hosts.toml beside the dev runtime's).
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { startAgent, freePort, type Agent } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';
import { ensureRuntime } from '../support/runtime.js';

const run = promisify(execFile);
const WAIT = 120_000;
const USER = 'puller';
const PASSWORD = 'pull-me-9';

/** A docker-registry with htpasswd auth on 127.0.0.1:<port>, holding busybox as private/busybox:<tag>. */
async function authRegistry(t: TestContext): Promise<{ host: string; image: string }> {
  const { runtimeDir } = await ensureRuntime();
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-e2e-authreg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  // distribution reads bcrypt only; perl's crypt is libxcrypt's, which makes $2b$ hashes.
  const salt = `$2b$10$${Buffer.from(String(Math.random())).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(22, 'a').slice(0, 22)}`;
  const { stdout: hash } = await run('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', PASSWORD, salt]);
  assert.match(hash, /^\$2b\$10\$/);
  writeFileSync(path.join(dir, 'htpasswd'), `${USER}:${hash}\n`);
  writeFileSync(path.join(dir, 'config.yml'), [
    'version: 0.1', 'log:', '  level: warn', 'storage:', `  filesystem:`, `    rootdirectory: ${dir}/data`,
    'http:', `  addr: ${host}`, 'auth:', '  htpasswd:', '    realm: mini-kubelet-e2e', `    path: ${dir}/htpasswd`, '',
  ].join('\n'));
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  t.after(() => { child.kill('SIGTERM'); });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await fetch(`http://${host}/v2/`).then((r) => r.status, () => 0);
    if (status === 401) break;
    if (Date.now() > deadline) throw new Error(`the auth registry did not answer 401 on /v2/ (got ${status}): ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // This worktree's containerd: plain HTTP to this host (else the dev runtime's _default entry would send it to :5000).
  const certs = path.join(runtimeDir, 'etc', 'certs.d', host);
  mkdirSync(certs, { recursive: true });
  writeFileSync(path.join(certs, 'hosts.toml'), `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`);
  t.after(() => rmSync(certs, { recursive: true, force: true }));
  const tag = `v${Date.now().toString(36)}`;
  const image = `${host}/private/busybox:${tag}`;
  await run('skopeo', [
    '--policy', path.join(runtimeDir, 'etc', 'policy.json'), 'copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${USER}:${PASSWORD}`,
    `oci-archive:${path.join(runtimeDir, 'images', 'busybox.tar')}`, `docker://${image}`,
  ]);
  return { host, image };
}

async function joinedAgent(cluster: Cluster, t: TestContext, name: string): Promise<Agent> {
  const agent = await startAgent({ name, extraArgs: async (nodeName) => ['--kubeconfig', await cluster.mintNodeKubeconfig(t, nodeName)] });
  t.after(() => agent.cleanup());
  return agent;
}

clusterTest('imagePullSecrets: with the secret the private image is pulled and runs; without it ErrImagePull with the registry\'s answer', async (cluster, t) => {
  const { host, image } = await authRegistry(t);
  const ns = await cluster.namespace(t, 'e2e-pull');
  await cluster.waitForServiceAccount(ns);
  const agent = await joinedAgent(cluster, t, 'pull');
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  await cluster.core.createNamespacedSecret({ namespace: ns, body: {
    metadata: { name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [host]: { auth } } })).toString('base64') },
  } });
  const container = { name: 'main', image, imagePullPolicy: 'Always', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] };
  await cluster.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'anonymous' }, spec: { nodeName: agent.nodeName, containers: [container] } } });
  await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'with-secret' }, spec: { nodeName: agent.nodeName, imagePullSecrets: [{ name: 'regcred' }], containers: [container] },
  } });
  await cluster.waitFor('with-secret Running in the API', async () =>
    (await cluster.core.readNamespacedPod({ namespace: ns, name: 'with-secret' })).status?.phase === 'Running', WAIT);
  const waiting = await cluster.waitFor('anonymous: ErrImagePull or ImagePullBackOff', async () => {
    const p = await cluster.core.readNamespacedPod({ namespace: ns, name: 'anonymous' });
    const w = p.status?.containerStatuses?.[0]?.state?.waiting;
    return w && ['ErrImagePull', 'ImagePullBackOff'].includes(w.reason ?? '') ? w : undefined;
  }, WAIT);
  const events = await cluster.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=anonymous,reason=Failed' });
  const messages = [waiting.message ?? '', ...events.items.map((e) => e.message ?? '')].join('\n');
  assert.match(messages, /401 Unauthorized|unauthorized/i, messages);
}, { timeout: 300_000 });
