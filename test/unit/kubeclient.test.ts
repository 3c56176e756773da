import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import {
  isAlreadyExists, isConflict, isGone, isNotFound, isRetriable, KubeApiError, toKubeApiError,
} from '../../src/kubeclient/errors.js';
import { TokenBucket } from '../../src/kubeclient/rate-limit.js';

describe('TokenBucket (--kube-api-qps / --kube-api-burst)', () => {
  /** A clock that only moves when the bucket sleeps, so waits are exact. */
  function virtual() {
    let t = 0;
    const sleeps: number[] = [];
    return {
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
      sleeps,
      advance: (ms: number) => (t += ms),
    };
  }

  it('lets a burst through at once, then one request per 1/qps seconds', async () => {
    const c = virtual();
    const b = new TokenBucket(10, 3, c.now, c.sleep);
    for (let i = 0; i < 5; i++) await b.take();
    assert.equal(c.sleeps.length, 2, 'the first 3 take a token, the next 2 wait');
    for (const ms of c.sleeps) assert.ok(Math.abs(ms - 100) < 1e-6, `waited ${ms} ms, want 100`);
  });

  it('refills while idle, never beyond the burst', async () => {
    const c = virtual();
    const b = new TokenBucket(10, 2, c.now, c.sleep);
    await b.take();
    await b.take();
    c.advance(10_000);
    await b.take();
    await b.take();
    assert.equal(c.sleeps.length, 0);
    await b.take();
    assert.equal(c.sleeps.length, 1, 'only 2 tokens came back, not 100');
  });

  it('qps <= 0 is no limit', async () => {
    const c = virtual();
    const b = new TokenBucket(0, 1, c.now, c.sleep);
    for (let i = 0; i < 100; i++) await b.take();
    assert.equal(c.sleeps.length, 0);
  });

  it('serves waiters in arrival order', async () => {
    const c = virtual();
    const b = new TokenBucket(1, 1, c.now, c.sleep);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => b.take().then(() => order.push(i))));
    assert.deepEqual(order, [0, 1, 2, 3]);
  });
});

describe('toKubeApiError', () => {
  const status = (code: number, reason: string, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
  const cases: Array<{ name: string; err: unknown; code: number; reason: string; checks: Array<[(e: unknown) => boolean, boolean]> }> = [
    { name: '404 Status body', err: new ApiException(404, 'Unknown', status(404, 'NotFound', 'pods "x" not found'), {}), code: 404, reason: 'NotFound', checks: [[isNotFound, true], [isRetriable, false]] },
    { name: '409 AlreadyExists', err: new ApiException(409, 'Unknown', status(409, 'AlreadyExists', 'exists'), {}), code: 409, reason: 'AlreadyExists', checks: [[isAlreadyExists, true], [isConflict, false]] },
    { name: '409 Conflict', err: new ApiException(409, 'Unknown', status(409, 'Conflict', 'modified'), {}), code: 409, reason: 'Conflict', checks: [[isConflict, true], [isAlreadyExists, false]] },
    { name: '410 Expired', err: new ApiException(410, 'Unknown', status(410, 'Expired', 'too old resource version'), {}), code: 410, reason: 'Expired', checks: [[isGone, true]] },
    { name: '500 without a body', err: new ApiException(500, 'Unknown', undefined, {}), code: 500, reason: 'InternalError', checks: [[isRetriable, true]] },
    { name: 'a refused connection', err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }), code: 0, reason: 'Unavailable', checks: [[isRetriable, true]] },
    { name: 'a deadline', err: Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), code: 0, reason: 'Timeout', checks: [[isRetriable, true]] },
    { name: 'a watch answered 403', err: Object.assign(new Error('Forbidden'), { statusCode: 403 }), code: 403, reason: 'Forbidden', checks: [[isRetriable, false]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const e = toKubeApiError(c.err);
      assert.ok(e instanceof KubeApiError);
      assert.equal(e.code, c.code);
      assert.equal(e.reason, c.reason);
      for (const [check, want] of c.checks) assert.equal(check(e), want, check.name);
    });
  }

  it('bounds a huge message', () => {
    const e = toKubeApiError(new ApiException(422, 'Unknown', status(422, 'Invalid', 'x'.repeat(100_000)), {}));
    assert.ok(e.message.length < 700, `message is ${e.message.length} characters`);
    assert.match(e.message, /more characters/);
  });
});
