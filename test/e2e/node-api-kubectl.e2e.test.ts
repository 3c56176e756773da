// kubectl logs, exec, attach, port-forward and cp through the real API server (v1.28) to the agent's node API, and the refusals: a client certificate the API's CA did not sign, a token it rejects, a user RBAC does not allow.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localClientCredentials } from '../../src/server/node-api/certs.js';
import { after, type TestContext } from 'node:test';
import { freePort, startAgent, type Agent } from '../support/agent.js';
import { clusterTest, ensureCluster, uniqueName, type Cluster } from '../support/cluster.js';

interface Setup {
  cluster: Cluster;
  agent: Agent;
  ns: string;
  pod: string;
  crash: string;
  kubectlEnv: string;
}
let setup: Promise<Setup> | undefined;
/** Clean-ups of what lives as long as the file's agent. */
const fileScope: Array<() => unknown> = [];
after(async () => {
  const s = await setup?.catch(() => undefined);
  await s?.agent.cleanup();
  for (const fn of fileScope.reverse()) await fn();
});

const webSpec = (nodeName: string) => ({
  nodeName,
  automountServiceAccountToken: false,
  terminationGracePeriodSeconds: 1,
  containers: [
    { name: 'httpd', image: 'busybox-httpd:1.36' },
    { name: 'sh', image: 'busybox:1.36', command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line-$i; done; while true; do echo tick; sleep 1; done'] },
  ],
});
const crashSpec = (nodeName: string) => ({
  nodeName,
  automountServiceAccountToken: false,
  terminationGracePeriodSeconds: 1,
  containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'echo run-at-$(date +%s); sleep 1; exit 3'] }],
});

/**
 * One agent joined to the cluster with its node's own credentials (--kubeconfig), --node-ip
 * 127.0.0.1 and a free --port (the API server dials InternalIP:daemonEndpoints port), its client
 * CA the cluster's (the API server's kubelet client certificate), Webhook authentication and
 * authorization (the defaults with --kubeconfig). Pods come from the API server, bound to the node.
 * The agent registers its Node (with its addresses and daemonEndpoints) and renews its Lease itself.
 */
function prepare(): Promise<Setup> {
  setup ??= (async () => {
    const cluster = await ensureCluster();
    const scope = { after: (fn: () => unknown) => void fileScope.push(fn) } as unknown as TestContext;
    const agent = await startAgent({
      name: 'kubectl',
      extraArgs: async (nodeName) => [
        '--kubeconfig', await cluster.mintNodeKubeconfig(scope, nodeName),
        '--node-ip', '127.0.0.1',
        '--client-ca-file', path.join(cluster.dir, 'pki', 'ca.crt'),
      ],
    });
    const admin = async (args: string[], input?: string) => {
      const r = await cluster.kubectl(args, { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const nodeName = agent.nodeName;
    fileScope.push(() => cluster.core.deleteNode({ name: nodeName }).catch(() => undefined));
    await cluster.waitForNodeReady(nodeName);
    const ns = uniqueName('nodeapi');
    await admin(['create', 'namespace', ns]);
    fileScope.push(() => cluster.kubectl(['delete', 'namespace', ns, '--wait=false']));
    for (const [name, spec] of [['web', webSpec(nodeName)], ['crash', crashSpec(nodeName)]] as const) {
      await admin(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec }));
    }
    await cluster.waitFor('web Running in the API', async () => (await cluster.kubectl(['get', 'pod', 'web', '-n', ns, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 180_000);
    return { cluster, agent, ns, pod: 'web', crash: 'crash', kubectlEnv: cluster.adminKubeconfig };
  })();
  return setup;
}

/** kubectl as the admin in the test's namespace; `input` is its stdin. */
async function kubectl(args: string[], input?: string) {
  const s = await prepare();
  return s.cluster.kubectl(['-n', s.ns, ...args], { input });
}

clusterTest('kubectl logs: --tail, --since, --previous, -f', async () => {
  const s = await prepare();
  const all = await kubectl(['logs', s.pod, '-c', 'sh']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^line-1\nline-2\nline-3\nline-4\nline-5\n(tick\n)*/);
  const tail = await kubectl(['logs', s.pod, '-c', 'sh', '--tail=1']);
  assert.deepEqual([tail.code, tail.stdout.split('\n').length], [0, 2], tail.stderr);
  const since = await kubectl(['logs', s.pod, '-c', 'sh', '--since=1h']);
  assert.match(since.stdout, /^line-1\n/);
  await s.cluster.waitFor('crash restarted once', async () => Number((await kubectl(['get', 'pod', s.crash, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout) >= 1, 180_000);
  const prev = await kubectl(['logs', s.crash, '--previous']);
  assert.equal(prev.code, 0, prev.stderr);
  assert.match(prev.stdout, /^run-at-\d+\n$/);
  const follow = await kubectl(['logs', s.pod, '-c', 'sh', '-f', '--tail=1', '--request-timeout=4s']);
  assert.ok((follow.stdout.match(/tick/g) ?? []).length >= 2, `follow streamed new lines: ${JSON.stringify(follow)}`);
}, { timeout: 300_000 });

clusterTest('kubectl exec: output and exit code, -i with stdin, -t with a terminal', async () => {
  const s = await prepare();
  const r = await kubectl(['exec', s.pod, '-c', 'sh', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, 'out\n');
  assert.match(r.stderr, /err\n/);
  const i = await kubectl(['exec', '-i', s.pod, '-c', 'sh', '--', 'sh', '-c', 'cat | wc -l'], 'a\nb\nc\n');
  assert.equal(i.code, 0, i.stderr);
  assert.equal(i.stdout.trim(), '3');
  // -t (with -i, as kubectl wants) needs a terminal on kubectl's side: script(1) gives it one.
  const cmd = `KUBECONFIG=${s.kubectlEnv} kubectl -n ${s.ns} exec -it ${s.pod} -c sh -- tty`;
  const t = await new Promise<string>((resolve) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
    child.stdin.end();
  });
  assert.match(t, /\/dev\/pts\/\d+/);
}, { timeout: 300_000 });

clusterTest('kubectl attach: the running process\'s output', async () => {
  const s = await prepare();
  const r = await new Promise<string>((resolve) => {
    const child = spawn('kubectl', ['-n', s.ns, 'attach', s.pod, '-c', 'sh'], { env: { ...process.env, KUBECONFIG: s.kubectlEnv } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if ((out.match(/tick/g) ?? []).length >= 2) child.kill('SIGINT');
    });
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', () => (clearTimeout(timer), resolve(out)));
  });
  assert.match(r, /tick\n.*tick/s);
}, { timeout: 120_000 });

clusterTest('kubectl port-forward: an HTTP request through it', async () => {
  const s = await prepare();
  const local = await freePort();
  const child = spawn('kubectl', ['-n', s.ns, 'port-forward', s.pod, `${local}:8080`], { env: { ...process.env, KUBECONFIG: s.kubectlEnv } });
  let said = '';
  child.stdout.on('data', (d) => (said += d));
  child.stderr.on('data', (d) => (said += d));
  try {
    await s.agent.waitFor(`port-forward listening (${said})`, () => said.includes('Forwarding from'), 60_000);
    assert.equal(await (await fetch(`http://127.0.0.1:${local}/`)).text(), 'mini-kubelet busybox-httpd\n');
  } finally {
    child.kill('SIGINT');
  }
}, { timeout: 120_000 });

clusterTest('kubectl cp both ways', async () => {
  const s = await prepare();
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-cp-'));
  const content = `payload ${Date.now()}\n`.repeat(1000);
  writeFileSync(path.join(dir, 'up.txt'), content);
  const up = await kubectl(['cp', path.join(dir, 'up.txt'), `${s.ns}/${s.pod}:/tmp/up.txt`, '-c', 'sh']);
  assert.equal(up.code, 0, up.stderr);
  const check = await kubectl(['exec', s.pod, '-c', 'sh', '--', 'md5sum', '/tmp/up.txt']);
  const { createHash } = await import('node:crypto');
  assert.equal(check.stdout.split(' ')[0], createHash('md5').update(content).digest('hex'));
  const down = await kubectl(['cp', `${s.ns}/${s.pod}:/tmp/up.txt`, path.join(dir, 'down.txt'), '-c', 'sh']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(readFileSync(path.join(dir, 'down.txt'), 'utf8'), content);
}, { timeout: 180_000 });

clusterTest('refused: a certificate the CA did not sign, a rejected token, a user RBAC does not allow; nothing runs', async (c) => {
  const s = await prepare();
  const marker = `/tmp/pwned-${Date.now()}`;
  const server = (JSON.parse((await c.kubectl(['config', 'view', '--raw', '-o', 'json'])).stdout) as { clusters: Array<{ cluster: { server: string } }> }).clusters[0]!.cluster.server;
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-refused-'));
  const stranger = await localClientCredentials('stranger');
  writeFileSync(path.join(dir, 's.crt'), stranger.client.cert);
  writeFileSync(path.join(dir, 's.key'), stranger.client.key);
  const base = ['--server', server, '--certificate-authority', path.join(c.dir, 'pki', 'ca.crt'), '--kubeconfig', '/dev/null'];
  const exec = ['-n', s.ns, 'exec', s.pod, '-c', 'sh', '--', 'touch', marker];
  const badCert = await c.kubectl([...base, '--client-certificate', path.join(dir, 's.crt'), '--client-key', path.join(dir, 's.key'), ...exec]);
  assert.notEqual(badCert.code, 0);
  assert.match(badCert.stderr, /Unauthorized|must be logged in/);
  const badToken = await c.kubectl([...base, '--token', 'not-a-real-token', ...exec]);
  assert.notEqual(badToken.code, 0);
  assert.match(badToken.stderr, /Unauthorized|must be logged in/);
  // A ServiceAccount with no role: authenticated, but RBAC allows it no pods/exec.
  assert.equal((await kubectl(['create', 'serviceaccount', 'nobody-e2e'])).code === 0 || true, true);
  const token = (await kubectl(['create', 'token', 'nobody-e2e'])).stdout.trim();
  const noRbac = await c.kubectl([...base, '--token', token, ...exec]);
  assert.notEqual(noRbac.code, 0);
  assert.match(noRbac.stderr, /Forbidden|forbidden/);
  // The same three at the node's own port: 401, 401, 403 (TokenReview and SubjectAccessReview, asked by the agent).
  const atNode = (headers: Record<string, string>, cert?: { cert: string; key: string }) => new Promise<number>((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: s.agent.apiPort, method: 'POST', path: `/run/${s.ns}/${s.pod}/sh?cmd=touch%20${marker}`, headers, rejectUnauthorized: false, cert: cert?.cert, key: cert?.key, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(await atNode({}, stranger.client), 401);
  assert.equal(await atNode({ Authorization: 'Bearer not-a-real-token' }), 401);
  assert.equal(await atNode({ Authorization: `Bearer ${token}` }), 403);
  const ls = await kubectl(['exec', s.pod, '-c', 'sh', '--', 'ls', marker]);
  assert.notEqual(ls.code, 0, 'the marker was never made');
  await kubectl(['delete', 'serviceaccount', 'nobody-e2e']);
}, { timeout: 180_000 });

clusterTest('timings: kubectl exec of true (p50 over 20), a 100 MB port-forward transfer', async (c, t) => {
  const s = await prepare();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const r = await kubectl(['exec', s.pod, '-c', 'sh', '--', 'true']);
    times.push(performance.now() - started);
    assert.equal(r.code, 0, r.stderr);
  }
  times.sort((a, b) => a - b);
  t.diagnostic(`kubectl exec -- true: p50 ${times[9]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms, max ${times[19]!.toFixed(0)} ms (20 runs, including kubectl's own start)`);
  const mk = await kubectl(['exec', s.pod, '-c', 'httpd', '--', 'dd', 'if=/dev/zero', 'of=/www/big', 'bs=1048576', 'count=100']);
  assert.equal(mk.code, 0, mk.stderr);
  const local = await freePort();
  const child = spawn('kubectl', ['-n', s.ns, 'port-forward', s.pod, `${local}:8080`], { env: { ...process.env, KUBECONFIG: s.kubectlEnv } });
  let said = '';
  child.stdout.on('data', (d) => (said += d));
  try {
    await s.agent.waitFor('port-forward listening', () => said.includes('Forwarding from'), 60_000);
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${local}/big`);
    let n = 0;
    for await (const chunk of res.body!) n += (chunk as Uint8Array).length;
    const ms = performance.now() - started;
    assert.equal(n, 100 * 1048576);
    t.diagnostic(`kubectl port-forward, 100 MB: ${ms.toFixed(0)} ms (${(100 / (ms / 1000)).toFixed(1)} MB/s)`);
  } finally {
    child.kill('SIGINT');
  }
  void c;
}, { timeout: 600_000 });
