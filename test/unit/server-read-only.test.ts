// The read-only server's endpoints over real HTTP on an ephemeral port, fed by a fake pod view.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import pino from 'pino';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import { FakePodView, runningPod } from '../support/fake-pod-view.js';

const logger = pino({ level: 'silent' });

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('read-only server', () => {
  const view = new FakePodView();
  let server: ReadOnlyServer;
  before(async () => {
    server = await startReadOnlyServer({ port: 0, anyPort: true, source: view, logger });
  });
  after(() => server.close());

  test('/healthz answers ok while healthy, 500 with the message when not', async () => {
    view.health = { ok: true, message: '' };
    const ok = await request(server.port, '/healthz');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'ok');
    view.health = { ok: false, message: 'pleg is not healthy: last relist 4m ago' };
    const bad = await request(server.port, '/healthz');
    assert.equal(bad.status, 500);
    assert.equal(bad.body, 'pleg is not healthy: last relist 4m ago');
    view.health = { ok: true, message: '' };
  });

  test('/pods is a v1 PodList in namespace/name order, only API fields and RFC3339 times', async () => {
    const probed = runningPod('web', { created: new Date('2024-05-01T10:00:00.789Z') });
    probed.spec!.containers[0]!.livenessProbe = { exec: { command: ['true'] }, periodSeconds: 5 };
    // Only API fields go on the wire: a field the V1Pod model does not know is left out.
    (probed.status as Record<string, unknown>).agentCache = { sandboxId: 'abc' };
    view.set([runningPod('zeta', { namespace: 'a' }), probed, runningPod('alpha', { namespace: 'kube-system' })]);
    const res = await request(server.port, '/pods');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /application\/json/);
    const list = JSON.parse(res.body);
    assert.equal(list.kind, 'PodList');
    assert.equal(list.apiVersion, 'v1');
    assert.deepEqual(list.metadata, {});
    assert.deepEqual(list.items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`), ['a/zeta', 'default/web', 'kube-system/alpha']);
    const web = list.items[1];
    assert.equal(web.kind, 'Pod');
    assert.equal(web.metadata.creationTimestamp, '2024-05-01T10:00:00Z');
    assert.deepEqual(web.spec.containers[0].livenessProbe, { exec: { command: ['true'] }, periodSeconds: 5 });
    assert.equal(web.status.agentCache, undefined);
    assert.equal(web.status.phase, 'Running');
    assert.equal(web.status.containerStatuses[0].state.running.startedAt, '2024-05-01T10:00:00Z');
  });

  test('/manifests/errors lists the rejected manifests', async () => {
    view.rejectedManifests = [{ source: 'file', path: '/etc/manifests/bad.yaml', podName: 'bad', message: 'spec.containers: Required value' }];
    const res = await request(server.port, '/manifests/errors');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { items: view.rejectedManifests });
    view.rejectedManifests = [];
  });

  test('unknown paths get a 404 metav1.Status', async () => {
    const res = await request(server.port, '/stats/summary');
    assert.equal(res.status, 404);
    const body = JSON.parse(res.body);
    assert.equal(body.kind, 'Status');
    assert.equal(body.reason, 'NotFound');
    assert.equal(body.code, 404);
  });

  test('only GET and HEAD are allowed', async () => {
    const res = await request(server.port, '/pods', 'POST');
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
    assert.equal(JSON.parse(res.body).reason, 'MethodNotAllowed');
    const head = await request(server.port, '/pods', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('a throwing source gives a 500 Status, and the server keeps serving', async () => {
    const broken = Object.create(view) as FakePodView;
    broken.pods = () => {
      throw new Error('cache not ready');
    };
    const s = await startReadOnlyServer({ port: 0, anyPort: true, source: broken, logger });
    try {
      const res = await request(s.port, '/pods');
      assert.equal(res.status, 500);
      assert.equal(JSON.parse(res.body).message, 'cache not ready');
      assert.equal((await request(s.port, '/healthz')).status, 200);
    } finally {
      await s.close();
    }
  });
});

test('port 0 disables the server, as the kubelet --read-only-port=0 does', async () => {
  const s = await startReadOnlyServer({ port: 0, source: new FakePodView(), logger });
  assert.equal(s.port, 0);
  await s.close();
});

test('a port already in use rejects the start', async () => {
  const first = await startReadOnlyServer({ port: 0, anyPort: true, source: new FakePodView(), logger });
  try {
    await assert.rejects(startReadOnlyServer({ port: first.port, source: new FakePodView(), logger }), /EADDRINUSE/);
  } finally {
    await first.close();
  }
});
