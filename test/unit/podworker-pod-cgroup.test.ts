// The pod worker and the pod cgroup (kubelet: podContainerManager.EnsureExists): made before the sandbox, while the volumes are set up; its failure fails the sandbox, not the agent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodCgroups } from '../../src/node/cgroups-fs.js';
import { clusterVolumes } from '../support/cluster-volumes.js';
import { kubeApiAccess } from '../support/kube-api-access.js';
import { makeHarness, pod } from '../support/syncer-harness.js';

/** Records each ensurePod, with whether the pod's token had been asked for by then; fails while `failing` is set. */
class RecordingPodCgroups implements PodCgroups {
  readonly ensured: Array<{ uid: string; tokenRequested: boolean }> = [];
  failing: string | undefined;
  constructor(private readonly tokenRequested: () => boolean) {}
  async ensurePod(pod: V1Pod): Promise<void> {
    this.ensured.push({ uid: pod.metadata!.uid!, tokenRequested: this.tokenRequested() });
    await Promise.resolve();
    if (this.failing) throw new Error(this.failing);
  }
  async trackPod(): Promise<void> {}
  async removePod(): Promise<void> {}
}

/** A harness whose service-account tokens can be held back (an API server slow to answer). */
function setup() {
  const cluster = clusterVolumes();
  const cgroups = new RecordingPodCgroups(() => cluster.tokenRequests() > 0);
  const h = makeHarness({ podCgroups: cgroups, volumes: cluster.volumes });
  cluster.kube().configMaps.put({ metadata: { name: 'kube-root-ca.crt', namespace: 'default' }, data: { 'ca.crt': 'CA' } });
  h.cri.addImage('busybox:1.36');
  const p = pod('api-pod', { serviceAccountName: 'default', dnsPolicy: 'Default', volumes: [kubeApiAccess(600)] });
  return { h, cgroups, hold: cluster.hold, p, requested: cluster.tokenRequests };
}

test('the pod cgroup is made while the volumes are still being set up, and the sandbox waits for both', async () => {
  const { h, cgroups, hold, p, requested } = setup();
  const release = hold();
  const sync = h.sync(p);
  while (requested() === 0) await new Promise((r) => setImmediate(r));
  // Made first, as the kubelet does, and not waited for by the volumes: the token is asked for meanwhile.
  assert.deepEqual(cgroups.ensured, [{ uid: p.metadata!.uid, tokenRequested: false }]);
  assert.deepEqual(h.writes(), [], 'no sandbox before the volumes are there');
  release();
  await sync;
  assert.deepEqual(h.writes(), ['runPodSandbox', 'createContainer', 'startContainer']);
  assert.equal(h.status(p)!.phase, 'Running');
  // A sync of the running pod makes no second cgroup (the kubelet's EnsureExists is a no-op then).
  await h.sync(p);
  assert.equal(cgroups.ensured.length, 1);
});

test('a pod cgroup that cannot be made: FailedCreatePodSandBox with the kubelet\'s message, no sandbox; the next sync makes it', async () => {
  const { h, cgroups, p } = setup();
  cgroups.failing = 'mkdir /sys/fs/cgroup/cpu/kubepods/besteffort/poduid-api-pod: read-only file system';
  const r = await h.sync(p);
  assert.deepEqual(h.writes(), []);
  const events = h.recorder.eventsFor(p.metadata!.uid!).map((e) => [e.reason, e.message]);
  assert.deepEqual(events, [['FailedCreatePodSandBox', `Failed to create pod sandbox: ${cgroups.failing}`]]);
  const waiting = h.status(p)!.containerStatuses![0]!.state!.waiting!;
  assert.equal(waiting.reason, 'ContainerCreating');
  assert.match(waiting.message!, /read-only file system/);
  assert.equal(r.resyncAfterMs, 10_000);
  cgroups.failing = undefined;
  h.advance(10_000);
  await h.sync(p);
  assert.deepEqual(h.writes(), ['runPodSandbox', 'createContainer', 'startContainer']);
  assert.equal(cgroups.ensured.length, 2);
});

test('volumes that cannot be set up: FailedMount, no sandbox, and a cgroup failure meanwhile is not reported twice', async () => {
  const { h, cgroups } = setup();
  cgroups.failing = 'no cgroup for you';
  // A secret volume whose secret does not exist.
  const p = pod('secret-pod', { volumes: [{ name: 'creds', secret: { secretName: 'missing' } }] });
  await h.sync(p);
  assert.deepEqual(h.writes(), []);
  assert.deepEqual(h.recorder.eventsFor(p.metadata!.uid!).map((e) => e.reason), ['FailedMount']);
});
