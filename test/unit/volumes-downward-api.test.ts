// downwardAPI and projected volumes: values, modes, unsupported sources, and the atomic ..data layout on disk.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { V1DownwardAPIVolumeFile, V1Pod } from '@kubernetes/client-node';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeAtomically, type FileProjection } from '../../src/volumes/atomic-writer.js';
import { downwardAPIPayload } from '../../src/volumes/downward-api.js';
import { projectedPayload } from '../../src/volumes/projected.js';
import { VolumeError } from '../../src/volumes/errors.js';

const base = mkdtempSync(path.join(tmpdir(), 'mk-downward-'));
after(() => rmSync(base, { recursive: true, force: true }));

const pod: V1Pod = {
  metadata: {
    name: 'web-node1', namespace: 'prod', uid: 'u-123',
    labels: { tier: 'front', app: 'web' },
    annotations: { 'note': 'say "hi"' },
  },
  spec: {
    nodeName: 'node1',
    serviceAccountName: 'builder',
    containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1500m', memory: '128Mi' } } }],
  },
};
const src = { nodeName: 'node1', allocatable: { cpu: '2', memory: '4Gi' } };
const field = (p: string, fieldPath: string): V1DownwardAPIVolumeFile => ({ path: p, fieldRef: { fieldPath } });
const res = (p: string, resource: string, divisor?: string, containerName = 'app'): V1DownwardAPIVolumeFile => ({
  path: p, resourceFieldRef: { containerName, resource, ...(divisor ? { divisor } : {}) },
});

const values: { name: string; item: V1DownwardAPIVolumeFile; want: string }[] = [
  { name: 'metadata.name', item: field('name', 'metadata.name'), want: 'web-node1' },
  { name: 'metadata.namespace', item: field('ns', 'metadata.namespace'), want: 'prod' },
  { name: 'metadata.uid', item: field('uid', 'metadata.uid'), want: 'u-123' },
  { name: 'metadata.labels: sorted key="value" lines', item: field('labels', 'metadata.labels'), want: 'app="web"\ntier="front"' },
  { name: 'metadata.annotations: values quoted', item: field('annotations', 'metadata.annotations'), want: 'note="say \\"hi\\""' },
  { name: "metadata.labels['tier']", item: field('tier', "metadata.labels['tier']"), want: 'front' },
  { name: 'spec.nodeName', item: field('node', 'spec.nodeName'), want: 'node1' },
  { name: 'spec.serviceAccountName', item: field('sa', 'spec.serviceAccountName'), want: 'builder' },
  { name: 'limits.cpu in cores, rounded up', item: res('cpu', 'limits.cpu'), want: '2' },
  { name: 'limits.cpu with divisor 1m', item: res('cpu', 'limits.cpu', '1m'), want: '1500' },
  { name: 'requests.memory with divisor 1Mi', item: res('mem', 'requests.memory', '1Mi'), want: '64' },
  { name: 'limits.memory in bytes', item: res('mem', 'limits.memory'), want: String(128 * 1024 * 1024) },
];
for (const c of values) {
  test(`downwardAPI value: ${c.name}`, () => {
    assert.equal(downwardAPIPayload(pod, [c.item], 0o644, src).get(c.item.path)?.data, c.want);
  });
}

test('an unset limit is the node allocatable (defaultPodLimitsForDownwardAPI)', () => {
  const p: V1Pod = { ...pod, spec: { ...pod.spec!, containers: [{ name: 'app', image: 'busybox' }] } };
  assert.equal(downwardAPIPayload(p, [res('mem', 'limits.memory', '1Gi')], 0o644, src).get('mem')?.data, '4');
});

test('modes: the item mode, else defaultMode; paths are cleaned', () => {
  const out = downwardAPIPayload(pod, [{ ...field('a', 'metadata.name'), mode: 0o400 }, field('./sub//b', 'metadata.uid')], 0o640, src);
  assert.deepEqual([...out], [['a', { data: 'web-node1', mode: 0o400 }], ['sub/b', { data: 'u-123', mode: 0o640 }]]);
});

test('every failing item is reported, with the kubelet message', () => {
  assert.throws(() => downwardAPIPayload(pod, [field('ip', 'status.podIP')], 0o644, src), (e: Error) => e instanceof VolumeError && e.message === 'unsupported fieldPath: status.podIP');
  assert.throws(
    () => downwardAPIPayload(pod, [field('ip', 'status.podIP'), res('x', 'limits.cpu', undefined, 'nope')], 0o644, src),
    /^VolumeError: \[unsupported fieldPath: status.podIP, container nope not found in the pod\]$/,
  );
});

test('projected: downwardAPI sources merged under the projected defaultMode', async () => {
  const out = await projectedPayload(pod, {
    defaultMode: 0o600,
    sources: [{ downwardAPI: { items: [field('name', 'metadata.name')] } }, { downwardAPI: { items: [{ ...field('uid', 'metadata.uid'), mode: 0o444 }] } }],
  }, { downward: src });
  assert.deepEqual([...out], [['name', { data: 'web-node1', mode: 0o600 }], ['uid', { data: 'u-123', mode: 0o444 }]]);
});

for (const kind of ['configMap', 'secret', 'serviceAccountToken']) {
  test(`projected in static mode: a ${kind} source is refused, naming it`, async () => {
    const s = { [kind]: kind === 'serviceAccountToken' ? { path: 'token' } : { name: 'x' } };
    await assert.rejects(projectedPayload(pod, { sources: [{ downwardAPI: { items: [] } }, s] }, { downward: src }), new RegExp(`sources\\[1\\]\\.${kind} is not supported in static mode: there is no API server`));
  });
}

test('atomic writer: files in a timestamped dir behind ..data, user-visible links, modes kept', async () => {
  const dir = path.join(base, 'vol1');
  const payload = new Map<string, FileProjection>([['name', { data: 'a', mode: 0o400 }], ['sub/uid', { data: 'b', mode: 0o644 }]]);
  assert.equal(await writeAtomically(dir, payload, { now: Date.UTC(2024, 4, 1, 10, 0, 0) }), true);
  const ts = readlinkSync(path.join(dir, '..data'));
  assert.match(ts, /^\.\.2024_05_01_10_00_00\./);
  assert.equal(readlinkSync(path.join(dir, 'name')), '..data/name');
  assert.equal(readlinkSync(path.join(dir, 'sub')), '..data/sub');
  assert.equal(readFileSync(path.join(dir, 'sub/uid'), 'utf8'), 'b');
  assert.equal(statSync(path.join(dir, 'name')).mode & 0o777, 0o400);
  assert.equal(statSync(path.join(dir, ts)).mode & 0o777, 0o755);

  // The same payload again: nothing is written.
  assert.equal(await writeAtomically(dir, payload, { now: Date.UTC(2024, 4, 1, 11) }), false);
  assert.equal(readlinkSync(path.join(dir, '..data')), ts);

  // A changed payload: a new timestamped dir, the old one and stale names gone.
  const next = new Map<string, FileProjection>([['name', { data: 'c', mode: 0o400 }]]);
  assert.equal(await writeAtomically(dir, next, { now: Date.UTC(2024, 4, 1, 12) }), true);
  assert.equal(readFileSync(path.join(dir, 'name'), 'utf8'), 'c');
  assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('..')), ['name']);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('..2024')).length, 1);
  assert.ok(lstatSync(path.join(dir, '..data')).isSymbolicLink());
});

test('atomic writer: refuses absolute, backstepping and reserved paths', async () => {
  for (const bad of ['/etc/passwd', 'a/../../b', '..data']) {
    await assert.rejects(writeAtomically(path.join(base, 'vol2'), new Map([[bad, { data: '', mode: 0o644 }]]), { now: 0 }), VolumeError);
  }
});
