// Tests for PodConfig: snapshot diffs into ADD/UPDATE/DELETE/RECONCILE, ordering, and duplicate names across files and sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { CONFIG_FIRST_SEEN_ANNOTATION, CONFIG_PATH_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../../src/config/annotations.js';
import type { ManifestError, SourceSnapshot } from '../../src/config/types.js';
import { PodConfig } from '../../src/podconfig/podconfig.js';
import type { PodUpdate } from '../../src/podconfig/types.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const NOW = Date.UTC(2024, 0, 1);

function pod(name: string, uid: string, opts: { path?: string; image?: string; labels?: Record<string, string>; annotations?: Record<string, string>; phase?: string } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name, namespace: 'default', uid, labels: opts.labels,
      annotations: { ...(opts.path ? { [CONFIG_PATH_ANNOTATION]: opts.path } : {}), ...opts.annotations },
    },
    spec: { containers: [{ name: 'app', image: opts.image ?? 'busybox:1.36' }] },
    status: { phase: opts.phase ?? 'Pending' },
  };
}

const snap = (pods: V1Pod[], errors: ManifestError[] = [], source = 'file'): SourceSnapshot => ({ source, pods, errors });
/** A compact view of updates: "OP source: uid,uid". */
const show = (us: PodUpdate[]) => us.map((u) => `${u.op} ${u.source}: ${u.pods.map((p) => p.metadata!.uid).join(',')}`);

function config() {
  return new PodConfig({ logger: silent, clock: { now: () => NOW } });
}

test('first snapshot: every pod is an ADD, stamped with its source and first-seen time', () => {
  const pc = config();
  const us = pc.apply(snap([pod('a', 'u1'), pod('b', 'u2')]));
  assert.deepEqual(show(us), ['ADD file: u1,u2']);
  const added = us[0]!.pods[0]!;
  assert.equal(added.metadata!.annotations![CONFIG_SOURCE_ANNOTATION], 'file');
  assert.equal(added.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION], '2024-01-01T00:00:00.000Z');
  assert.deepEqual(pc.pods().map((p) => p.metadata!.uid), ['u1', 'u2']);
});

test('a source-stamped config.seen is kept on ADD', () => {
  const pc = config();
  const us = pc.apply(snap([pod('a', 'u1', { annotations: { [CONFIG_FIRST_SEEN_ANNOTATION]: '2023-05-05T00:00:00.000Z' } })]));
  assert.equal(us[0]!.pods[0]!.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION], '2023-05-05T00:00:00.000Z');
});

const diffCases: Array<[name: string, next: V1Pod[], want: string[]]> = [
  ['the same snapshot again: nothing', [pod('a', 'u1', { labels: { x: '1' } })], []],
  ['only config.seen differs: nothing', [pod('a', 'u1', { labels: { x: '1' }, annotations: { [CONFIG_FIRST_SEEN_ANNOTATION]: '2030-01-01T00:00:00Z' } })], []],
  ['spec changed, same UID: UPDATE', [pod('a', 'u1', { labels: { x: '1' }, image: 'busybox:1.37' })], ['UPDATE file: u1']],
  ['labels changed: UPDATE', [pod('a', 'u1', { labels: { x: '2' } })], ['UPDATE file: u1']],
  ['a non-local annotation changed: UPDATE', [pod('a', 'u1', { labels: { x: '1' }, annotations: { note: 'hi' } })], ['UPDATE file: u1']],
  ['only the status changed: RECONCILE', [pod('a', 'u1', { labels: { x: '1' }, phase: 'Running' })], ['RECONCILE file: u1']],
  ['UID gone: DELETE', [], ['DELETE file: u1']],
  ['a new UID for the same name: DELETE then ADD', [pod('a', 'u9', { labels: { x: '1' } })], ['DELETE file: u1', 'ADD file: u9']],
];

for (const [name, next, want] of diffCases) {
  test(`diff: ${name}`, () => {
    const pc = config();
    pc.apply(snap([pod('a', 'u1', { labels: { x: '1' } })]));
    assert.deepEqual(show(pc.apply(snap(next))), want);
  });
}

test('UPDATE keeps the first-seen time; DELETE carries the pod as it was', () => {
  const pc = new PodConfig({ logger: silent, clock: { now: () => NOW } });
  pc.apply(snap([pod('a', 'u1')]));
  const [upd] = pc.apply(snap([pod('a', 'u1', { image: 'busybox:1.37', annotations: { [CONFIG_FIRST_SEEN_ANNOTATION]: 'later' } })]));
  assert.equal(upd!.pods[0]!.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION], '2024-01-01T00:00:00.000Z');
  const [del] = pc.apply(snap([]));
  assert.equal(del!.op, 'DELETE');
  assert.equal(del!.pods[0]!.spec!.containers[0]!.image, 'busybox:1.37');
  assert.deepEqual(pc.pods(), []);
});

test('a newly set deletionTimestamp is a (graceful) DELETE', () => {
  const pc = config();
  pc.apply(snap([pod('a', 'u1')], [], 'api'));
  const deleting = pod('a', 'u1');
  deleting.metadata!.deletionTimestamp = new Date(NOW);
  deleting.metadata!.deletionGracePeriodSeconds = 30;
  assert.deepEqual(show(pc.apply(snap([deleting], [], 'api'))), ['DELETE api: u1']);
  assert.deepEqual(show(pc.apply(snap([deleting], [], 'api'))), [], 'and only once');
});

test('one apply with every kind of change emits DELETE, ADD, UPDATE, RECONCILE in that order', () => {
  const pc = config();
  pc.apply(snap([pod('gone', 'u1'), pod('edit', 'u2'), pod('status', 'u3')]));
  const us = pc.apply(snap([pod('status', 'u3', { phase: 'Running' }), pod('new', 'u4'), pod('edit', 'u2', { image: 'x:2' })]));
  assert.deepEqual(show(us), ['DELETE file: u1', 'ADD file: u4', 'UPDATE file: u2', 'RECONCILE file: u3']);
});

test('duplicate name in two files: the first by path runs, the later file is rejected', () => {
  const pc = config();
  // Given in reverse order: the merge sorts by path, so the result does not depend on it.
  const us = pc.apply(snap([pod('web', 'ub', { path: '/m/b.yaml' }), pod('web', 'ua', { path: '/m/a.yaml' })], [{ source: 'file', path: '/m/bad.yaml', message: 'boom' }]));
  assert.deepEqual(show(us), ['ADD file: ua']);
  assert.deepEqual(pc.rejected(), [
    { source: 'file', path: '/m/bad.yaml', message: 'boom' },
    { source: 'file', path: '/m/b.yaml', podName: 'web', message: 'duplicate pod name "default/web": already defined by /m/a.yaml; ignoring' },
  ]);
});

test('duplicate name: when the winner goes, the runner-up starts and the error clears', () => {
  const pc = config();
  pc.apply(snap([pod('web', 'ua', { path: '/m/a.yaml' }), pod('web', 'ub', { path: '/m/b.yaml' })]));
  assert.deepEqual(show(pc.apply(snap([pod('web', 'ub', { path: '/m/b.yaml' })]))), ['DELETE file: ua', 'ADD file: ub']);
  assert.deepEqual(pc.rejected(), []);
});

test('duplicate name: documents of one file are ordered by index, numerically', () => {
  const pc = config();
  const us = pc.apply(snap([pod('web', 'u10', { path: '/m/a.yaml#10' }), pod('web', 'u2', { path: '/m/a.yaml#2' })]));
  assert.deepEqual(show(us), ['ADD file: u2']);
  assert.equal(pc.rejected()[0]!.path, '/m/a.yaml#10');
});

test('duplicate name across sources: the source that reported first keeps it', () => {
  const pc = config();
  pc.apply(snap([pod('web', 'uf', { path: '/m/web.yaml' })], [], 'file'));
  assert.deepEqual(show(pc.apply(snap([pod('web', 'uh')], [], 'http'))), []);
  assert.deepEqual(pc.rejected(), [{ source: 'http', path: 'http', podName: 'web', message: 'duplicate pod name "default/web": already defined by /m/web.yaml; ignoring' }]);
  // When the first source lets go of the name, the other source's pod takes over.
  assert.deepEqual(show(pc.apply(snap([], [], 'file'))), ['DELETE file: uf', 'ADD http: uh']);
});

test('duplicate UID under different names is refused too', () => {
  const pc = config();
  const us = pc.apply(snap([pod('a', 'same', { path: '/m/a.yaml' }), pod('b', 'same', { path: '/m/b.yaml' })]));
  assert.deepEqual(show(us), ['ADD file: same']);
  assert.match(pc.rejected()[0]!.message, /^duplicate pod UID "same" \(pod "default\/b"\): already defined by \/m\/a\.yaml/);
});

test('sources are kept apart: one source\'s snapshot does not touch another\'s pods', () => {
  const pc = config();
  pc.apply(snap([pod('a', 'u1')], [], 'file'));
  assert.deepEqual(show(pc.apply(snap([pod('b', 'u2')], [], 'http'))), ['ADD http: u2']);
  assert.deepEqual(pc.pods().map((p) => p.metadata!.uid), ['u1', 'u2']);
  assert.deepEqual(show(pc.apply(snap([], [], 'http'))), ['DELETE http: u2']);
  assert.deepEqual(pc.pods().map((p) => p.metadata!.uid), ['u1']);
});

test('subscribers get each update in order; unsubscribe stops them; a throwing one does not stop others', () => {
  const pc = config();
  const seen: string[] = [];
  pc.subscribe(() => { throw new Error('bad subscriber'); });
  const off = pc.subscribe((u) => seen.push(u.op));
  pc.apply(snap([pod('a', 'u1'), pod('b', 'u2')]));
  pc.apply(snap([pod('a', 'u1', { image: 'x:2' })]));
  off();
  pc.apply(snap([]));
  assert.deepEqual(seen, ['ADD', 'DELETE', 'UPDATE']);
});

test('the caller\'s snapshot objects are not modified', () => {
  const pc = config();
  const p = pod('a', 'u1');
  const before = structuredClone(p);
  pc.apply(snap([p]));
  assert.deepEqual(p, before);
});

test('a pod object the source hands on again is unchanged: its copy is kept and nothing is sent', () => {
  const pc = config();
  const a = pod('a', 'u1');
  const b = pod('b', 'u2');
  pc.apply(snap([a, b]));
  const [copyA, copyB] = pc.pods();
  // The API source's SET after one pod's status changed: the other pod is the same object.
  const b2 = pod('b', 'u2', { phase: 'Running' });
  assert.deepEqual(show(pc.apply(snap([a, b2]))), ['RECONCILE file: u2']);
  const [keptA, newB] = pc.pods();
  assert.equal(keptA, copyA, 'the unchanged pod keeps the copy admitted before');
  assert.notEqual(newB, copyB, 'a new object is copied again');
  assert.equal(newB!.status!.phase, 'Running');
  assert.deepEqual(show(pc.apply(snap([a, b2]))), []);
  // A new object with the same content is compared, not trusted: still nothing to send.
  assert.deepEqual(show(pc.apply(snap([structuredClone(a), b2]))), []);
  assert.notEqual(pc.pods()[0], copyA);
});
