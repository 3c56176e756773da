// The node API end to end in one process: TLS, authentication and authorization before anything runs, routing, the upgrade proxy to a fake streaming server, and its bounds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeKube } from '../support/fake-kube.js';
import { echo, request, startHarness, until, upgrade, type Harness } from '../support/node-api-harness.js';
import { NodeApiAuthenticator } from '../../src/server/node-api/authn.js';
import { WebhookAuthorizer } from '../../src/server/node-api/authz.js';

describe('authentication and authorization: refused requests never reach the runtime', () => {
  let h: Harness;
  const kube = new FakeKube();
  before(async () => {
    kube.tokenUsers.set('good-token', { username: 'bob', groups: ['devs'] });
    kube.decideAccess = (r) => ({ allowed: r.spec.user === 'bob' && r.spec.resourceAttributes?.subresource === 'proxy' });
    const client = kube.client();
    // Webhook authentication and authorization; the local CA is not passed, so no one is local here.
    h = await startHarness({
      authenticator: new NodeApiAuthenticator({ localCA: undefined, tokenReviews: client.tokenReviews, tokenCacheTtlMs: 120_000, anonymous: false }),
      authorizer: new WebhookAuthorizer({ reviews: client.subjectAccessReviews, allowTtlMs: 300_000, denyTtlMs: 30_000 }),
    });
  });
  after(() => h.stop());

  const refusals: Array<[string, () => Promise<{ status: number; body: string }>, number, RegExp]> = [
    ['no credentials, anonymous off', () => request(h, '/pods'), 401, /^Unauthorized$/],
    ['a certificate from a CA the node does not trust', () => request(h, '/pods', h.mallory), 401, /^Unauthorized$/],
    ['a token the API rejects', () => request(h, '/pods', { token: 'bad-token' }), 401, /^Unauthorized$/],
    ['a user RBAC does not allow (SubjectAccessReview: not allowed)', () => request(h, '/pods', h.alice), 403, /^Forbidden \(user=alice, verb=get, resource=nodes, subresource=proxy\)$/],
    ['an allowed user on a subresource it may not use', () => request(h, '/stats/summary', { token: 'good-token' }), 403, /subresource=stats/],
  ];
  for (const [name, call, status, body] of refusals) {
    test(`${name}: ${status}`, async () => {
      const r = await call();
      assert.equal(r.status, status);
      assert.match(r.body, body);
    });
  }

  test('an exec upgrade without the right is refused before the runtime is asked', async () => {
    for (const creds of [{}, h.mallory, { token: 'bad-token' }, h.alice]) {
      const r = await upgrade(h, '/exec/default/web/c?command=id&output=1', creds);
      assert.ok('status' in r && (r.status === 401 || r.status === 403), JSON.stringify(r));
    }
    assert.deepEqual(h.cri, [], 'no CRI Exec');
    assert.equal(h.upstream.requests.length, 0, 'nothing reached the streaming server');
  });

  test('a good token through TokenReview: allowed on nodes/proxy; the review and the SAR are cached', async () => {
    kube.tokenUsers.set('token-2', { username: 'bob', groups: ['devs'] });
    const before = kube.callsOf('tokenreviews').length;
    const sarsBefore = kube.callsOf('subjectaccessreviews').length;
    for (let i = 0; i < 3; i++) assert.equal((await request(h, '/healthz', { token: 'token-2' })).status, 200);
    assert.equal(kube.callsOf('tokenreviews').length - before, 1, 'one TokenReview for three requests');
    const sars = kube.callsOf('subjectaccessreviews').slice(sarsBefore);
    assert.equal(sars.length, 1, 'one SubjectAccessReview for three requests');
    const spec = (sars[0]!.body as { spec: unknown }).spec;
    assert.deepEqual(spec, {
      user: 'bob', groups: ['devs', 'system:authenticated'],
      resourceAttributes: { namespace: '', verb: 'get', group: '', version: 'v1', resource: 'nodes', subresource: 'proxy', name: 'test-node' },
    });
  });

  test('the API server failing a SubjectAccessReview is a 500, not an allow', async () => {
    kube.failNext('subjectaccessreviews', 'create');
    const r = await request(h, '/run/default/web/c?cmd=id', { token: 'good-token' }, { method: 'POST' });
    assert.equal(r.status, 500);
    assert.match(r.body, /^Authorization error \(user=bob, verb=create, resource=nodes, subresource=proxy\)$/);
    assert.deepEqual(h.cri, [], 'nothing ran');
  });
});

describe('routes, with the local CLI credentials', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  test('the local certificate passes; the shared endpoints answer as on the read-only port', async () => {
    assert.deepEqual([(await request(h, '/healthz', h.local)).status, (await request(h, '/healthz', h.local)).body], [200, 'ok']);
    const pods = JSON.parse((await request(h, '/pods', h.local)).body);
    assert.equal(pods.items[0].metadata.name, 'web');
    assert.equal(JSON.parse((await request(h, '/runningpods/', h.local)).body).kind, 'PodList');
    assert.deepEqual(JSON.parse((await request(h, '/spec/', h.local)).body), { num_cores: 2 });
    assert.deepEqual(JSON.parse((await request(h, '/configz', h.local)).body), { kubeletconfig: { port: 10250 } });
    assert.equal((await request(h, '/nope', h.local)).status, 404);
  });

  test('a user of --client-ca-file passes with AlwaysAllow', async () => {
    assert.equal((await request(h, '/healthz', h.alice)).status, 200);
  });

  test('/run: POST only, stdout then stderr; a non-zero exit is a 500', async () => {
    const ok = await request(h, '/run/default/web/c?cmd=ls%20-l', h.local, { method: 'POST' });
    assert.deepEqual([ok.status, ok.body], [200, 'out\nerr\n']);
    assert.deepEqual(h.cri.at(-1), { verb: 'execSync', req: { id: 'cid-c', cmd: ['ls', '-l'] } });
    const bad = await request(h, '/run/default/web/c?cmd=false', h.local, { method: 'POST' });
    assert.deepEqual([bad.status, bad.body], [500, "command 'false' exited with 1: bad"]);
    assert.equal((await request(h, '/run/default/web/c?cmd=ls', h.local)).status, 405);
  });

  test('exec without an upgrade: 400, and the runtime is not asked', async () => {
    const n = h.cri.length;
    const r = await request(h, '/exec/default/web/c?command=ls&output=1', h.local);
    assert.deepEqual([r.status, r.body], [400, 'Upgrade request required']);
    assert.equal(h.cri.length, n);
  });

  const badStreams: Array<[string, string, number, RegExp]> = [
    ['no stream asked for', '/exec/default/web/c?command=ls', 400, /at least 1 of stdin, stdout, stderr/],
    ['an unknown pod', '/exec/default/nope/c?command=ls&output=1', 404, /pod does not exist/],
    ['a container not running', '/exec/default/web/gone?command=ls&output=1', 500, /container not found \("gone"\)/],
    ['a pod UID that does not match', '/exec/default/web/other-uid/c?command=ls&output=1', 500, /container not found/],
    ['a WebSocket port-forward without ports', '/portForward/default/web', 400, /query parameter "port" is required/],
  ];
  for (const [name, p, status, body] of badStreams) {
    test(`refused stream: ${name} (${status})`, async () => {
      const headers = p.startsWith('/portForward') ? { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } : {};
      const r = await upgrade(h, p, h.local, { headers });
      assert.ok('status' in r, 'not upgraded');
      assert.equal(r.status, status);
      assert.match(r.body, body);
    });
  }

  test('a request with a body gets its answer and the connection is closed (bodies are never read)', async () => {
    const r = await request(h, '/healthz', h.local, { method: 'POST', body: 'x'.repeat(1_000_000) });
    assert.equal(r.status, 405);
    assert.equal(r.headers.connection, 'close');
  });
});

describe('the upgrade proxy', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ maxStreams: 4 });
  });
  after(() => h.stop());

  test('exec: the CRI request, the upgrade forwarded with its headers (repeated ones kept, credentials dropped), bytes both ways', async () => {
    const r = await upgrade(h, '/exec/default/web/c?command=sh&command=-c&command=echo%20hi&input=1&output=1&error=1&tty=1', { ...h.local, token: 'secret' });
    assert.ok('socket' in r, JSON.stringify(r));
    assert.match(r.head, /^101 /);
    assert.deepEqual(h.cri.at(-1), { verb: 'exec', req: { containerId: 'cid-c', cmd: ['sh', '-c', 'echo hi'], stdin: true, stdout: true, stderr: false, tty: true } });
    const seen = h.upstream.requests.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.match(seen.url, /^\/exec\/token-\d+$/);
    assert.equal(seen.headers.upgrade, 'SPDY/3.1');
    assert.deepEqual(seen.rawHeaders.filter((_, i, a) => i % 2 === 1 && a[i - 1]!.toLowerCase() === 'x-stream-protocol-version'), ['v4.channel.k8s.io', 'v3.channel.k8s.io']);
    assert.equal(seen.headers.authorization, undefined, 'the bearer token stays here');
    const payload = Buffer.alloc(256 * 1024, 7);
    assert.deepEqual(await echo(r.socket, payload), payload);
    r.socket.destroy();
    await until('the stream closed on both sides', () => h.server.activeStreams() === 0 && h.upstream.open.size === 0);
  });

  test('attach takes the TTY from the container spec; port-forward asks for the ready sandbox with the WebSocket ports', async () => {
    const a = await upgrade(h, '/attach/default/web/tty?input=1&output=1', h.local);
    assert.ok('socket' in a);
    a.socket.destroy();
    assert.deepEqual(h.cri.at(-1), { verb: 'attach', req: { containerId: 'cid-tty', stdin: true, stdout: true, stderr: false, tty: true } });
    const ws = { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io' };
    const p = await upgrade(h, '/portForward/default/web?port=8080&port=9090', h.local, { method: 'GET', headers: ws });
    assert.ok('socket' in p);
    p.socket.destroy();
    assert.deepEqual(h.cri.at(-1), { verb: 'portForward', req: { podSandboxId: 'sb-1', port: [8080, 9090] } });
    assert.equal(h.upstream.requests.at(-1)!.headers['sec-websocket-protocol'], 'v4.channel.k8s.io');
    await until('closed', () => h.server.activeStreams() === 0 && h.upstream.open.size === 0);
  });

  test("the streaming server's refusal (>= 400) is passed on as it came", async () => {
    h.refuseNext();
    const r = await upgrade(h, '/exec/default/web/c?command=id&output=1', h.local);
    assert.ok('status' in r, 'not upgraded');
    assert.deepEqual([r.status, r.body], [403, 'requested protocol refused']);
    assert.equal(h.server.activeStreams(), 0);
  });

  test('at most maxStreams at once: one more is a 429; dropped clients leave nothing open', async () => {
    const open = [];
    for (let i = 0; i < 4; i++) {
      const r = await upgrade(h, '/exec/default/web/c?command=cat&input=1&output=1', h.local);
      assert.ok('socket' in r);
      open.push(r.socket);
    }
    const fifth = await upgrade(h, '/exec/default/web/c?command=cat&input=1&output=1', h.local);
    assert.ok('status' in fifth && fifth.status === 429, JSON.stringify(fifth));
    assert.equal(h.upstream.open.size, 4);
    for (const s of open) s.destroy();
    await until('every stream closed, here and upstream', () => h.server.activeStreams() === 0 && h.upstream.open.size === 0);
  });

  test('many streams at once, dropped mid-transfer: nothing leaks', async () => {
    const closedBefore = h.upstream.closed;
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all([0, 1, 2, 3].map(() => upgrade(h, '/exec/default/web/c?command=cat&input=1&output=1', h.local)));
      for (const r of batch) {
        if (!('socket' in r)) continue;
        r.socket.write(Buffer.alloc(64 * 1024));
        r.socket.destroy();
      }
      assert.deepEqual(batch.map((r) => 'socket' in r), [true, true, true, true], `round ${round}`);
      // The bound is 4: the next round may start once these are gone.
      await until(`round ${round} closed`, () => h.server.activeStreams() === 0);
    }
    await until('all 20 closed upstream', () => h.upstream.closed - closedBefore === 20 && h.upstream.open.size === 0 && h.server.activeStreams() === 0);
  });

  test('an upstream that goes away closes the client', async () => {
    const r = await upgrade(h, '/exec/default/web/c?command=cat&input=1&output=1', h.local);
    assert.ok('socket' in r);
    const closed = new Promise((res) => r.socket.once('close', res));
    for (const s of h.upstream.open) s.destroy();
    await closed;
    await until('nothing active', () => h.server.activeStreams() === 0);
  });
});
