// The ConfigMap manager: only registered references are read, answers cached for the TTL, NotFound with the kubelet's words, the last answer kept while the API is away.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { newCachingConfigMapManager } from '../../src/objects/configmaps.js';
import { configMapNames } from '../../src/objects/references.js';
import { FakeKube } from '../support/fake-kube.js';

const T = Date.parse('2026-01-01T00:00:00Z');

function setup() {
  let now = T;
  const kube = new FakeKube(() => now);
  const cms = newCachingConfigMapManager(kube.client().configMaps, { clock: () => now, ttlMs: 60_000 });
  const reads = () => kube.callsOf('configmaps', 'get').length;
  return { kube, cms, reads, advance: (ms: number) => (now += ms) };
}

const podUsing = (uid: string, ...names: string[]): V1Pod => ({
  metadata: { name: uid, namespace: 'prod', uid },
  spec: { containers: [], volumes: [{ name: 'v', projected: { sources: names.map((name) => ({ configMap: { name } })) } }] },
});
const ca = { metadata: { name: 'kube-root-ca.crt', namespace: 'prod' }, data: { 'ca.crt': 'CA-1' } };

test('configMapNames: volumes, projected sources, env and envFrom of every kind of container', () => {
  const pod: V1Pod = {
    metadata: { name: 'p', namespace: 'prod' },
    spec: {
      volumes: [{ name: 'a', configMap: { name: 'vol' } }, { name: 'b', projected: { sources: [{ configMap: { name: 'proj' } }, { secret: { name: 's' } }] } }],
      initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'init-from' } }, { secretRef: { name: 's2' } }] }],
      containers: [{ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'env-key', key: 'k' } } }, { name: 'Y', value: 'y' }] }],
    },
  };
  assert.deepEqual([...configMapNames(pod)].sort(), ['env-key', 'init-from', 'proj', 'vol']);
});

test('getObject: an object no registered pod references is refused, and forgotten with its last pod', async () => {
  const { kube, cms, reads } = setup();
  kube.configMaps.put(ca);
  await assert.rejects(cms.getObject('prod', 'kube-root-ca.crt'), { message: 'object "prod"/"kube-root-ca.crt" not registered' });
  cms.registerPod(podUsing('a', 'kube-root-ca.crt'));
  cms.registerPod(podUsing('b', 'kube-root-ca.crt'));
  assert.equal((await cms.getObject('prod', 'kube-root-ca.crt')).data?.['ca.crt'], 'CA-1');
  cms.unregisterPod('a');
  await cms.getObject('prod', 'kube-root-ca.crt');
  cms.unregisterPod('b');
  await assert.rejects(cms.getObject('prod', 'kube-root-ca.crt'), /not registered/);
  assert.equal(reads(), 1, 'the second get came from the cache');
});

test('getObject: cached for the TTL, read again after it; re-registering the same pod costs no read', async () => {
  const { kube, cms, reads, advance } = setup();
  kube.configMaps.put(ca);
  const p = podUsing('a', 'kube-root-ca.crt');
  cms.registerPod(p);
  await cms.getObject('prod', 'kube-root-ca.crt');
  kube.configMaps.put({ ...ca, data: { 'ca.crt': 'CA-2' } });
  advance(59_999);
  cms.registerPod(p);
  assert.equal((await cms.getObject('prod', 'kube-root-ca.crt')).data?.['ca.crt'], 'CA-1');
  advance(1);
  assert.equal((await cms.getObject('prod', 'kube-root-ca.crt')).data?.['ca.crt'], 'CA-2');
  assert.equal(reads(), 2);
});

test('getObject: a new pod referencing an object invalidates it (read afresh)', async () => {
  const { kube, cms, reads } = setup();
  kube.configMaps.put(ca);
  cms.registerPod(podUsing('a', 'kube-root-ca.crt'));
  await cms.getObject('prod', 'kube-root-ca.crt');
  kube.configMaps.put({ ...ca, data: { 'ca.crt': 'CA-2' } });
  cms.registerPod(podUsing('b', 'kube-root-ca.crt'));
  assert.equal((await cms.getObject('prod', 'kube-root-ca.crt')).data?.['ca.crt'], 'CA-2');
  assert.equal(reads(), 2);
});

test('getObject: a missing ConfigMap is NotFound in the kubelet\'s words, asked again each time, found once it exists', async () => {
  const { kube, cms, reads } = setup();
  cms.registerPod(podUsing('a', 'kube-root-ca.crt'));
  await assert.rejects(cms.getObject('prod', 'kube-root-ca.crt'), (e) => e instanceof KubeApiError && e.code === 404 && e.message === 'configmap "kube-root-ca.crt" not found');
  await assert.rejects(cms.getObject('prod', 'kube-root-ca.crt'), /not found/);
  kube.configMaps.put(ca);
  assert.equal((await cms.getObject('prod', 'kube-root-ca.crt')).data?.['ca.crt'], 'CA-1');
  assert.equal(reads(), 3);
});

test('getObject: while the API server is away the last answer stands; with none, its error', async () => {
  const { kube, cms, advance } = setup();
  kube.configMaps.put(ca);
  cms.registerPod(podUsing('a', 'kube-root-ca.crt', 'other'));
  await cms.getObject('prod', 'kube-root-ca.crt');
  advance(120_000);
  kube.failNext('configmaps', 'get');
  assert.equal((await cms.getObject('prod', 'kube-root-ca.crt')).data?.['ca.crt'], 'CA-1');
  kube.failNext('configmaps', 'get');
  await assert.rejects(cms.getObject('prod', 'other'), { message: 'injected failure' });
});

test('getObject: an older resourceVersion never replaces a newer cached object', async () => {
  const { kube, cms, advance } = setup();
  const stored = kube.configMaps.put(ca);
  cms.registerPod(podUsing('a', 'kube-root-ca.crt'));
  await cms.getObject('prod', 'kube-root-ca.crt');
  // An API server behind its peers answers with an older version.
  kube.configMaps.objects.set('prod/kube-root-ca.crt', { ...stored, metadata: { ...stored.metadata, resourceVersion: '5' }, data: { 'ca.crt': 'OLD' } });
  advance(60_000);
  assert.equal((await cms.getObject('prod', 'kube-root-ca.crt')).data?.['ca.crt'], 'CA-1');
});

test('getObject: concurrent gets share one read', async () => {
  const { kube, cms, reads } = setup();
  kube.configMaps.put(ca);
  cms.registerPod(podUsing('a', 'kube-root-ca.crt'));
  const got = await Promise.all([1, 2, 3].map(() => cms.getObject('prod', 'kube-root-ca.crt')));
  assert.deepEqual(got.map((c) => c.data?.['ca.crt']), ['CA-1', 'CA-1', 'CA-1']);
  assert.equal(reads(), 1);
});
