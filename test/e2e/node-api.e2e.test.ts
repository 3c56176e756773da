// The node API against the real containerd: x509 client certificates made here, exec (output, exit code, stdin, a terminal and its size), port-forward to busybox-httpd, container logs with their options, refusals that run nothing, and no leak when clients drop.
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openChannel, type NodeApiConnection } from '../../src/cli/node-api-client.js';
import { localClientCredentials, type PemPair } from '../../src/server/node-api/certs.js';
import { containerStatus, MINI_KUBELET_BIN, podYaml, startAgent, type Agent } from '../support/agent.js';
import { REPO_DIR } from '../support/runtime.js';

let agent: Agent;
let user: PemPair;
let stranger: PemPair;
let conn: NodeApiConnection;

before(async () => {
  // A client CA of the test's own: its user authenticates by certificate (AlwaysAllow: no cluster here).
  const ca = await localClientCredentials('e2e-user');
  user = ca.client;
  stranger = (await localClientCredentials('stranger')).client;
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const caFile = path.join(mkdtempSync(path.join(tmpdir(), 'mk-node-api-ca-')), 'ca.crt');
  writeFileSync(caFile, ca.caCert);
  agent = await startAgent({ name: 'nodeapi', extraArgs: ['--client-ca-file', caFile] });
  conn = { server: `https://127.0.0.1:${agent.apiPort}`, certDir: agent.certDir };
  agent.writeManifest('web.yaml', podYaml('web', `
  containers:
    - name: httpd
      image: busybox-httpd:1.36
    - name: sh
      image: busybox:1.36
      command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; done; exec sleep 3600"]
`));
  agent.writeManifest('crash.yaml', podYaml('crash', `
  containers:
    - name: c
      image: busybox:1.36
      command: ["sh", "-c", "echo run-at-$(date +%s); sleep 1; exit 3"]
`));
  await agent.waitPod('web', 'both containers running', (p) => !!containerStatus(p, 'httpd')?.state?.running && !!containerStatus(p, 'sh')?.state?.running, 120_000);
});
after(async () => {
  await agent?.cleanup();
});

/** GET (or another method) on the node API with a client certificate, or none. */
function get(p: string, creds?: PemPair, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: agent.apiPort, path: p, method, ca: readFileSync(path.join(agent.certDir, 'kubelet.crt')), cert: creds?.cert, key: creds?.key, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The CLI as a user runs it. */
async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // The connection flags go right after the command: after "--" they would be the command's.
  const argv = [MINI_KUBELET_BIN, args[0]!, '--server', conn.server, '--cert-dir', conn.certDir, ...args.slice(1)];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, argv, { cwd: REPO_DIR, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: typeof err?.code === 'number' ? err.code : err ? -1 : 0, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

const podName = () => `web-${agent.nodeName}`;

/** Runs a command over a channel WebSocket; resolves with the output and the status message. */
async function wsExec(query: string, send?: (ws: Awaited<ReturnType<typeof openChannel>>) => void): Promise<{ out: string; status: string; protocol: string }> {
  let out = '';
  let status = '';
  const ws = await openChannel(conn, `/exec/default/${podName()}/sh?${query}`, (ch, data) => {
    if (ch === 1 || ch === 2) out += data.toString();
    if (ch === 3) status = data.toString();
  });
  const protocol = ws.protocol;
  send?.(ws);
  await new Promise((r) => ws.once('close', r));
  return { out, status, protocol };
}

describe('node API (static pods, real containerd)', { concurrency: false }, () => {
  it('mini-kubelet exec: output and exit code; -i passes stdin', async () => {
    const r = await cli(['exec', 'web', '-c', 'sh', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err\n/);
    const i = await cli(['exec', 'web', '-c', 'sh', '-i', '--', 'head', '-n1'], 'hello from stdin\n');
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout, 'hello from stdin\n');
  });

  it('a terminal: tty answers, and a resize reaches stty (v4.channel.k8s.io from containerd 1.6)', async () => {
    const r = await wsExec('command=sh&command=-c&command=sleep%201%3B%20tty%3B%20stty%20size&input=1&output=1&tty=1', (ws) => {
      ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: 100, Height: 40 }))]));
    });
    assert.equal(r.protocol, 'v4.channel.k8s.io');
    assert.match(r.out, /\/dev\/pts\/\d+\r\n40 100\r\n/);
    assert.match(r.status, /"status":"Success"/);
  });

  it('mini-kubelet port-forward: an HTTP request reaches busybox-httpd', async () => {
    const { freePort } = await import('../support/agent.js');
    const local = await freePort();
    const argv = [MINI_KUBELET_BIN, 'port-forward', 'web', `${local}:8080`, '--server', conn.server, '--cert-dir', conn.certDir];
    const child = spawn(process.execPath, argv, { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    child.stdout!.on('data', (d) => (said += d));
    child.stderr!.on('data', (d) => (said += d));
    try {
      await agent.waitFor('port-forward listening', () => said.includes('Forwarding from'), 90_000);
      const res = await fetch(`http://127.0.0.1:${local}/`);
      assert.equal(await res.text(), 'mini-kubelet busybox-httpd\n');
      const res2 = await fetch(`http://127.0.0.1:${local}/healthz`);
      assert.equal(await res2.text(), 'ok\n');
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('container logs with tailLines, timestamps, limitBytes, sinceSeconds, sinceTime, previous and follow', async () => {
    const base = `/containerLogs/default/${podName()}/sh`;
    assert.equal((await get(base, user)).body, 'line-1\nline-2\nline-3\nline-4\nline-5\n');
    assert.equal((await get(`${base}?tailLines=2`, user)).body, 'line-4\nline-5\n');
    assert.equal((await get(`${base}?limitBytes=9`, user)).body, 'line-1\nli');
    assert.match((await get(`${base}?timestamps=true&tailLines=1`, user)).body, /^\d{4}-\d\d-\d\dT[\d:.]+Z line-5\n$/);
    assert.equal((await get(`${base}?sinceTime=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, user)).body, '');
    assert.equal((await get(`${base}?sinceSeconds=3600`, user)).body.split('\n').length, 6);
    const p = await agent.waitPod('crash', 'restarted once', (x: V1Pod) => (containerStatus(x, 'c')?.restartCount ?? 0) >= 1, 120_000);
    const crashBase = `/containerLogs/default/${p.metadata!.name}/c`;
    const prev = await get(`${crashBase}?previous=true`, user);
    assert.equal(prev.status, 200);
    assert.match(prev.body, /^run-at-\d+\n$/);
    // follow: the stream stays open for the next instance's line.
    const follow = await new Promise<string>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: agent.apiPort, path: `${base}?follow=true&tailLines=1`, ca: readFileSync(path.join(agent.certDir, 'kubelet.crt')), cert: user.cert, key: user.key, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
          if (body.includes('line-5\n')) {
            req.destroy();
            resolve(body);
          }
        });
      });
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
      req.end();
    });
    assert.equal(follow, 'line-5\n');
  });

  it('refused: a certificate the CA did not sign, and no certificate with anonymous off; nothing runs', async () => {
    const marker = `/tmp/pwned-${Date.now()}`;
    for (const creds of [stranger, undefined]) {
      const r = await get(`/run/default/${podName()}/sh?cmd=touch%20${marker}`, creds, 'POST');
      assert.deepEqual([r.status, r.body], [401, 'Unauthorized']);
      assert.equal((await get('/pods', creds)).status, 401);
    }
    const check = await get(`/run/default/${podName()}/sh?cmd=ls%20${marker}`, user, 'POST');
    assert.equal(check.status, 500, 'the marker file does not exist');
    assert.match(check.body, /No such file or directory/);
  });

  it('/run, /runningpods/, /spec/, /configz, /stats/summary and /metrics answer', async () => {
    const run = await get(`/run/default/${podName()}/sh?cmd=echo%20hi`, user, 'POST');
    assert.deepEqual([run.status, run.body], [200, 'hi\n']);
    const running = JSON.parse((await get('/runningpods/', user)).body) as { items: V1Pod[] };
    assert.ok(running.items.some((p) => p.metadata?.name === podName()));
    assert.ok(JSON.parse((await get('/spec/', user)).body).num_cores >= 1);
    assert.equal(JSON.parse((await get('/configz', user)).body).kubeletconfig.port, agent.apiPort);
    assert.equal((await get('/stats/summary', user)).status, 200);
    assert.match((await get('/metrics', user)).body, /kubelet_http_requests_total\{method="POST",path="run",server_type="readwrite",long_running="false"\}/);
  });

  it('streams dropped mid-way, many at once: no socket to the streaming server stays open, no request stays in flight', async () => {
    const streamPort = Number(new URL(await agent.cri.exec({ containerId: containerStatus(await agent.pod('web'), 'sh')!.containerID!.replace(/^containerd:\/\//, ''), cmd: ['true'], stdout: true })).port);
    const pid = agent.pid()!;
    const upstreamSockets = async () => {
      const { stdout } = await promisify(execFile)('ss', ['-Htnp', 'state', 'established', 'dport', `= :${streamPort}`]);
      return stdout.split('\n').filter((l) => l.includes(`pid=${pid},`)).length;
    };
    const inflight = async () => {
      const m = (await get('/metrics', user)).body.match(/kubelet_http_inflight_requests\{method="GET",path="exec",server_type="readwrite",long_running="true"\} (\d+)/);
      return m ? Number(m[1]) : 0;
    };
    const open = await Promise.all(Array.from({ length: 12 }, () => openChannel(conn, `/exec/default/${podName()}/sh?command=cat&input=1&output=1`, () => {})));
    assert.equal(await upstreamSockets(), 12, 'one proxied connection per stream');
    assert.equal(await inflight(), 12);
    for (const ws of open) {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.alloc(32 * 1024, 97)]));
      ws.terminate();
    }
    await agent.waitFor('every proxied connection closed', async () => (await upstreamSockets()) === 0 && (await inflight()) === 0, 30_000);
    // And the exec still works afterwards.
    assert.equal((await wsExec('command=echo&command=still-ok&output=1')).out, 'still-ok\n');
  });
});
