// Tests for the API server pod source over the fake API: node selector, mirror pods, watch resume, bookmarks, 410 relist, outages that keep the pods, odd pods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { CONFIG_FIRST_SEEN_ANNOTATION, CONFIG_MIRROR_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../../src/config/annotations.js';
import { createApiServerSource } from '../../src/config/apiserver-source.js';
import type { SourceLogger, SourceSnapshot } from '../../src/config/types.js';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import type { PodsClient, WatchOptions } from '../../src/kubeclient/types.js';
import { FakeKube } from '../support/fake-kube.js';

const NODE = 'node-a';
const quiet: SourceLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A pod as FakeKube stores it (its objects are loosely typed). */
type Stored = V1Pod & Record<string, unknown>;

function apiPod(name: string, opts: { node?: string; mirror?: boolean; namespace?: string } = {}): Stored {
  return {
    metadata: { name, namespace: opts.namespace ?? 'default', ...(opts.mirror ? { annotations: { [CONFIG_MIRROR_ANNOTATION]: 'hash' } } : {}) },
    spec: { nodeName: opts.node ?? NODE, containers: [{ name: 'app', image: 'busybox' }] },
  };
}

async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The fake API and a source on it; every watch's options are recorded. */
async function harness(opts: { startWaitMs?: number; list?: PodsClient['list'] } = {}) {
  const kube = new FakeKube();
  const client = kube.client();
  const watches: WatchOptions[] = [];
  const pods: Pick<PodsClient, 'list' | 'watch'> = {
    list: opts.list ?? ((q) => client.pods.list(q)),
    watch: (o, ev, close) => {
      watches.push(o);
      return client.pods.watch(o, ev, close);
    },
  };
  const snapshots: SourceSnapshot[] = [];
  const mirrors: V1Pod[][] = [];
  const source = createApiServerSource({
    pods, nodeName: NODE, logger: quiet, startWaitMs: opts.startWaitMs,
    backoff: { initialMs: 5, maxMs: 20 },
    onMirrorPods: (m) => mirrors.push(m),
  });
  const last = () => snapshots.at(-1);
  const names = () => (last()?.pods ?? []).map((p) => p.metadata!.name).sort();
  return { kube, source, snapshots, mirrors, watches, last, names, start: () => source.start((s) => snapshots.push(s)) };
}

describe('API server pod source', () => {
  it('lists this node\'s pods in every namespace, stamps source and seen, and keeps mirror pods out', async (t) => {
    const h = await harness();
    t.after(() => h.source.stop());
    h.kube.pods.put(apiPod('web'));
    h.kube.pods.put(apiPod('db', { namespace: 'other' }));
    h.kube.pods.put(apiPod('elsewhere', { node: 'node-b' }));
    h.kube.pods.put(apiPod('static-node-a', { mirror: true, namespace: 'kube-system' }));
    await h.start();
    assert.equal(h.snapshots.length, 1, 'start() returns after the first SET went out');
    assert.deepEqual(h.names(), ['db', 'web']);
    for (const p of h.last()!.pods) {
      assert.equal(p.metadata!.annotations![CONFIG_SOURCE_ANNOTATION], 'api');
      assert.ok(p.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION]);
    }
    assert.deepEqual(h.mirrors.at(-1)!.map((p) => p.metadata!.name), ['static-node-a']);
    assert.deepEqual(h.source.mirrorPods().map((p) => p.metadata!.name), ['static-node-a']);
    assert.equal(h.watches[0]!.fieldSelector, `spec.nodeName=${NODE}`);
    assert.ok(h.source.hasSynced());
  });

  it('follows the watch: added, modified (a graceful delete), deleted; a burst is one SET', async (t) => {
    const h = await harness();
    t.after(() => h.source.stop());
    await h.start();
    assert.deepEqual(h.names(), []);
    const before = h.snapshots.length;
    h.kube.pods.put(apiPod('a'));
    h.kube.pods.put(apiPod('b'));
    h.kube.pods.put(apiPod('c'));
    await until('the burst', () => h.names().length === 3);
    assert.equal(h.snapshots.length, before + 1, 'three events in one tick make one SET');
    const a = h.kube.pods.get('default', 'a') as Stored;
    a.metadata!.deletionTimestamp = new Date();
    a.metadata!.deletionGracePeriodSeconds = 7;
    h.kube.pods.put(a, 'MODIFIED');
    await until('deletionTimestamp', () => h.last()!.pods.some((p) => p.metadata!.deletionGracePeriodSeconds === 7));
    h.kube.pods.remove('default', 'b');
    await until('b gone', () => !h.names().includes('b'));
    assert.deepEqual(h.names(), ['a', 'c']);
    assert.equal(h.source.getPod(a.metadata!.uid!)!.metadata!.deletionGracePeriodSeconds, 7);
  });

  // Named cases: how a watch ends, and what the next request must be.
  const endings: Array<{ name: string; end: (kube: FakeKube) => void; relist: boolean; resumeFrom?: string }> = [
    { name: 'a clean end (server timeout) resumes from the last event', end: (k) => k.pods.closeWatches(), relist: false, resumeFrom: 'last' },
    { name: 'a bookmark moves the resume point', end: (k) => { k.pods.sendRaw('BOOKMARK', { metadata: { resourceVersion: '99999' } }); k.pods.closeWatches(); }, relist: false, resumeFrom: '99999' },
    { name: 'an unreachable API server resumes from the same resourceVersion after a back-off', end: (k) => k.pods.closeWatches(new KubeApiError(0, 'Unavailable', 'ECONNREFUSED')), relist: false, resumeFrom: 'last' },
    { name: '410 Gone as an ERROR event relists', end: (k) => k.pods.sendRaw('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }), relist: true },
    { name: '410 Gone as the close error relists', end: (k) => k.pods.closeWatches(new KubeApiError(410, 'Gone', 'gone')), relist: true },
  ];
  for (const c of endings) {
    it(`watch end: ${c.name}`, async (t) => {
      const h = await harness();
      t.after(() => h.source.stop());
      h.kube.pods.put(apiPod('a'));
      await h.start();
      // Give the watch something to have seen, so "resume from the last event" is not the list's version.
      h.kube.pods.put(apiPod('b'));
      await until('b', () => h.names().includes('b'));
      const lastEventRV = h.kube.pods.get('default', 'b')!.metadata!.resourceVersion!;
      const lists = h.kube.callsOf('pods', 'list').length;
      const watches = h.watches.length;
      c.end(h.kube);
      await until('a new watch', () => h.watches.length > watches);
      assert.equal(h.kube.callsOf('pods', 'list').length - lists, c.relist ? 1 : 0, 'relisted?');
      if (c.resumeFrom) assert.equal(h.watches.at(-1)!.resourceVersion, c.resumeFrom === 'last' ? lastEventRV : c.resumeFrom);
      assert.deepEqual(h.names(), ['a', 'b'], 'the pods are still there');
    });
  }

  it('a relist after 410 catches up with what happened while the watch was gone', async (t) => {
    const h = await harness();
    t.after(() => h.source.stop());
    h.kube.pods.put(apiPod('a'));
    h.kube.pods.put(apiPod('b'));
    await h.start();
    // Changes the watch never reports (as if etcd compacted past them), then 410.
    h.kube.pods.objects.delete('default/a');
    h.kube.pods.objects.set('default/c', { ...apiPod('c'), metadata: { ...apiPod('c').metadata, uid: 'uid-c', resourceVersion: '5000' } });
    h.kube.pods.sendRaw('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    await until('the relist', () => h.names().join() === 'b,c');
    assert.equal(h.kube.pods.watchCount(), 1, 'one watch again, from the new list');
  });

  it('an outage keeps the last pods: failed lists and watches emit nothing, and the watch comes back', async (t) => {
    const h = await harness();
    t.after(() => h.source.stop());
    h.kube.pods.put(apiPod('a'));
    await h.start();
    const seen = h.snapshots.length;
    // The watch breaks, and the first relist attempts fail too (a 403 from a confused server relists).
    h.kube.failNext('pods', 'list', new KubeApiError(0, 'Unavailable', 'connect ECONNREFUSED'));
    h.kube.failNext('pods', 'list', new KubeApiError(503, 'ServiceUnavailable', 'etcd is down'));
    h.kube.pods.closeWatches(new KubeApiError(403, 'Forbidden', 'not now'));
    await until('two failed lists and a good one', () => h.kube.callsOf('pods', 'list').length >= 4);
    await until('a new watch', () => h.kube.pods.watchCount() === 1);
    await until('the SET of the good relist', () => h.snapshots.length > seen);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h.snapshots.length, seen + 1, 'only the good relist emitted');
    assert.deepEqual(h.names(), ['a']);
    assert.ok(h.snapshots.every((s) => s.pods.length === 1), 'never an empty set');
    h.kube.pods.put(apiPod('b'));
    await until('b through the new watch', () => h.names().includes('b'));
  });

  it('start() returns without a snapshot when the API server does not answer, and the first list comes later', async (t) => {
    let answer: (() => void) | undefined;
    const kube = new FakeKube();
    kube.pods.put(apiPod('a'));
    const h = await harness({
      startWaitMs: 30,
      list: () => new Promise((resolve) => (answer = () => resolve(kube.pods.list(`spec.nodeName=${NODE}`)))),
    });
    t.after(() => h.source.stop());
    const t0 = Date.now();
    await h.start();
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(h.snapshots.length, 0, 'no SET before a list answered: the source is not "seen"');
    assert.equal(h.source.hasSynced(), false);
    answer!();
    await until('the late list', () => h.snapshots.length === 1);
    assert.deepEqual(h.names(), ['a']);
  });

  it('a pod with an impossible shape is left out with a bounded error; the others run', async (t) => {
    const h = await harness();
    t.after(() => h.source.stop());
    h.kube.pods.put(apiPod('good'));
    h.kube.pods.put({ metadata: { name: 'odd', namespace: 'default' }, spec: { nodeName: NODE, containers: [] } } as Stored);
    await h.start();
    assert.deepEqual(h.names(), ['good']);
    assert.equal(h.last()!.errors.length, 1);
    assert.match(h.last()!.errors[0]!.message, /containers/);
    assert.equal(h.last()!.errors[0]!.podName, 'odd');
  });

  it('an unchanged pod is handed on as the same object in every SET; a changed one as a new one', async (t) => {
    const h = await harness();
    t.after(() => h.source.stop());
    h.kube.pods.put(apiPod('a'));
    h.kube.pods.put(apiPod('b'));
    h.kube.pods.put({ metadata: { name: 'odd', namespace: 'default' }, spec: { nodeName: NODE, containers: [] } } as Stored);
    await h.start();
    const first = new Map(h.last()!.pods.map((p) => [p.metadata!.name!, p]));
    const b = h.kube.pods.get('default', 'b') as Stored;
    b.status = { phase: 'Running' };
    h.kube.pods.put(b, 'MODIFIED');
    await until('b Running', () => h.last()!.pods.some((p) => p.status?.phase === 'Running'));
    const second = new Map(h.last()!.pods.map((p) => [p.metadata!.name!, p]));
    assert.equal(second.get('a'), first.get('a'), 'a did not change: the same object, not checked or copied again');
    assert.notEqual(second.get('b'), first.get('b'));
    assert.equal(second.get('a')!.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION], first.get('a')!.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION]);
    assert.equal(h.last()!.errors.length, 1, 'the odd pod is still reported in every SET');
  });

  it('stop() ends the watch and emits nothing more', async () => {
    const h = await harness();
    await h.start();
    await h.source.stop();
    assert.equal(h.kube.pods.watchCount(), 0);
    const n = h.snapshots.length;
    h.kube.pods.put(apiPod('late'));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h.snapshots.length, n);
  });
});
