// The token manager: the kubelet's requiresRefresh rule as a table on a fake clock, the cache, failed refreshes, and dropping a pod's tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuthenticationV1TokenRequest } from '@kubernetes/client-node';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { requiresRefresh, TokenManager } from '../../src/token/token-manager.js';
import { FakeKube } from '../support/fake-kube.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const S = 1000;
const H = 3600 * S;

/** A token issued at T for `seconds`. */
const issued = (seconds: number | undefined, exp = T + (seconds ?? 3600) * S): AuthenticationV1TokenRequest => ({
  spec: { audiences: [], expirationSeconds: seconds },
  status: { token: 't', expirationTimestamp: new Date(exp) },
});

const refreshCases: { name: string; tr: AuthenticationV1TokenRequest; now: number; jitterMs?: number; want: boolean }[] = [
  { name: 'fresh 600 s token', tr: issued(600), now: T, want: false },
  { name: '600 s token at 479 s (under 80 %)', tr: issued(600), now: T + 479 * S, want: false },
  { name: '600 s token at exactly 80 %', tr: issued(600), now: T + 480 * S, want: false },
  { name: '600 s token just past 80 %', tr: issued(600), now: T + 480 * S + 1, want: true },
  { name: '600 s token at 475 s with a 9 s jitter', tr: issued(600), now: T + 475 * S, jitterMs: 9 * S, want: true },
  { name: '600 s token expired', tr: issued(600), now: T + 700 * S, want: true },
  { name: '3607 s token: 20 % is 721 whole seconds, so 2886 s is the edge', tr: issued(3607), now: T + 2886 * S, want: false },
  { name: '3607 s token just past 2886 s', tr: issued(3607), now: T + 2886 * S + 1, want: true },
  { name: '48 h token at 23 h (under 80 % and under 24 h)', tr: issued(48 * 3600), now: T + 23 * H, want: false },
  { name: '48 h token just past 24 h: older than maxTTL', tr: issued(48 * 3600), now: T + 24 * H + 1, want: true },
  { name: '48 h token at 23 h 59 m 55 s with a 9 s jitter', tr: issued(48 * 3600), now: T + 24 * H - 5 * S, jitterMs: 9 * S, want: true },
  { name: 'issued in the future (the clock leapt back)', tr: issued(600), now: T - 1, want: true },
  { name: 'no expirationSeconds: never', tr: issued(undefined, T + 10 * S), now: T + 3600 * S, want: false },
];
for (const c of refreshCases) {
  test(`requiresRefresh: ${c.name} → ${c.want}`, () => {
    assert.equal(requiresRefresh(c.tr, c.now, c.jitterMs ?? 0), c.want);
  });
}

function setup() {
  let now = T;
  const kube = new FakeKube(() => now);
  const tm = new TokenManager({ client: kube.client().serviceAccounts, clock: () => now, random: () => 0 });
  const request = (uid = 'pod-uid', seconds = 600, audiences: string[] = []): AuthenticationV1TokenRequest => ({
    spec: { audiences, expirationSeconds: seconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid } },
  });
  return { kube, tm, request, advance: (ms: number) => (now += ms) };
}

test('getServiceAccountToken: one TokenRequest, then the cached token until 80 % of its TTL, then a new one', async () => {
  const { kube, tm, request, advance } = setup();
  const first = await tm.getServiceAccountToken('prod', 'default', request());
  assert.deepEqual(kube.tokens.map((t) => [t.namespace, t.serviceAccount]), [['prod', 'default']]);
  assert.deepEqual((kube.tokens[0]!.request as AuthenticationV1TokenRequest).spec.boundObjectRef, { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'pod-uid' });
  advance(470 * S);
  assert.equal((await tm.getServiceAccountToken('prod', 'default', request())).status?.token, first.status?.token);
  assert.equal(kube.tokens.length, 1, 'no second request before 80 %');
  advance(20 * S);
  const second = await tm.getServiceAccountToken('prod', 'default', request());
  assert.notEqual(second.status?.token, first.status?.token);
  assert.equal(kube.tokens.length, 2);
});

test('getServiceAccountToken: another audience, expiry or pod is another token', async () => {
  const { kube, tm, request } = setup();
  await tm.getServiceAccountToken('prod', 'default', request('a'));
  await tm.getServiceAccountToken('prod', 'default', request('a', 600, ['vault']));
  await tm.getServiceAccountToken('prod', 'default', request('a', 3607));
  await tm.getServiceAccountToken('prod', 'default', request('b'));
  await tm.getServiceAccountToken('prod', 'other', request('b'));
  assert.equal(kube.tokens.length, 5);
  assert.equal(tm.size(), 5);
});

test('getServiceAccountToken: a failed refresh keeps the old token while it is valid, then fails', async () => {
  const { kube, tm, request, advance } = setup();
  const first = await tm.getServiceAccountToken('prod', 'default', request());
  advance(500 * S);
  kube.failNext('serviceaccounts', 'createToken');
  assert.equal((await tm.getServiceAccountToken('prod', 'default', request())).status?.token, first.status?.token);
  advance(101 * S);
  kube.failNext('serviceaccounts', 'createToken', new KubeApiError(0, 'Unavailable', 'the API server cannot be reached: connect ECONNREFUSED'));
  await assert.rejects(tm.getServiceAccountToken('prod', 'default', request()), /^Error: token .* expired and refresh failed: the API server cannot be reached: connect ECONNREFUSED$/);
});

test('getServiceAccountToken: no token yet and the request fails: "failed to fetch token"', async () => {
  const { kube, tm, request } = setup();
  kube.failNext('serviceaccounts', 'createToken', new KubeApiError(403, 'Forbidden', 'serviceaccounts "default" is forbidden: no relationship found between node and this object'));
  await assert.rejects(tm.getServiceAccountToken('prod', 'default', request()), {
    message: 'failed to fetch token: serviceaccounts "default" is forbidden: no relationship found between node and this object',
  });
  assert.equal(tm.size(), 0);
});

test('deleteServiceAccountToken drops the pod\'s tokens only; cleanup drops expired ones', async () => {
  const { tm, request, advance } = setup();
  await tm.getServiceAccountToken('prod', 'default', request('a'));
  await tm.getServiceAccountToken('prod', 'default', request('a', 3607));
  await tm.getServiceAccountToken('prod', 'default', request('b', 3607));
  tm.deleteServiceAccountToken('a');
  assert.equal(tm.size(), 1);
  await tm.getServiceAccountToken('prod', 'default', request('c', 600));
  advance(601 * S);
  tm.cleanup();
  assert.equal(tm.size(), 1, 'the 600 s token expired, the 3607 s one did not');
});
