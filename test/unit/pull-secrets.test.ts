// imagePullSecrets as PullImage auth: the keyring matches an image to its registry's credentials (credentialprovider), each matching credential is tried in turn, the errors aggregated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import pino from 'pino';
import type { AuthConfig } from '../../src/cri/types.js';
import { EventRecorder } from '../../src/events/recorder.js';
import { BackOff } from '../../src/podworker/backoff.js';
import { ImageManager } from '../../src/podworker/images.js';
import { KeyringError, makeDockerKeyring, normalizedRepository, urlsMatch } from '../../src/podworker/keyring.js';
import { FakeCri } from '../support/fake-cri.js';

const auth = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');
const dockerConfigJson = (name: string, auths: Record<string, unknown>): V1Secret => ({
  metadata: { name, namespace: 'prod' },
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
});

test('normalizedRepository: the name the keyring matches (reference.ParseNormalizedNamed)', () => {
  assert.equal(normalizedRepository('busybox:1.36'), 'docker.io/library/busybox');
  assert.equal(normalizedRepository('127.0.0.1:5000/private/app:v1'), '127.0.0.1:5000/private/app');
  assert.equal(normalizedRepository('localhost/app@sha256:abc'), 'localhost/app');
  assert.equal(normalizedRepository('user/app'), 'docker.io/user/app');
});

test('urlsMatch: same port, host labels by glob, path prefix', () => {
  assert.ok(urlsMatch('127.0.0.1:5000', '127.0.0.1:5000/private/app'));
  assert.ok(!urlsMatch('127.0.0.1:5001', '127.0.0.1:5000/private/app'));
  assert.ok(urlsMatch('*.example.com', 'registry.example.com/app'));
  assert.ok(!urlsMatch('*.example.com', 'example.com/app'));
  assert.ok(urlsMatch('127.0.0.1:5000/private', '127.0.0.1:5000/private/app'));
  assert.ok(!urlsMatch('127.0.0.1:5000/other', '127.0.0.1:5000/private/app'));
});

test('the keyring: most specific key first, scheme and /v2/ dropped, auth or username/password, other secret types ignored', () => {
  const k = makeDockerKeyring([
    dockerConfigJson('a', { 'https://127.0.0.1:5000/v2/': { auth: auth('host', 'p1') } }),
    dockerConfigJson('b', { '127.0.0.1:5000/private': { username: 'path', password: 'p2' } }),
    { metadata: { name: 'opaque' }, type: 'Opaque', data: { '.dockerconfigjson': 'bm90IGpzb24=' } },
  ]);
  assert.deepEqual(k.lookup('127.0.0.1:5000/private/app'), [{ username: 'path', password: 'p2' }, { username: 'host', password: 'p1' }]);
  assert.deepEqual(k.lookup('127.0.0.1:5000/public/app'), [{ username: 'host', password: 'p1' }]);
  assert.deepEqual(k.lookup('docker.io/library/busybox'), []);
  const broken: V1Secret = { metadata: { name: 'bad', namespace: 'prod' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{').toString('base64') } };
  assert.throws(() => makeDockerKeyring([broken]), KeyringError);
});

function images(cri: FakeCri) {
  const clock = () => 0;
  const logger = pino({ level: 'silent' });
  return new ImageManager({ cri, backOff: new BackOff({ initialMs: 10_000, maxMs: 300_000, clock }), recorder: new EventRecorder({ logger, clock }), logger, clock, serializeImagePulls: true });
}
const pod: V1Pod = { metadata: { name: 'p', namespace: 'prod', uid: 'u1' }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/private/app:v1' }] } };

test('ensureImageExists: each matching credential in turn until one pulls; none matching, an anonymous pull', async () => {
  const cri = new FakeCri();
  const seen: Array<AuthConfig | undefined> = [];
  const pull = cri.pullImage.bind(cri);
  cri.pullImage = async (image, a, ...rest) => {
    seen.push(a);
    if (a?.password !== 'good') throw new Error(`unauthorized (${a?.username ?? 'anonymous'})`);
    return pull(image, a, ...rest);
  };
  cri.addPullable('127.0.0.1:5000/private/app:v1');
  const secrets = [
    dockerConfigJson('a', { '127.0.0.1:5000': { username: 'u', password: 'good' } }),
    dockerConfigJson('b', { '127.0.0.1:5000/private': { username: 'u', password: 'bad' } }),
  ];
  const r = await images(cri).ensureImageExists(pod, pod.spec!.containers[0]!, undefined, undefined, secrets);
  assert.equal(r.ok, true);
  assert.deepEqual(seen.map((a) => a?.password), ['bad', 'good']);

  const cri2 = new FakeCri();
  const seen2: Array<AuthConfig | undefined> = [];
  cri2.pullImage = async (_i, a) => {
    seen2.push(a);
    throw new Error(`unauthorized (${a?.username ?? 'anonymous'})`);
  };
  const r2 = await images(cri2).ensureImageExists(pod, pod.spec!.containers[0]!, undefined, undefined, [dockerConfigJson('x', { 'other:5000': { username: 'x', password: 'y' } })]);
  assert.equal(r2.ok, false);
  assert.deepEqual(seen2, [undefined]);
  assert.match(r2.ok ? '' : r2.message, /unauthorized \(anonymous\)/);
});
