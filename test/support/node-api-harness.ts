// A node API server on loopback for unit tests: real TLS (certificates made here), a fake CRI whose streaming URLs point at a fake streaming server, and HTTPS/upgrade clients.
import type { V1Pod } from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ObservedPod } from '../../src/runtime/types.js';
import { localClientCredentials, type PemPair } from '../../src/server/node-api/certs.js';
import { NodeApiAuthenticator } from '../../src/server/node-api/authn.js';
import { alwaysAllow, type Authorizer } from '../../src/server/node-api/authz.js';
import { startNodeApiServer, type NodeApiServer, type NodeApiServerOptions } from '../../src/server/node-api/server.js';
import { CERT_FILES, loadServingTLS, type ServingTLS } from '../../src/server/node-api/tls.js';
import type { PodViewSource } from '../../src/server/types.js';

export const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A streaming server as containerd's: 101 and an echo for /exec/*, 403 with a body for /refuse. */
export class FakeStreamingServer {
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; rawHeaders: string[] }> = [];
  readonly open = new Set<Duplex>();
  closed = 0;
  private server = http.createServer((_req, res) => res.writeHead(400).end('upgrade only'));
  port = 0;

  async start(): Promise<this> {
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
      this.requests.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders });
      if (req.url?.startsWith('/refuse')) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n\r\nrequested protocol refused');
        return;
      }
      this.open.add(socket);
      socket.once('close', () => {
        this.open.delete(socket);
        this.closed++;
      });
      socket.on('error', () => socket.destroy());
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
      socket.pipe(socket);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface CriCall {
  verb: string;
  req: unknown;
}

export const POD: V1Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
  spec: { containers: [{ name: 'c', image: 'busybox' }, { name: 'tty', image: 'busybox', tty: true }] },
};
export const OBSERVED: ObservedPod = {
  uid: 'uid-web', name: 'web', namespace: 'default', timestamp: 0,
  sandboxes: [{ id: 'sb-1', attempt: 0, state: 'ready', createdAt: 0, ip: '10.0.0.2', ips: ['10.0.0.2'], hostNetwork: false }],
  containers: ['c', 'tty'].map((name) => ({
    id: `cid-${name}`, name, sandboxId: 'sb-1', restartCount: 0, state: 'running' as const, createdAt: 0, startedAt: 0, finishedAt: 0, exitCode: 0,
    reason: '', message: '', image: 'busybox', imageRef: '', hash: '', logPath: '', annotations: {},
  })),
};

export interface Harness {
  dir: string;
  tls: ServingTLS;
  server: NodeApiServer;
  upstream: FakeStreamingServer;
  cri: CriCall[];
  /** The next streaming URL the fake CRI gives points at the fake server's refusal. */
  refuseNext(): void;
  /** The local CLI's credentials as the agent wrote them. */
  local: PemPair;
  /** A user whose CA is in --client-ca-file. */
  alice: PemPair;
  /** A certificate from a CA nobody trusts. */
  mallory: PemPair;
  stop(): Promise<void>;
}

export async function startHarness(o: Partial<NodeApiServerOptions> & { anonymous?: boolean; authorizer?: Authorizer; authenticator?: NodeApiServerOptions['authenticator'] } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-node-api-'));
  const alice = await localClientCredentials('alice');
  const mallory = await localClientCredentials('mallory');
  writeFileSync(path.join(dir, 'client-ca.crt'), alice.caCert);
  const tls = await loadServingTLS({ certDir: path.join(dir, 'pki'), clientCAFile: path.join(dir, 'client-ca.crt'), hostName: 'test-node', ips: ['127.0.0.1'] });
  const { readFileSync } = await import('node:fs');
  const local = {
    cert: readFileSync(path.join(dir, 'pki', CERT_FILES.localClientCert), 'utf8'),
    key: readFileSync(path.join(dir, 'pki', CERT_FILES.localClientKey), 'utf8'),
  };
  const upstream = await new FakeStreamingServer().start();
  const cri: CriCall[] = [];
  let refuse = false;
  const url = (kind: string) => {
    const u = `http://127.0.0.1:${upstream.port}/${refuse ? 'refuse' : kind}/token-${cri.length}`;
    refuse = false;
    return u;
  };
  const source: PodViewSource = { pods: () => [POD], healthz: () => ({ ok: true, message: '' }), rejected: () => [], subscribe: () => () => {} };
  const server = await startNodeApiServer({
    source,
    logger: quiet,
    address: '127.0.0.1',
    port: 0,
    anyPort: true,
    tls,
    nodeName: 'test-node',
    authenticator: o.authenticator ?? new NodeApiAuthenticator({ localCA: tls.localCA, tokenCacheTtlMs: 120_000, anonymous: o.anonymous ?? false }),
    authorizer: o.authorizer ?? alwaysAllow,
    streaming: {
      cri: {
        exec: async (req) => (cri.push({ verb: 'exec', req }), url('exec')),
        attach: async (req) => (cri.push({ verb: 'attach', req }), url('attach')),
        portForward: async (req) => (cri.push({ verb: 'portForward', req }), url('portforward')),
        execSync: async (id, cmd) => {
          cri.push({ verb: 'execSync', req: { id, cmd } });
          return cmd[0] === 'false' ? { stdout: Buffer.from(''), stderr: Buffer.from('bad'), exitCode: 1 } : { stdout: Buffer.from('out\n'), stderr: Buffer.from('err\n'), exitCode: 0 };
        },
      },
      pods: () => [POD],
      observed: (uid) => (uid === OBSERVED.uid ? OBSERVED : undefined),
    },
    runningPods: () => [POD],
    machineSpec: async () => ({ num_cores: 2 }),
    configz: () => ({ kubeletconfig: { port: 10250 } }),
    ...o,
  });
  return {
    dir, tls, server, upstream, cri, local, refuseNext: () => void (refuse = true), alice: alice.client, mallory: mallory.client,
    stop: async () => {
      await server.close();
      await upstream.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ClientCreds {
  cert?: string;
  key?: string;
  token?: string;
}

/** An HTTPS request; resolves with status, headers and body. */
export function request(h: Harness, p: string, creds: ClientCreds = {}, opts: { method?: string; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: h.server.port, path: p, method: opts.method ?? 'GET', ca: h.tls.cert, cert: creds.cert, key: creds.key, agent: false,
      headers: creds.token ? { Authorization: `Bearer ${creds.token}` } : {},
    }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An upgrade request as kubectl's SPDY one (POST, Upgrade: SPDY/3.1, one X-Stream-Protocol-Version line per protocol). */
export function upgrade(h: Harness, p: string, creds: ClientCreds = {}, opts: { method?: string; headers?: http.OutgoingHttpHeaders } = {}): Promise<{ socket: Socket; head: string } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: h.server.port, path: p, method: opts.method ?? 'POST', ca: h.tls.cert, cert: creds.cert, key: creds.key, agent: false,
      headers: {
        Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': ['v4.channel.k8s.io', 'v3.channel.k8s.io'],
        ...(creds.token ? { Authorization: `Bearer ${creds.token}` } : {}), ...opts.headers,
      },
    });
    req.on('upgrade', (res, socket) => resolve({ socket: socket as Socket, head: `${res.statusCode} ${JSON.stringify(res.headers)}` }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes `data` and reads until as many bytes came back (the fake upstream echoes). */
export function echo(socket: Duplex, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const onData = (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (n >= data.length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(data);
  });
}

export async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const started = Date.now();
  while (!fn()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
