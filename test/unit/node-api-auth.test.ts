// The node API's pure parts: the kubelet's attribute mapping (a table), the authenticator's and authorizer's caches against FakeKube with a fake clock, the stream routes and options, the flag combinations.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveNodeApiAuth } from '../../src/cli/flags-node-api.js';
import { goDuration } from '../../src/cli/configz.js';
import { execPath, exitCodeOf } from '../../src/cli/exec-run.js';
import { parsePortSpec } from '../../src/cli/port-forward-run.js';
import { isSubpath, requestAttributes } from '../../src/server/node-api/attributes.js';
import { NodeApiAuthenticator, type AuthnRequest } from '../../src/server/node-api/authn.js';
import { WebhookAuthorizer } from '../../src/server/node-api/authz.js';
import { parseStreamPath, portForwardPorts, streamOptions } from '../../src/server/node-api/streaming.js';
import { FakeKube } from '../support/fake-kube.js';

const user = { name: 'u', groups: [] };

describe('GetRequestAttributes: path and method → verb and nodes subresource', () => {
  const cases: Array<[string, string, string, string]> = [
    ['GET', '/stats/summary', 'get', 'stats'],
    ['GET', '/stats', 'get', 'stats'],
    ['GET', '/statsz', 'get', 'proxy'],
    ['GET', '/metrics', 'get', 'metrics'],
    ['GET', '/metrics/resource', 'get', 'metrics'],
    ['GET', '/metrics/probes', 'get', 'metrics'],
    ['GET', '/metricsfoo', 'get', 'proxy'],
    ['GET', '/logs/', 'get', 'log'],
    ['GET', '/logs/syslog', 'get', 'log'],
    ['GET', '/spec/', 'get', 'spec'],
    ['GET', '/containerLogs/ns/p/c', 'get', 'proxy'],
    ['GET', '/pods', 'get', 'proxy'],
    ['GET', '/healthz', 'get', 'proxy'],
    ['GET', '/configz', 'get', 'proxy'],
    ['GET', '/runningpods/', 'get', 'proxy'],
    ['POST', '/exec/ns/p/c', 'create', 'proxy'],
    ['GET', '/exec/ns/p/c', 'get', 'proxy'],
    ['POST', '/portForward/ns/p', 'create', 'proxy'],
    ['POST', '/run/ns/p/c', 'create', 'proxy'],
    ['PUT', '/x', 'update', 'proxy'],
    ['PATCH', '/x', 'patch', 'proxy'],
    ['DELETE', '/x', 'delete', 'proxy'],
    ['HEAD', '/healthz', '', 'proxy'],
  ];
  for (const [method, path, verb, subresource] of cases) {
    test(`${method} ${path} → ${verb || '(no verb)'} nodes/${subresource}`, () => {
      const a = requestAttributes(user, 'node-1', method, path);
      assert.deepEqual(
        [a.verb, a.resource, a.subresource, a.name, a.apiVersion, a.apiGroup, a.namespace, a.path],
        [verb, 'nodes', subresource, 'node-1', 'v1', '', '', path],
      );
    });
  }
  test('isSubpath', () => {
    assert.deepEqual([isSubpath('/a/b', '/a/'), isSubpath('/a', '/a/'), isSubpath('/ab', '/a'), isSubpath('/a', '/a')], [true, true, false, true]);
  });
});

function tokenRequest(token?: string): AuthnRequest {
  return { headers: token ? { authorization: `Bearer ${token}` } : {}, socket: {} };
}

describe('the authenticator', () => {
  test('a TokenReview answer, yes or no, is kept for the TTL; a failed call is not kept', async () => {
    let now = 0;
    const kube = new FakeKube();
    kube.tokenUsers.set('t1', { username: 'alice', uid: '42', groups: ['g'], extra: { scopes: ['a'] } });
    const a = new NodeApiAuthenticator({ tokenReviews: kube.client().tokenReviews, tokenCacheTtlMs: 120_000, anonymous: false, now: () => now });
    assert.deepEqual(await a.authenticate(tokenRequest('t1')), { ok: true, local: false, user: { name: 'alice', uid: '42', groups: ['g', 'system:authenticated'], extra: { scopes: ['a'] } } });
    assert.equal((await a.authenticate(tokenRequest('t1'))).ok, true);
    assert.equal((await a.authenticate(tokenRequest('nope'))).ok, false);
    assert.equal((await a.authenticate(tokenRequest('nope'))).ok, false);
    assert.equal(kube.callsOf('tokenreviews').length, 2, 'one review per token');
    // The token is revoked: the cached yes holds until the TTL runs out, as in the kubelet.
    kube.tokenUsers.delete('t1');
    now = 119_000;
    assert.equal((await a.authenticate(tokenRequest('t1'))).ok, true);
    now = 121_000;
    assert.equal((await a.authenticate(tokenRequest('t1'))).ok, false);
    kube.failNext('tokenreviews', 'create');
    kube.tokenUsers.set('t2', { username: 'bob' });
    const failed = await a.authenticate(tokenRequest('t2'));
    assert.equal(failed.ok, false);
    assert.match((failed as { error: string }).error, /token review failed: injected failure/);
    assert.equal((await a.authenticate(tokenRequest('t2'))).ok, true, 'the failure was not cached');
  });

  test('concurrent requests with one token make one TokenReview', async () => {
    const kube = new FakeKube();
    kube.tokenUsers.set('t', { username: 'x' });
    const a = new NodeApiAuthenticator({ tokenReviews: kube.client().tokenReviews, tokenCacheTtlMs: 1000, anonymous: false });
    await Promise.all([1, 2, 3, 4].map(() => a.authenticate(tokenRequest('t'))));
    assert.equal(kube.callsOf('tokenreviews').length, 1);
  });

  test('anonymous: only when enabled, and never after an authenticator failed with an error', async () => {
    const kube = new FakeKube();
    const on = new NodeApiAuthenticator({ tokenReviews: kube.client().tokenReviews, tokenCacheTtlMs: 1000, anonymous: true });
    assert.deepEqual(await on.authenticate(tokenRequest()), { ok: true, local: false, user: { name: 'system:anonymous', groups: ['system:unauthenticated'] } });
    assert.equal((await on.authenticate(tokenRequest('bad'))).ok, false, 'a bad token is a 401, not anonymous');
    const unverified: AuthnRequest = { headers: {}, socket: { authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', getPeerX509Certificate: () => ({ subject: 'CN=m' }) as never } };
    assert.equal((await on.authenticate(unverified)).ok, false, 'an unverified certificate is a 401, not anonymous');
    const off = new NodeApiAuthenticator({ tokenCacheTtlMs: 1000, anonymous: false });
    assert.deepEqual(await off.authenticate(tokenRequest()), { ok: false });
    assert.deepEqual(await off.authenticate(tokenRequest('ignored: no webhook')), { ok: false });
  });

  test('x509: CN is the user, every O a group', async () => {
    const req: AuthnRequest = {
      headers: {},
      socket: { authorized: true, getPeerX509Certificate: () => ({ subject: 'CN=system:node:n1', checkIssued: () => false }) as never, getPeerCertificate: () => ({ subject: { CN: 'system:node:n1', O: ['system:nodes', 'x'] } }) as never },
    };
    const a = new NodeApiAuthenticator({ tokenCacheTtlMs: 1000, anonymous: false });
    assert.deepEqual(await a.authenticate(req), { ok: true, local: false, user: { name: 'system:node:n1', groups: ['system:nodes', 'x', 'system:authenticated'] } });
  });
});

describe('the webhook authorizer', () => {
  test('allowed kept 5m, refused 30s; a failed review throws', async () => {
    let now = 0;
    const kube = new FakeKube();
    let allow = true;
    kube.decideAccess = () => (allow ? { allowed: true } : { allowed: false, denied: true, reason: 'no' });
    const z = new WebhookAuthorizer({ reviews: kube.client().subjectAccessReviews, allowTtlMs: 300_000, denyTtlMs: 30_000, now: () => now });
    const attrs = requestAttributes({ name: 'a', groups: ['g'] }, 'n', 'GET', '/pods');
    assert.equal((await z.authorize(attrs)).decision, 'allow');
    allow = false;
    now = 299_000;
    assert.equal((await z.authorize(attrs)).decision, 'allow', 'still cached');
    now = 301_000;
    assert.deepEqual(await z.authorize(attrs), { decision: 'deny', reason: 'no' });
    allow = true;
    now = 330_000;
    assert.equal((await z.authorize(attrs)).decision, 'deny', 'a refusal is kept 30s');
    now = 332_000;
    assert.equal((await z.authorize(attrs)).decision, 'allow');
    assert.equal(kube.callsOf('subjectaccessreviews').length, 3);
    kube.decideAccess = () => ({ allowed: false });
    assert.equal((await z.authorize(requestAttributes({ name: 'b', groups: [] }, 'n', 'GET', '/pods'))).decision, 'noOpinion');
    kube.failNext('subjectaccessreviews', 'create');
    await assert.rejects(z.authorize(requestAttributes({ name: 'c', groups: [] }, 'n', 'GET', '/pods')));
  });
});

describe('stream routes and options', () => {
  test('parseStreamPath', () => {
    assert.deepEqual(parseStreamPath('/exec/ns/p/c'), { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
    assert.deepEqual(parseStreamPath('/attach/ns/p/uid/c'), { kind: 'attach', namespace: 'ns', pod: 'p', uid: 'uid', container: 'c' });
    assert.deepEqual(parseStreamPath('/portForward/ns/p'), { kind: 'portForward', namespace: 'ns', pod: 'p' });
    assert.deepEqual(parseStreamPath('/portForward/ns/p/uid'), { kind: 'portForward', namespace: 'ns', pod: 'p', uid: 'uid' });
    assert.deepEqual(parseStreamPath('/run/a%2Fb/p/c'), { kind: 'run', namespace: 'a/b', pod: 'p', container: 'c' });
    for (const bad of ['/exec/ns/p', '/exec/ns//c', '/exec/ns/p/u/c/x', '/portforward/ns/p', '/pods', '/exec/%E0%A4%A/p/c']) assert.equal(parseStreamPath(bad), undefined, bad);
  });
  test('streamOptions: "1" only; a TTY drops stderr; one stream at least', () => {
    assert.deepEqual(streamOptions(new URLSearchParams('input=1&output=1&error=1&tty=1')), { stdin: true, stdout: true, stderr: false, tty: true });
    assert.deepEqual(streamOptions(new URLSearchParams('output=true&error=1')), { stdin: false, stdout: false, stderr: true, tty: false });
    // The client-facing names (PodExecOptions) are not the kubelet's.
    assert.throws(() => streamOptions(new URLSearchParams('stdin=1&stdout=1&stderr=1')), /at least 1 of/);
    assert.throws(() => streamOptions(new URLSearchParams('tty=1')), /at least 1 of stdin, stdout, stderr/);
  });
  test('portForwardPorts: WebSocket names them in the query; SPDY does not', () => {
    assert.deepEqual(portForwardPorts(new URLSearchParams('port=80&port=443'), true), [80, 443]);
    assert.deepEqual(portForwardPorts(new URLSearchParams(''), false), []);
    assert.throws(() => portForwardPorts(new URLSearchParams(''), true), /"port" is required/);
    assert.throws(() => portForwardPorts(new URLSearchParams('port=0'), true), /must be > 0/);
    assert.throws(() => portForwardPorts(new URLSearchParams('port=http'), true), /unable to parse/);
  });
});

describe('flags and CLI helpers', () => {
  const base = { enableServer: true, authenticationTokenWebhookCacheTtl: 0, authorizationWebhookCacheAuthorizedTtl: 0, authorizationWebhookCacheUnauthorizedTtl: 0, address: '127.0.0.1' };
  test('defaults: webhooks with a cluster, x509 + AlwaysAllow without; anonymous off', () => {
    assert.deepEqual(resolveNodeApiAuth({ ...base, kubeconfig: '/k' }), { anonymous: false, tokenWebhook: true, mode: 'Webhook', warnings: [] });
    assert.deepEqual(resolveNodeApiAuth({ ...base }), { anonymous: false, tokenWebhook: false, mode: 'AlwaysAllow', warnings: [] });
  });
  test('a webhook without --kubeconfig is refused; anonymous with AlwaysAllow is warned about', () => {
    assert.throws(() => resolveNodeApiAuth({ ...base, authorizationMode: 'Webhook' }), /authorization-mode=Webhook .* needs --kubeconfig/);
    assert.throws(() => resolveNodeApiAuth({ ...base, authenticationTokenWebhook: true }), /authentication-token-webhook=true .* needs --kubeconfig/);
    assert.match(resolveNodeApiAuth({ ...base, anonymousAuth: true }).warnings[0]!, /anyone who reaches 127.0.0.1 can exec/);
    assert.equal(resolveNodeApiAuth({ ...base, kubeconfig: '/k', authorizationMode: 'AlwaysAllow', authenticationTokenWebhook: false }).mode, 'AlwaysAllow');
  });
  test('goDuration as Go prints it', () => {
    assert.deepEqual([0, 500, 1000, 1500, 120_000, 3_600_000, 90_061_000].map(goDuration), ['0s', '500ms', '1s', '1.5s', '2m0s', '1h0m0s', '25h1m1s']);
  });
  test('exec: the path as the API server builds it, the exit code from the status', () => {
    assert.equal(execPath('ns', 'p', 'c', ['sh', '-c', 'a b'], true, true), '/exec/ns/p/c?command=sh&command=-c&command=a+b&input=1&output=1&tty=1');
    assert.equal(execPath('ns', 'p', 'c', ['true'], false, false), '/exec/ns/p/c?command=true&output=1&error=1');
    assert.deepEqual(exitCodeOf({ status: 'Success' }), { code: 0 });
    assert.deepEqual(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '42' }] } }), { code: 42 });
    assert.deepEqual(exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'boom' }), { code: 1, message: 'boom' });
  });
  test('port specs', () => {
    assert.deepEqual(parsePortSpec('8080:80'), { localPort: 8080, remotePort: 80 });
    assert.deepEqual(parsePortSpec('80'), { localPort: 80, remotePort: 80 });
    assert.deepEqual(parsePortSpec(':80'), { localPort: 0, remotePort: 80 });
    assert.throws(() => parsePortSpec('a:80'), /invalid port/);
    assert.throws(() => parsePortSpec('1:2:3'), /LOCAL:REMOTE/);
  });
});
