// Swapping the client certificate of a running KubeClient, against a local TLS server that answers with the client certificate's CN: requests, a running watch, a pending (bootstrap) client.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { createKubeClient } from '../../src/kubeclient/client.js';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { testCa, testKey } from '../support/test-ca.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mk-creds-'));
const ca = await testCa();
let server: https.Server;
let kubeconfig: string;
/** Every connection the server saw, with the CN it presented. */
const connections: Array<{ cn: string; socket: Socket }> = [];

const clientCert = async (cn: string) => {
  const key = testKey();
  return { cert: await ca.issue({ keyPem: key, commonName: cn }), key };
};

before(async () => {
  const serverKey = testKey();
  server = https.createServer({
    key: serverKey,
    cert: await ca.issue({ keyPem: serverKey, commonName: 'apiserver', serverIps: ['127.0.0.1'] }),
    ca: ca.certPem,
    requestCert: true,
    rejectUnauthorized: false,
  }, (req, res) => {
    const cn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? 'anonymous');
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: cn } };
    if (req.url?.includes('watch=true')) {
      // A watch stays open, as the API server's does, with one event saying who asked.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: node })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(node));
  });
  server.on('secureConnection', (s: TLSSocket) => connections.push({ cn: String(s.getPeerCertificate().subject?.CN ?? 'anonymous'), socket: s }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  kubeconfig = path.join(dir, 'kubeconfig');
  const a = await clientCert('system:node:a');
  writeFileSync(kubeconfig, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
    users: [{ name: 'u', user: { 'client-certificate-data': Buffer.from(a.cert).toString('base64'), 'client-key-data': Buffer.from(a.key).toString('base64') } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
});
after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the kubeconfig\'s own certificate is used, on one kept-alive connection', async () => {
  const before = connections.length;
  const client = await createKubeClient({ kubeconfig, qps: 0, burst: 1 });
  assert.equal((await client.nodes.get('x')).metadata?.name, 'system:node:a');
  assert.equal((await client.nodes.get('x')).metadata?.name, 'system:node:a');
  assert.equal(connections.length - before, 1, 'one TLS handshake for both requests');
  client.close();
});

test('a new certificate is used by the next request and the next watch; a running watch ends after the grace period and its owner reconnects with the new one', async () => {
  const client = await createKubeClient({ kubeconfig, qps: 0, burst: 1, requestTimeoutMs: 400 });
  const seen: string[] = [];
  let closed = 0;
  const watch = (onClose: () => void) => client.nodes.watch({}, (e) => seen.push(e.object.metadata!.name!), onClose);
  // The owner's reconnect, as a reflector does after any watch end.
  const reconnected = new Promise<void>((resolve) => {
    watch(() => {
      closed++;
      watch(() => {});
      resolve();
    });
  });
  await waitFor(() => seen.length === 1);
  client.setClientCertificate(await clientCert('system:node:b'));
  assert.equal((await client.nodes.get('x')).metadata?.name, 'system:node:b');
  assert.equal(closed, 0, 'the running watch is not cut at once');
  await reconnected;
  await waitFor(() => seen.length === 2);
  assert.deepEqual(seen, ['system:node:a', 'system:node:b']);
  client.close();
});

test('a pending client (TLS bootstrap) waits for its certificate, and says so after its deadline', async () => {
  const client = await createKubeClient({ kubeconfig, qps: 0, burst: 1, requestTimeoutMs: 300, clientCertificate: 'pending' });
  await assert.rejects(client.nodes.get('x'), (err: unknown) => err instanceof KubeApiError && err.code === 0 && /no client certificate yet/.test(err.message));
  const slow = await createKubeClient({ kubeconfig, qps: 0, burst: 1, requestTimeoutMs: 5000, clientCertificate: 'pending' });
  const answer = slow.nodes.get('x');
  setTimeout(async () => slow.setClientCertificate(await clientCert('system:node:c')), 50);
  assert.equal((await answer).metadata?.name, 'system:node:c', 'the kubeconfig\'s own certificate is not used');
  client.close();
  slow.close();
});

async function waitFor(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
