// HTTP probes against a real loopback server: request building, status mapping, the kubelet's redirect rule, timeouts.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { doHttpProbe, httpGet, newRequestForHTTPGetAction } from '../../src/prober/http.js';
import type { ProbeTarget } from '../../src/prober/types.js';

const target: ProbeTarget = { podIP: '127.0.0.1', podIPs: ['127.0.0.1'] };
let server: http.Server;
let port = 0;
const seen: http.IncomingHttpHeaders[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok':
        res.end('all good');
        return;
      case '/fail':
        res.writeHead(503).end('secret details');
        return;
      case '/hop':
        res.writeHead(302, { Location: '/ok' }).end();
        return;
      case '/away':
        // Another host: not followed, so no traffic ever goes there.
        res.writeHead(301, { Location: 'http://192.0.2.1/' }).end('moved');
        return;
      case '/loop':
        res.writeHead(302, { Location: '/loop' }).end();
        return;
      case '/slow':
        setTimeout(() => res.end('late'), 1500).unref();
        return;
      case '/big':
        res.end('x'.repeat(50_000));
        return;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('newRequestForHTTPGetAction', () => {
  const container = { ports: [{ name: 'http', containerPort: 8080 }] };
  const cases = [
    { name: 'defaults: http, the pod IP, path /', action: { port: 8080 }, url: 'http://10.88.0.7:8080/' },
    { name: 'named port', action: { port: 'http', path: '/healthz' }, url: 'http://10.88.0.7:8080/healthz' },
    { name: 'number written as a string', action: { port: '9000', path: '/x?y=1' }, url: 'http://10.88.0.7:9000/x?y=1' },
    { name: 'https scheme', action: { port: 8443, scheme: 'HTTPS', path: '/' }, url: 'https://10.88.0.7:8443/' },
    { name: 'loopback host allowed', action: { port: 9090, host: '127.0.0.1', path: '/' }, url: 'http://127.0.0.1:9090/' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const req = newRequestForHTTPGetAction(c.action, container, { podIP: '10.88.0.7', podIPs: ['10.88.0.7'] }, 'probe');
      assert.equal(req.url.href, c.url);
    });
  }

  const errors = [
    { name: 'unknown port name', action: { port: 'metrics' }, error: /strconv.Atoi: parsing "metrics": invalid syntax/ },
    { name: 'port out of range', action: { port: 70000 }, error: /invalid port number: 70000/ },
    { name: 'a host that is not the pod', action: { port: 80, host: '192.0.2.10' }, error: /neither the pod's IP nor loopback/ },
    { name: 'a host name', action: { port: 80, host: 'example.com' }, error: /neither the pod's IP nor loopback/ },
  ];
  for (const c of errors) {
    it(`refuses: ${c.name}`, () => {
      assert.throws(() => newRequestForHTTPGetAction(c.action, container, { podIP: '10.88.0.7', podIPs: ['10.88.0.7'] }, 'probe'), c.error);
    });
  }

  it('headers: kube-probe User-Agent and Accept */* unless given; names canonical; an empty Accept is dropped', () => {
    const plain = newRequestForHTTPGetAction({ port: 80 }, {}, target, 'probe');
    assert.deepEqual([...plain.headers], [['User-Agent', ['kube-probe/1.34']], ['Accept', ['*/*']]]);
    const custom = newRequestForHTTPGetAction(
      { port: 80, httpHeaders: [{ name: 'user-agent', value: 'mine' }, { name: 'x-a', value: '1' }, { name: 'X-A', value: '2' }, { name: 'accept', value: '' }] },
      {},
      target,
      'lifecycle',
    );
    assert.deepEqual([...custom.headers], [['User-Agent', ['mine']], ['X-A', ['1', '2']]]);
    assert.equal(newRequestForHTTPGetAction({ port: 80 }, {}, target, 'lifecycle').headers.get('User-Agent')?.[0], 'kube-lifecycle/1.34');
  });
});

describe('doHttpProbe', () => {
  const probe = (path: string, extra: object = {}, timeoutMs = 1000) =>
    doHttpProbe(newRequestForHTTPGetAction({ port, path, ...extra }, {}, target, 'probe'), timeoutMs);

  it('2xx succeeds with the body as output, and sends the probe headers', async () => {
    seen.length = 0;
    assert.deepEqual(await probe('/ok', { httpHeaders: [{ name: 'X-Probe', value: 'yes' }, { name: 'Host', value: 'app.local' }] }), {
      result: 'success',
      output: 'all good',
    });
    assert.equal(seen[0]!['user-agent'], 'kube-probe/1.34');
    assert.equal(seen[0]!['x-probe'], 'yes');
    assert.equal(seen[0]!.host, 'app.local');
    assert.equal(seen[0]!.accept, '*/*');
  });

  it('a failure names the status code and never the body', async () => {
    assert.deepEqual(await probe('/fail'), { result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
  });

  it('follows a redirect on the same host', async () => {
    assert.deepEqual(await probe('/hop'), { result: 'success', output: 'all good' });
  });

  it('does not follow a redirect to another host: a warning, not a failure', async () => {
    assert.deepEqual(await probe('/away'), { result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
  });

  it('gives up after 10 redirects', async () => {
    const r = await probe('/loop');
    assert.equal(r.result, 'failure');
    assert.equal(r.output, `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects`);
  });

  it('a slow answer times out and fails', async () => {
    const r = await probe('/slow', {}, 200);
    assert.equal(r.result, 'failure');
    assert.match(r.output, /context deadline exceeded \(Client.Timeout exceeded while awaiting headers\)/);
  });

  it('connection refused fails with the dial error', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await doHttpProbe(newRequestForHTTPGetAction({ port: p, path: '/' }, {}, target, 'probe'), 1000);
    assert.deepEqual(r, { result: 'failure', output: `Get "http://127.0.0.1:${p}/": dial tcp 127.0.0.1:${p}: connect: connection refused` });
  });

  it('reads at most 10 KiB of a body', async () => {
    const res = await httpGet(newRequestForHTTPGetAction({ port, path: '/big' }, {}, target, 'probe'), { timeoutMs: 1000 });
    assert.equal(res.body.length, 10 * 1024);
  });
});
