// The service-account volume in cluster mode: token, ca.crt and namespace written by the projected plugin, refreshed in place, missing and optional ConfigMaps, file owners and modes.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AuthenticationV1TokenRequest, V1Pod, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { newCachingConfigMapManager } from '../../src/objects/configmaps.js';
import { newWatchingSecretManager } from '../../src/objects/secrets.js';
import { TokenManager } from '../../src/token/token-manager.js';
import { HostVolumeManager } from '../../src/volumes/manager.js';
import { FakeKube } from '../support/fake-kube.js';
import { FakeMounter } from '../support/fake-mounter.js';
import { kubeApiAccess } from '../support/kube-api-access.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'mk-projected-')));
after(() => rmSync(base, { recursive: true, force: true }));
const T = Date.parse('2026-01-01T00:00:00Z');

let n = 0;
function setup() {
  let now = T;
  const clock = () => now;
  const kube = new FakeKube(clock);
  const client = kube.client();
  const tokens = new TokenManager({ client: client.serviceAccounts, clock, random: () => 0 });
  const configMaps = newCachingConfigMapManager(client.configMaps, { clock });
  const secrets = newWatchingSecretManager(client.secrets, pino({ level: 'silent' }));
  const root = path.join(base, `root-${++n}`);
  const mounter = new FakeMounter();
  const vm = new HostVolumeManager(root, { nodeName: 'node1', clock, mounter, cluster: { tokens, configMaps, secrets } });
  const pod = (spec: Partial<V1PodSpec> = {}, volumes: V1Volume[] = [kubeApiAccess()]): V1Pod => ({
    metadata: { name: 'web', namespace: 'prod', uid: `uid-${++n}` },
    spec: { serviceAccountName: 'default', containers: [{ name: 'app', image: 'busybox' }], volumes, ...spec },
  });
  /** remountPod, awaited, with the failures it reported. */
  const remount = async (p: V1Pod) => {
    const failures: string[] = [];
    await vm.remountPod(p, (m) => failures.push(m));
    return failures;
  };
  const dir = (p: V1Pod, volume = 'kube-api-access-abcde') => path.join(root, 'pods', p.metadata!.uid!, 'volumes/kubernetes.io~projected', volume);
  const read = (p: V1Pod, file: string, volume?: string) => readFileSync(path.join(dir(p, volume), file), 'utf8');
  return { kube, tokens, configMaps, secrets, mounter, vm, pod, dir, read, remount, advance: (ms: number) => (now += ms) };
}
const ca = { metadata: { name: 'kube-root-ca.crt', namespace: 'prod' }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nCA\n' } };

test('kube-api-access: a token bound to the pod, ca.crt from kube-root-ca.crt, the namespace; defaultMode 0644', async () => {
  const h = setup();
  h.kube.configMaps.put(ca);
  const p = h.pod();
  await h.vm.setUpPod(p);
  assert.equal(h.read(p, 'token'), h.kube.tokens[0]!.token);
  assert.equal(h.read(p, 'ca.crt'), ca.data['ca.crt']);
  assert.equal(h.read(p, 'namespace'), 'prod');
  for (const f of ['token', 'ca.crt', 'namespace']) {
    assert.equal(statSync(path.join(h.dir(p), f)).mode & 0o777, 0o644, f);
    assert.equal(readlinkSync(path.join(h.dir(p), f)), `..data/${f}`);
  }
  const req = h.kube.tokens[0]!;
  assert.deepEqual([req.namespace, req.serviceAccount], ['prod', 'default']);
  assert.deepEqual((req.request as AuthenticationV1TokenRequest).spec, {
    audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: p.metadata!.uid },
  });
});

test('a projected token with an audience asks for that audience', async () => {
  const h = setup();
  const p = h.pod({}, [{ name: 'vault', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'vault/token' } }] } }]);
  await h.vm.setUpPod(p);
  assert.deepEqual((h.kube.tokens[0]!.request as AuthenticationV1TokenRequest).spec.audiences, ['vault']);
  assert.equal(h.read(p, 'vault/token', 'vault'), h.kube.tokens[0]!.token);
});

test('remountPod: the token file is rewritten through ..data once the token needs a refresh, not before', async () => {
  const h = setup();
  h.kube.configMaps.put(ca);
  const p = h.pod({}, [kubeApiAccess(600)]);
  await h.vm.setUpPod(p);
  const firstData = readlinkSync(path.join(h.dir(p), '..data'));
  h.advance(400_000);
  assert.deepEqual(await h.remount(p), []);
  assert.equal(readlinkSync(path.join(h.dir(p), '..data')), firstData, 'nothing changed: nothing written');
  assert.equal(h.kube.tokens.length, 1);
  h.advance(90_000); // 490 s: past 80 % of 600 s
  assert.deepEqual(await h.remount(p), []);
  assert.equal(h.kube.tokens.length, 2);
  assert.equal(h.read(p, 'token'), h.kube.tokens[1]!.token);
  assert.notEqual(readlinkSync(path.join(h.dir(p), '..data')), firstData, 'a new timestamped directory behind ..data');
  assert.equal(h.read(p, 'ca.crt'), ca.data['ca.crt']);
});

test('a missing kube-root-ca.crt fails the set-up with the kubelet\'s message; it succeeds once the ConfigMap exists', async () => {
  const h = setup();
  const p = h.pod();
  await assert.rejects(h.vm.setUpPod(p), {
    name: 'VolumeError',
    message: 'MountVolume.SetUp failed for volume "kube-api-access-abcde" : configmap "kube-root-ca.crt" not found',
  });
  h.kube.configMaps.put(ca);
  await h.vm.setUpPod(p);
  assert.equal(h.read(p, 'ca.crt'), ca.data['ca.crt']);
});

test('optional: a missing ConfigMap or key is no error and no file', async () => {
  const h = setup();
  h.kube.configMaps.put({ metadata: { name: 'settings', namespace: 'prod' }, data: { a: '1' } });
  const p = h.pod({}, [{
    name: 'cfg',
    projected: {
      sources: [
        { configMap: { name: 'absent', optional: true } },
        { configMap: { name: 'settings', optional: true, items: [{ key: 'a', path: 'a.txt', mode: 0o400 }, { key: 'b', path: 'b.txt' }] } },
      ],
    },
  }]);
  await h.vm.setUpPod(p);
  assert.equal(h.read(p, 'a.txt', 'cfg'), '1');
  assert.equal(statSync(path.join(h.dir(p, 'cfg'), 'a.txt')).mode & 0o777, 0o400);
  assert.throws(() => statSync(path.join(h.dir(p, 'cfg'), 'b.txt')), /ENOENT/);
});

test('a listed key the ConfigMap lacks fails, and every failing source is reported', async () => {
  const h = setup();
  h.kube.configMaps.put({ metadata: { name: 'settings', namespace: 'prod' }, data: { a: '1' }, binaryData: { bin: Buffer.from([0, 255]).toString('base64') } });
  const p = h.pod({}, [{
    name: 'cfg',
    projected: { sources: [{ configMap: { name: 'settings', items: [{ key: 'b', path: 'b' }] } }, { configMap: { name: 'gone' } }] },
  }]);
  await assert.rejects(h.vm.setUpPod(p), {
    message: 'MountVolume.SetUp failed for volume "cfg" : [configmap references non-existent config key: b, configmap "gone" not found]',
  });
  const all = h.pod({}, [{ name: 'all', projected: { sources: [{ configMap: { name: 'settings' } }] } }]);
  await h.vm.setUpPod(all);
  assert.equal(h.read(all, 'a', 'all'), '1');
  assert.deepEqual([...readFileSync(path.join(h.dir(all, 'all'), 'bin'))], [0, 255], 'binaryData decoded');
});

test('runAsUser in every container: the token is 0600 and owned by that user; fsGroup adds group read', async () => {
  const h = setup();
  h.kube.configMaps.put(ca);
  const p = h.pod({ securityContext: { runAsUser: 1234 }, containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox', securityContext: { runAsUser: 1234 } }] });
  await h.vm.setUpPod(p);
  const token = statSync(path.join(h.dir(p), 'token'));
  assert.equal(token.mode & 0o777, 0o600);
  assert.equal(token.uid, 1234);
  assert.equal(statSync(path.join(h.dir(p), 'ca.crt')).mode & 0o777, 0o644);

  const mixed = h.pod({ securityContext: { fsGroup: 2000 }, containers: [{ name: 'a', image: 'busybox', securityContext: { runAsUser: 1 } }, { name: 'b', image: 'busybox' }] });
  await h.vm.setUpPod(mixed);
  const t2 = statSync(path.join(h.dir(mixed), 'token'));
  assert.equal(t2.mode & 0o777, 0o640, 'fsGroup: 0600, then group read');
  assert.deepEqual([t2.uid, t2.gid], [0, 2000], 'no common user: root keeps it');
});

test('a volume written before is left to the remount by setUpPod; a failed remount reports and keeps the old files', async () => {
  const h = setup();
  h.kube.configMaps.put(ca);
  const p = h.pod({}, [kubeApiAccess(600)]);
  await h.vm.setUpPod(p);
  const token = h.read(p, 'token');
  h.advance(601_000); // expired
  await h.vm.setUpPod(p);
  assert.equal(h.kube.tokens.length, 1, 'a container restart does not wait for the API server');
  h.kube.failNext('serviceaccounts', 'createToken');
  const [failure, ...more] = await h.remount(p);
  assert.match(failure!, /^MountVolume\.SetUp failed for volume "kube-api-access-abcde" : token .* expired and refresh failed: injected failure$/);
  assert.deepEqual(more, []);
  assert.equal(h.read(p, 'token'), token, 'the old files stay');
  assert.deepEqual(await h.remount(p), []);
  assert.equal(h.read(p, 'token'), h.kube.tokens[1]!.token, 'the next pass refreshes it');
});

test('remountPod: one pass per pod at a time (a second call joins it); tearDownPod waits for it', async () => {
  const h = setup();
  h.kube.configMaps.put(ca);
  const p = h.pod({}, [kubeApiAccess(600)]);
  await h.vm.setUpPod(p);
  h.advance(500_000);
  const first = h.vm.remountPod(p);
  assert.equal(h.vm.remountPod(p), first);
  await h.vm.tearDownPod(p.metadata!.uid!);
  assert.equal(h.kube.tokens.length, 2, 'the pass ran once');
  assert.throws(() => statSync(h.dir(p)), /ENOENT/, 'nothing written after the tear-down');
});

test('tearDownPod drops the pod\'s tokens and ConfigMap references', async () => {
  const h = setup();
  h.kube.configMaps.put(ca);
  const p = h.pod();
  await h.vm.setUpPod(p);
  assert.equal(h.tokens.size(), 1);
  await h.vm.tearDownPod(p.metadata!.uid!);
  assert.equal(h.tokens.size(), 0);
  await assert.rejects(h.configMaps.getObject('prod', 'kube-root-ca.crt'), /not registered/);
});

test('static mode (no cluster): the token source is still refused, naming the volume', async () => {
  const vm = new HostVolumeManager(path.join(base, 'static'), { mounter: new FakeMounter() });
  const p: V1Pod = { metadata: { name: 'web', namespace: 'prod', uid: 'static-1' }, spec: { containers: [], volumes: [kubeApiAccess()] } };
  await assert.rejects(vm.setUpPod(p), {
    message: 'MountVolume.SetUp failed for volume "kube-api-access-abcde" : projected source sources[0].serviceAccountToken is not supported in static mode: there is no API server to issue the token (only downwardAPI sources are)',
  });
});

test('cluster sources given as a function are asked at each use (run.ts builds them after the volume manager)', async () => {
  const h = setup();
  h.kube.configMaps.put(ca);
  let sources: { tokens: TokenManager; configMaps: typeof h.configMaps; secrets: typeof h.secrets } | undefined;
  const vm = new HostVolumeManager(path.join(base, 'late'), { mounter: new FakeMounter(), cluster: () => sources });
  const p: V1Pod = { metadata: { name: 'web', namespace: 'prod', uid: 'late-1' }, spec: { serviceAccountName: 'default', containers: [], volumes: [kubeApiAccess()] } };
  await assert.rejects(vm.setUpPod(p), /is not supported in static mode/);
  sources = { tokens: h.tokens, configMaps: h.configMaps, secrets: h.secrets };
  await vm.setUpPod(p);
  assert.equal(readFileSync(path.join(base, 'late/pods/late-1/volumes/kubernetes.io~projected/kube-api-access-abcde/token'), 'utf8'), h.kube.tokens[0]!.token);
});
