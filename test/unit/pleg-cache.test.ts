// Tests the runtime cache: newer-wins writes, the global timestamp, stale pods and getNewerThan waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodCache } from '../../src/pleg/cache.js';
import type { ObservedPod } from '../../src/runtime/types.js';

const pod = (uid: string, timestamp: number, name = 'web'): ObservedPod => ({
  uid,
  name,
  namespace: 'default',
  sandboxes: [],
  containers: [],
  timestamp,
});

/** Resolves to 'pending' when the promise has not settled after the microtask queue drains. */
async function settled<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

test('set keeps the newer observation when an older one arrives late', () => {
  const cache = new PodCache();
  assert.equal(cache.set('u1', pod('u1', 200, 'new'), 200), true);
  assert.equal(cache.set('u1', pod('u1', 100, 'old'), 100), false);
  assert.equal(cache.get('u1')?.name, 'new');
  assert.deepEqual(cache.uids(), ['u1']);
});

test('getNewerThan resolves at once when the entry is at least that new', async () => {
  const cache = new PodCache();
  cache.set('u1', pod('u1', 100), 100);
  assert.equal((await cache.getNewerThan('u1', 100))?.uid, 'u1');
});

test('getNewerThan waits for a newer set and resolves with it', async () => {
  const cache = new PodCache();
  cache.set('u1', pod('u1', 100, 'old'), 100);
  const p = cache.getNewerThan('u1', 150);
  assert.equal(await settled(p), 'pending');
  cache.set('u1', pod('u1', 160, 'fresh'), 160);
  assert.equal((await p)?.name, 'fresh');
});

test('getNewerThan resolves on the global timestamp (kubelet UpdateTime) with the unchanged entry', async () => {
  const cache = new PodCache();
  cache.set('u1', pod('u1', 100, 'same'), 100);
  const p = cache.getNewerThan('u1', 150);
  cache.updateTime(140);
  assert.equal(await settled(p), 'pending');
  cache.updateTime(150);
  assert.equal((await p)?.name, 'same');
});

test('getNewerThan resolves undefined for a pod the runtime does not have once a relist is newer', async () => {
  const cache = new PodCache();
  const p = cache.getNewerThan('ghost', 100);
  assert.equal(await settled(p), 'pending');
  cache.updateTime(120);
  assert.equal(await p, undefined);
});

test('a stale pod does not ride on the global timestamp until it is set again', async () => {
  const cache = new PodCache();
  cache.set('u1', pod('u1', 100, 'old'), 100);
  cache.markStale('u1');
  const p = cache.getNewerThan('u1', 150);
  cache.updateTime(200);
  assert.equal(await settled(p), 'pending');
  cache.set('u1', pod('u1', 210, 'fresh'), 210);
  assert.equal((await p)?.name, 'fresh');
});

test('a pod never inspected successfully is not reported as absent while stale', async () => {
  const cache = new PodCache();
  cache.markStale('new');
  const p = cache.getNewerThan('new', 100);
  cache.updateTime(200);
  assert.equal(await settled(p), 'pending');
  cache.delete('new', 250);
  cache.updateTime(300);
  assert.equal(await p, undefined);
});

test('delete with notNewerThan keeps an entry written after the caller looked', () => {
  const cache = new PodCache();
  cache.set('u1', pod('u1', 500), 500);
  cache.delete('u1', 400);
  assert.equal(cache.get('u1')?.timestamp, 500);
  cache.delete('u1', 500);
  assert.equal(cache.get('u1'), undefined);
  assert.deepEqual(cache.uids(), []);
});

test('an observation older than a removal is refused: a relist that listed the pod before its worker removed it does not bring it back', () => {
  const cache = new PodCache();
  cache.set('u1', pod('u1', 100), 100);
  // The worker removed the pod and looked at 300: nothing left.
  cache.delete('u1', 300);
  // A relist that began at 200 (the pod still listed) finishes inspecting it only now.
  assert.equal(cache.set('u1', pod('u1', 200, 'stale'), 200), false);
  assert.equal(cache.get('u1'), undefined);
  assert.deepEqual(cache.uids(), []);
  // A pod with the same UID seen after the removal (a restart of the same static pod) is stored.
  assert.equal(cache.set('u1', pod('u1', 400, 'again'), 400), true);
  assert.equal(cache.get('u1')?.name, 'again');
});

test('a removal is remembered only until a relist that began after it has finished', () => {
  const cache = new PodCache();
  cache.delete('u1', 300);
  cache.updateTime(250); // the relist that was already running when the pod went
  assert.equal(cache.set('u1', pod('u1', 260), 260), false);
  cache.updateTime(350);
  // Nothing older can still be on its way; the memory of the removal is dropped.
  assert.equal(cache.set('u1', pod('u1', 260), 260), true);
});

test('getNewerThan is answered by a removal at least that new, without waiting for a relist', async () => {
  const cache = new PodCache();
  cache.set('u1', pod('u1', 100), 100);
  const p = cache.getNewerThan('u1', 200);
  assert.equal(await settled(p), 'pending');
  cache.delete('u1', 200);
  assert.equal(await settled(p), undefined);
});

test('getNewerThan rejects when aborted and forgets the waiter', async () => {
  const cache = new PodCache();
  const ac = new AbortController();
  const p = cache.getNewerThan('u1', 100, ac.signal);
  ac.abort(new Error('worker stopped'));
  await assert.rejects(p, /worker stopped/);
  cache.updateTime(200); // must not throw or resolve anything twice
  await assert.rejects(cache.getNewerThan('u1', 100, ac.signal), /worker stopped/);
});
