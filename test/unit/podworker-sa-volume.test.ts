// The pod worker with the service-account volume: a missing kube-root-ca.crt holds the pod in ContainerCreating (FailedMount) until it exists; syncs of a running pod refresh the token in place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { clusterVolumes } from '../support/cluster-volumes.js';
import { makeHarness, pod } from '../support/syncer-harness.js';
import { kubeApiAccess } from '../support/kube-api-access.js';

function setup(expirationSeconds = 600) {
  const cluster = clusterVolumes();
  const h = makeHarness({ volumes: cluster.volumes });
  const kube = cluster.kube();
  const hold = cluster.hold;
  h.cri.addImage('busybox:1.36');
  const p = pod('api-pod', { serviceAccountName: 'default', volumes: [kubeApiAccess(expirationSeconds)] });
  const tokenFile = path.join(h.root, 'pods', p.metadata!.uid!, 'volumes/kubernetes.io~projected/kube-api-access-abcde/token');
  /** A sync, and the background remount it started. */
  const sync = async () => {
    await h.sync(p);
    await h.volumes.remountsSettled(p.metadata!.uid!);
  };
  return { h, kube, p, sync, hold, token: () => readFileSync(tokenFile, 'utf8') };
}
const ca = { metadata: { name: 'kube-root-ca.crt', namespace: 'default' }, data: { 'ca.crt': 'CA' } };

test('no kube-root-ca.crt yet: FailedMount, no sandbox, ContainerCreating with the message; runs once it exists', async () => {
  const { h, kube, p } = setup();
  const r = await h.sync(p);
  assert.deepEqual(h.writes(), [], 'no sandbox without the volume');
  const message = 'MountVolume.SetUp failed for volume "kube-api-access-abcde" : configmap "kube-root-ca.crt" not found';
  assert.deepEqual(h.recorder.eventsFor(p.metadata!.uid!).map((e) => [e.type, e.reason, e.message]), [['Warning', 'FailedMount', message]]);
  const waiting = h.status(p)!.containerStatuses![0]!.state!.waiting!;
  assert.deepEqual([waiting.reason, waiting.message], ['ContainerCreating', message]);
  // Retried soon, as the kubelet's volume manager retries a mount: 0.5 s, then doubling, but never
  // waiting longer than a failed sandbox's 10 s.
  assert.equal(r.resyncAfterMs, 500);
  const delays: (number | undefined)[] = [];
  let wait = r.resyncAfterMs!;
  for (let i = 0; i < 6; i++) {
    h.advance(wait);
    wait = (await h.sync(p)).resyncAfterMs!;
    delays.push(wait);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 10_000, 10_000]);

  kube.configMaps.put(ca);
  await h.sync(p);
  assert.deepEqual(h.writes(), ['runPodSandbox', 'createContainer', 'startContainer']);
  assert.equal(h.status(p)!.phase, 'Running');
  // Mounted: the next failure starts again at 0.5 s.
  assert.equal(h.mountBackOff.get(`${p.metadata!.uid!}_volumes`), 0);
});

test('a sync does not wait for a remount held up by a slow API server; a crashed container restarts meanwhile', { timeout: 20_000 }, async () => {
  const { h, kube, p, sync, hold, token } = setup(600);
  kube.configMaps.put(ca);
  await sync();
  h.advance(500_000); // the token needs a refresh
  const release = hold();
  await h.sync(p); // returns although the remount it started waits for the API server
  const [c] = [...h.cri.containers.values()];
  h.cri.exitContainer(c!.status.id, 1);
  await h.pleg.relist();
  h.resetCalls();
  await h.sync(p);
  assert.deepEqual(h.writes(), ['createContainer', 'startContainer'], 'restarted at once, with the files it has');
  assert.equal(kube.tokens.length, 1);
  release();
  await h.volumes.remountsSettled(p.metadata!.uid!);
  assert.equal(kube.tokens.length, 2);
  assert.equal(token(), kube.tokens[1]!.token);
});

test('a running pod: each sync remounts; the token file changes once the token needs a refresh, and nothing restarts', async () => {
  const { h, kube, p, token, sync } = setup(600);
  kube.configMaps.put(ca);
  await sync();
  const first = token();
  h.resetCalls();
  h.advance(60_000);
  await sync();
  assert.equal(token(), first);
  assert.equal(kube.tokens.length, 1);
  h.advance(430_000); // 490 s: past 80 % of 600 s
  await sync();
  assert.equal(kube.tokens.length, 2);
  assert.equal(token(), kube.tokens[1]!.token);
  assert.deepEqual(h.writes(), [], 'the refresh touched no container');
});

test('a running pod whose token cannot be refreshed: a FailedMount warning, the old file stays, the pod keeps running', async () => {
  const { h, kube, p, token, sync } = setup(600);
  kube.configMaps.put(ca);
  await sync();
  const first = token();
  h.resetCalls();
  h.advance(601_000);
  kube.failNext('serviceaccounts', 'createToken');
  await sync();
  assert.deepEqual(h.writes(), []);
  assert.equal(token(), first);
  const events = h.recorder.eventsFor(p.metadata!.uid!).filter((e) => e.reason === 'FailedMount');
  assert.equal(events.length, 1);
  assert.match(events[0]!.message, /^MountVolume\.SetUp failed for volume "kube-api-access-abcde" : token .* expired and refresh failed: injected failure$/);
  assert.equal(h.status(p)!.phase, 'Running');
});
