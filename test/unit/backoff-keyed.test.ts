// BackOff (flowcontrol.Backoff) with a fake clock: doubling, cap, expiry after 2*max, gc, and the stable keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { BackOff, crashLoopKey, imagePullKey } from '../../src/podworker/backoff.js';

function setup(initialMs = 10_000, maxMs = 300_000) {
  const clock = { now: 1_000_000 };
  const b = new BackOff({ initialMs, maxMs, clock: () => clock.now });
  return { clock, b };
}

test('next: first delay is initial, then doubles, capped at max', () => {
  const { clock, b } = setup();
  const seen: number[] = [];
  for (let i = 0; i < 7; i++) {
    b.next('k', clock.now);
    seen.push(b.get('k'));
    clock.now += 1000;
  }
  assert.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(b.get('other'), 0);
});

test('isInBackOffSince: true while less than the delay has passed since the event', () => {
  const { clock, b } = setup();
  const t = clock.now;
  assert.equal(b.isInBackOffSince('k', t), false, 'no entry, no back-off');
  b.next('k', t);
  clock.now = t + 9_999;
  assert.equal(b.isInBackOffSince('k', t), true);
  clock.now = t + 10_000;
  assert.equal(b.isInBackOffSince('k', t), false);
});

test('an entry not updated for more than 2*max has expired: not in back-off, and next restarts at initial', () => {
  const { clock, b } = setup(10_000, 100_000);
  b.next('k', clock.now);
  b.next('k', clock.now);
  assert.equal(b.get('k'), 20_000);
  const later = clock.now + 200_001;
  clock.now = later;
  assert.equal(b.isInBackOffSince('k', later), false);
  b.next('k', later);
  assert.equal(b.get('k'), 10_000);
});

test('exactly 2*max since the last update has not expired yet', () => {
  const { clock, b } = setup(10_000, 100_000);
  const t = clock.now;
  b.next('k', t);
  b.next('k', t);
  clock.now = t + 200_000;
  b.next('k', t + 200_000);
  assert.equal(b.get('k'), 40_000);
});

test('reset forgets a key; gc drops only entries older than 2*max', () => {
  const { clock, b } = setup(10_000, 100_000);
  b.next('old', clock.now);
  b.next('gone', clock.now);
  b.reset('gone');
  assert.equal(b.get('gone'), 0);
  clock.now += 150_000;
  b.next('fresh', clock.now);
  clock.now += 60_000; // 'old' is 210s stale, 'fresh' 60s
  b.gc();
  assert.equal(b.get('old'), 0);
  assert.equal(b.get('fresh'), 10_000);
  assert.equal(b.size, 1);
});

test('crashLoopKey is the kubelet getStableKey; imagePullKey is uid_image', () => {
  const pod: V1Pod = { metadata: { name: 'web', namespace: 'prod', uid: 'u-1' }, spec: { containers: [] } };
  assert.equal(crashLoopKey(pod, 'app', 'abc123'), 'web_prod_u-1_app_abc123');
  assert.equal(imagePullKey(pod, 'busybox:1.36'), 'u-1_busybox:1.36');
});

test('isInBackOffSinceUpdate (image pulls): counts from the last failure, not from an event time', () => {
  let now = 1_000_000;
  const b = new BackOff({ initialMs: 10_000, maxMs: 300_000, clock: () => now });
  assert.equal(b.isInBackOffSinceUpdate('img', now), false);
  b.next('img', now);
  now += 9_000;
  assert.equal(b.isInBackOffSinceUpdate('img', now), true);
  now += 1_001;
  assert.equal(b.isInBackOffSinceUpdate('img', now), false);
  b.next('img', now);
  now += 19_000;
  assert.equal(b.isInBackOffSinceUpdate('img', now), true, 'the second failure doubles the window to 20s');
});

test('isInBackOffSinceUpdate: counts from the last next(), not from an event time', () => {
  const { clock, b } = setup();
  const t = clock.now;
  assert.equal(b.isInBackOffSinceUpdate('k', t), false);
  b.next('k', t - 60_000); // event long ago, recorded now
  assert.equal(b.isInBackOffSince('k', t - 60_000), false);
  assert.equal(b.isInBackOffSinceUpdate('k', t + 9_999), true);
  assert.equal(b.isInBackOffSinceUpdate('k', t + 10_000), false);
});

test("forgetPod drops the crash-loop and image-pull entries of that pod's UID only", () => {
  const { clock, b } = setup();
  const pod = (uid: string): V1Pod => ({ metadata: { name: 'web', namespace: 'default', uid } });
  const gone = pod('0f6c2a1e-aaaa-4bbb-8ccc-000000000001');
  const kept = pod('0f6c2a1e-aaaa-4bbb-8ccc-000000000002');
  for (const p of [gone, kept]) {
    b.next(crashLoopKey(p, 'app', 'abc123'), clock.now);
    b.next(imagePullKey(p, 'registry.local/a_b:1'), clock.now);
  }
  assert.equal(b.size, 4);
  b.forgetPod(gone.metadata!.uid!);
  assert.equal(b.size, 2);
  assert.equal(b.get(crashLoopKey(kept, 'app', 'abc123')), 10_000);
  assert.equal(b.get(imagePullKey(kept, 'registry.local/a_b:1')), 10_000);
  assert.equal(b.get(crashLoopKey(gone, 'app', 'abc123')), 0);
});
