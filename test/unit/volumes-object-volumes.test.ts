// configMap and secret volumes: files from the watched objects, items and modes, secrets on a tmpfs, updated in place by a remount after the object changes; missing objects fail, optional ones are empty.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { newWatchingConfigMapManager } from '../../src/objects/configmaps.js';
import { newWatchingSecretManager } from '../../src/objects/secrets.js';
import { TokenManager } from '../../src/token/token-manager.js';
import { HostVolumeManager } from '../../src/volumes/manager.js';
import { FakeKube } from '../support/fake-kube.js';
import { FakeMounter } from '../support/fake-mounter.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'mk-objvol-')));
after(() => rmSync(base, { recursive: true, force: true }));
const logger = pino({ level: 'silent' });
let n = 0;

function setup() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = () => now;
  const kube = new FakeKube(clock);
  const client = kube.client();
  const configMaps = newWatchingConfigMapManager(client.configMaps, logger);
  const secrets = newWatchingSecretManager(client.secrets, logger);
  const mounter = new FakeMounter();
  const root = path.join(base, `root-${++n}`);
  const vm = new HostVolumeManager(root, { nodeName: 'node1', clock, mounter, cluster: { tokens: new TokenManager({ client: client.serviceAccounts, clock }), configMaps, secrets } });
  after(() => { configMaps.cache.stop(); secrets.cache.stop(); });
  const pod = (volumes: V1Volume[]): V1Pod => ({ metadata: { name: 'web', namespace: 'prod', uid: `uid-${++n}` }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes } });
  const dir = (p: V1Pod, plugin: string, v: string) => path.join(root, 'pods', p.metadata!.uid!, 'volumes', `kubernetes.io~${plugin}`, v);
  return { kube, vm, mounter, pod, dir, advance: (ms: number) => (now += ms) };
}

test('a configMap volume: every key, defaultMode; an update reaches the files on the next remount (same directory, new ..data)', async () => {
  const h = setup();
  h.kube.configMaps.put({ metadata: { name: 'cfg', namespace: 'prod' }, data: { 'app.conf': 'v=1' } });
  const p = h.pod([{ name: 'conf', configMap: { name: 'cfg', defaultMode: 0o600 } }]);
  await h.vm.setUpPod(p);
  const d = h.dir(p, 'configmap', 'conf');
  assert.equal(readFileSync(path.join(d, 'app.conf'), 'utf8'), 'v=1');
  assert.equal(statSync(path.join(d, 'app.conf')).mode & 0o777, 0o600);
  assert.equal(readlinkSync(path.join(d, 'app.conf')), '..data/app.conf');
  assert.deepEqual(h.mounter.calls, [], 'a configMap volume is on disk');
  const before = readlinkSync(path.join(d, '..data'));
  h.kube.configMaps.put({ metadata: { name: 'cfg', namespace: 'prod' }, data: { 'app.conf': 'v=2', extra: 'x' } });
  h.advance(1000);
  const failures: string[] = [];
  await h.vm.remountPod(p, (m) => failures.push(m));
  assert.deepEqual(failures, []);
  assert.equal(readFileSync(path.join(d, 'app.conf'), 'utf8'), 'v=2');
  assert.equal(readFileSync(path.join(d, 'extra'), 'utf8'), 'x');
  assert.notEqual(readlinkSync(path.join(d, '..data')), before);
});

test('a secret volume: on a tmpfs mounted before the first write, items with their own mode, bytes decoded', async () => {
  const h = setup();
  h.kube.secrets.put({ metadata: { name: 'creds', namespace: 'prod' }, data: { user: Buffer.from('admin').toString('base64'), pass: Buffer.from([0, 1, 2]).toString('base64') } });
  const p = h.pod([{ name: 's', secret: { secretName: 'creds', items: [{ key: 'pass', path: 'sub/pw', mode: 0o400 }] } }]);
  await h.vm.setUpPod(p);
  const d = h.dir(p, 'secret', 's');
  assert.deepEqual(h.mounter.mounts.map((m) => [m.mountPoint, m.fsType]), [[d, 'tmpfs']]);
  assert.deepEqual(readFileSync(path.join(d, 'sub/pw')), Buffer.from([0, 1, 2]));
  assert.equal(statSync(path.join(d, 'sub/pw')).mode & 0o777, 0o400);
  assert.throws(() => statSync(path.join(d, 'user')));
  await h.vm.remountPod(p);
  assert.equal(h.mounter.mounts.length, 1, 'the tmpfs is mounted once');
});

test('missing objects and keys fail the mount with the kubelet\'s words; optional ones give an empty volume', async () => {
  const h = setup();
  const p = h.pod([{ name: 'conf', configMap: { name: 'nope' } }]);
  await assert.rejects(h.vm.setUpPod(p), { message: 'MountVolume.SetUp failed for volume "conf" : configmap "nope" not found' });
  h.kube.secrets.put({ metadata: { name: 's', namespace: 'prod' }, data: {} });
  const q = h.pod([{ name: 'sec', secret: { secretName: 's', items: [{ key: 'k', path: 'k' }] } }]);
  await assert.rejects(h.vm.setUpPod(q), /MountVolume.SetUp failed for volume "sec" : references non-existent secret key: k/);
  const r = h.pod([{ name: 'opt', configMap: { name: 'nope', optional: true } }, { name: 'opt2', secret: { secretName: 'gone', optional: true } }]);
  await h.vm.setUpPod(r);
  assert.equal(readlinkSync(path.join(h.dir(r, 'configmap', 'opt'), '..data')).startsWith('..'), true);
});

test('static mode: configMap and secret volumes are refused, naming the volume', async () => {
  const vm = new HostVolumeManager(path.join(base, 'static'), { mounter: new FakeMounter() });
  const p: V1Pod = { metadata: { name: 'web', namespace: 'prod', uid: 'static-1' }, spec: { containers: [], volumes: [{ name: 'conf', configMap: { name: 'cfg' } }] } };
  await assert.rejects(vm.setUpPod(p), /MountVolume.SetUp failed for volume "conf"/);
});
