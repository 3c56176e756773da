// The watch-based Secret and ConfigMap managers: one list+watch per referenced object by name, changes seen without a read, NotFound in the kubelet's words, the watch dropped with the last pod.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { isNotFound } from '../../src/kubeclient/errors.js';
import { newWatchingConfigMapManager } from '../../src/objects/configmaps.js';
import { secretNames } from '../../src/objects/references.js';
import { newWatchingSecretManager } from '../../src/objects/secrets.js';
import { FakeKube } from '../support/fake-kube.js';

const logger = pino({ level: 'silent' });
const podUsing = (uid: string, secret: string): V1Pod => ({
  metadata: { name: uid, namespace: 'prod', uid },
  spec: { containers: [{ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: secret, key: 'k' } } }] }] },
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('secretNames: pull secrets, secret volumes, projected sources, env and envFrom; never ConfigMaps', () => {
  const pod: V1Pod = {
    metadata: { name: 'p', namespace: 'prod' },
    spec: {
      imagePullSecrets: [{ name: 'pull' }, {}],
      volumes: [{ name: 'a', secret: { secretName: 'vol' } }, { name: 'b', projected: { sources: [{ secret: { name: 'proj' } }, { configMap: { name: 'cm' } }] } }],
      initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'from' } }, { configMapRef: { name: 'cm2' } }] }],
      containers: [{ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'key', key: 'k' } } }] }],
    },
  };
  assert.deepEqual([...secretNames(pod)].sort(), ['from', 'key', 'proj', 'pull', 'vol']);
});

test('a registered secret is listed and watched by name only; an update reaches getObject without another list', async () => {
  const kube = new FakeKube();
  kube.secrets.put({ metadata: { name: 's', namespace: 'prod' }, data: { k: b64('one') } });
  kube.secrets.put({ metadata: { name: 'other', namespace: 'prod' }, data: { k: b64('x') } });
  const m = newWatchingSecretManager(kube.client().secrets, logger);
  m.registerPod(podUsing('u1', 's'));
  assert.equal(Buffer.from((await m.getObject('prod', 's')).data!.k!, 'base64').toString(), 'one');
  assert.deepEqual(kube.callsOf('secrets').map((c) => `${c.verb} ${c.key}`), ['list prod?metadata.name=s', 'watch metadata.name=s']);
  kube.secrets.put({ metadata: { name: 's', namespace: 'prod' }, data: { k: b64('two') } });
  assert.equal(Buffer.from((await m.getObject('prod', 's')).data!.k!, 'base64').toString(), 'two');
  assert.equal(kube.callsOf('secrets', 'list').length, 1);
  m.cache.stop();
});

test('a missing object is NotFound with the kubelet\'s message, and appears once created', async () => {
  const kube = new FakeKube();
  const m = newWatchingConfigMapManager(kube.client().configMaps, logger);
  const pod: V1Pod = { metadata: { name: 'p', namespace: 'prod', uid: 'u1' }, spec: { containers: [], volumes: [{ name: 'v', configMap: { name: 'cm' } }] } };
  m.registerPod(pod);
  await assert.rejects(m.getObject('prod', 'cm'), (err: unknown) => isNotFound(err) && (err as Error).message === 'configmap "cm" not found');
  kube.configMaps.put({ metadata: { name: 'cm', namespace: 'prod' }, data: { a: '1' } });
  assert.deepEqual((await m.getObject('prod', 'cm')).data, { a: '1' });
  kube.configMaps.remove('prod', 'cm');
  await assert.rejects(m.getObject('prod', 'cm'), isNotFound);
  m.cache.stop();
});

test('an object no registered pod references is refused; the watch stops with its last pod', async () => {
  const kube = new FakeKube();
  kube.secrets.put({ metadata: { name: 's', namespace: 'prod' }, data: {} });
  const m = newWatchingSecretManager(kube.client().secrets, logger);
  await assert.rejects(m.getObject('prod', 's'), /not registered/);
  m.registerPod(podUsing('u1', 's'));
  m.registerPod(podUsing('u2', 's'));
  await m.getObject('prod', 's');
  assert.equal(kube.secrets.watchCount(), 1);
  m.unregisterPod('u1');
  assert.equal(kube.secrets.watchCount(), 1);
  m.unregisterPod('u2');
  assert.equal(kube.secrets.watchCount(), 0);
  await assert.rejects(m.getObject('prod', 's'), /not registered/);
  m.cache.stop();
});

test('an immutable object is not watched once read', async () => {
  const kube = new FakeKube();
  kube.secrets.put({ metadata: { name: 's', namespace: 'prod' }, data: {}, immutable: true });
  const m = newWatchingSecretManager(kube.client().secrets, logger);
  m.registerPod(podUsing('u1', 's'));
  await m.getObject('prod', 's');
  assert.equal(kube.secrets.watchCount(), 0);
  assert.deepEqual(m.cache.stats(), { referenced: 1, watching: 0 });
  await m.getObject('prod', 's');
  m.cache.stop();
});
