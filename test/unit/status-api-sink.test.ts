// Tests for the pods/status writer over the fake API: writes only on change, coalescing, one write per pod in flight, 404 and recreated pods, back-off, deletion, mirror pods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../../src/config/annotations.js';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import type { PodsClient } from '../../src/kubeclient/types.js';
import { ApiStatusSink, type PodRuntimeState } from '../../src/status/api-status-sink.js';
import { FakeKube } from '../support/fake-kube.js';

type Stored = V1Pod & Record<string, unknown>;
const quiet = { debug() {}, info() {}, warn() {} };
const T0 = new Date('2024-05-01T10:00:00Z');

const running = (extra: Partial<V1PodStatus> = {}): V1PodStatus => ({
  phase: 'Running',
  hostIP: '10.1.1.1',
  podIP: '10.88.0.5',
  podIPs: [{ ip: '10.88.0.5' }],
  startTime: T0,
  qosClass: 'BestEffort',
  conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T0 }, { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 }],
  containerStatuses: [{ name: 'app', image: 'busybox', imageID: 'sha', containerID: 'containerd://c1', ready: true, restartCount: 0, started: true, state: { running: { startedAt: T0 } } }],
  ...extra,
});
const failed = (reason = 'Error'): V1PodStatus => ({
  ...running(),
  phase: 'Failed',
  conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed', lastTransitionTime: T0 }],
  containerStatuses: [{ name: 'app', image: 'busybox', imageID: 'sha', containerID: 'containerd://c1', ready: false, restartCount: 0, started: false, state: { terminated: { exitCode: 143, reason } } }],
});

/** The fake API with pods, a sink on it, and knobs: each pod's runtime state, a gate that holds writes. */
function harness(opts: { mirrorPodFor?: (p: V1Pod) => V1Pod | undefined; dropHostIPs?: boolean } = {}) {
  const kube = new FakeKube();
  const client = kube.client();
  const states = new Map<string, PodRuntimeState>();
  let gate: Promise<void> | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  const pods: Pick<PodsClient, 'patchStatus' | 'delete'> = {
    patchStatus: async (ns, name, patch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await gate;
        const res = await client.pods.patchStatus(ns, name, patch);
        if (!opts.dropHostIPs || !res.status?.hostIPs) return res;
        delete res.status.hostIPs;
        return kube.pods.put(res as Stored, 'MODIFIED') as V1Pod;
      } finally {
        inFlight--;
      }
    },
    delete: (ns, name, d) => client.pods.delete(ns, name, d),
  };
  const byUid = (uid: string) => [...kube.pods.objects.values()].find((p) => p.metadata?.uid === uid) as V1Pod | undefined;
  const sink = new ApiStatusSink({
    pods,
    apiPod: (uid) => view.get(uid) ?? byUid(uid),
    mirrorPodFor: opts.mirrorPodFor,
    podRuntimeState: (uid) => states.get(uid) ?? 'running',
    logger: quiet,
    backoff: { initialMs: 2, maxMs: 10 },
  });
  /** A stale view of the API (the watch lagging behind): uid → pod. */
  const view = new Map<string, V1Pod>();
  const create = (name: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => {
    const stored = kube.pods.put({ metadata: { name, namespace: 'ns', ...extra }, spec: { nodeName: 'n', containers: [{ name: 'app', image: 'busybox' }] }, status: { phase: 'Pending' } } as Stored);
    return { ...stored, metadata: { ...stored.metadata, annotations: { ...stored.metadata?.annotations, [CONFIG_SOURCE_ANNOTATION]: 'api' } } } as V1Pod;
  };
  const api = (name: string) => kube.pods.get('ns', name) as V1Pod | undefined;
  const patches = () => kube.callsOf('pods', 'patchStatus');
  const hold = () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    return () => {
      gate = undefined;
      release();
    };
  };
  return { kube, sink, states, view, create, api, patches, hold, maxInFlight: () => maxInFlight };
}

async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('API status sink: writes', () => {
  it('writes a changed status as a strategic-merge patch carrying the UID; the same status again sends nothing', async () => {
    const h = harness();
    const pod = h.create('web');
    h.sink.podStatusChanged(pod, running());
    await h.sink.idle();
    assert.equal(h.patches().length, 1);
    const body = h.patches()[0]!.body as { metadata: { uid: string }; status: V1PodStatus };
    assert.equal(body.metadata.uid, pod.metadata!.uid);
    const stored = h.api('web')!.status!;
    assert.equal(stored.phase, 'Running');
    assert.equal(stored.podIP, '10.88.0.5');
    assert.equal(stored.containerStatuses![0]!.ready, true);
    h.sink.podStatusChanged(pod, running());
    h.sink.resync();
    await h.sink.idle();
    assert.equal(h.patches().length, 1, 'no second request: the API already has it');
  });

  it('coalesces: statuses that arrive during a write become one next write, of the latest', async () => {
    const h = harness();
    const pod = h.create('web');
    const release = h.hold();
    h.sink.podStatusChanged(pod, running({ phase: 'Pending', conditions: [] }));
    await until('the first write in flight', () => h.patches().length === 0 && h.maxInFlight() === 1);
    for (let i = 1; i <= 5; i++) h.sink.podStatusChanged(pod, running({ message: `update ${i}` }));
    release();
    await h.sink.idle();
    assert.equal(h.patches().length, 2, 'the first, then only the latest');
    assert.equal(h.api('web')!.status!.message, 'update 5');
    assert.equal(h.maxInFlight(), 1, 'never two writes for one pod at once');
  });

  it('a slow API server does not hold up other pods (writes go out in parallel across pods)', async () => {
    const h = harness();
    const a = h.create('a');
    const b = h.create('b');
    const release = h.hold();
    h.sink.podStatusChanged(a, running());
    h.sink.podStatusChanged(b, running());
    await until('both in flight', () => h.maxInFlight() === 2);
    release();
    await h.sink.idle();
    assert.equal(h.api('a')!.status!.phase, 'Running');
    assert.equal(h.api('b')!.status!.phase, 'Running');
  });

  it('the API server away: writes back off and the latest status goes out when it returns', async () => {
    const h = harness();
    const pod = h.create('web');
    for (let i = 0; i < 3; i++) h.kube.failNext('pods', 'patchStatus', new KubeApiError(0, 'Unavailable', 'connect ECONNREFUSED'));
    h.sink.podStatusChanged(pod, running({ message: 'first' }));
    await until('a failed write', () => h.patches().length >= 1);
    h.sink.podStatusChanged(pod, running({ message: 'latest' }));
    await until('the API has the latest', () => h.api('web')!.status!.message === 'latest');
    assert.equal(h.patches().length, 4, 'three failures, then one write of the latest');
  });

  it('the sync period puts back a status the API lost, and keeps conditions set by others', async () => {
    const h = harness();
    const pod = h.create('web');
    h.sink.podStatusChanged(pod, running());
    await h.sink.idle();
    const stored = h.api('web') as Stored;
    stored.status = { phase: 'Pending', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }] };
    h.kube.pods.put(stored, 'MODIFIED');
    h.sink.resync();
    await h.sink.idle();
    const s = h.api('web')!.status!;
    assert.equal(s.phase, 'Running');
    assert.deepEqual(s.conditions!.map((c) => c.type).sort(), ['DisruptionTarget', 'PodScheduled', 'Ready']);
  });

  it('a field the API server drops (hostIPs on 1.28) is sent once, then never again', async () => {
    const h = harness({ dropHostIPs: true });
    const pod = h.create('web');
    const withHostIPs = (message?: string) => running({ hostIPs: [{ ip: '10.1.1.1' }], ...(message ? { message } : {}) });
    h.sink.podStatusChanged(pod, withHostIPs());
    await h.sink.idle();
    assert.equal(h.patches().length, 1);
    assert.equal(h.api('web')!.status!.hostIPs, undefined);
    h.sink.resync();
    await h.sink.idle();
    assert.equal(h.patches().length, 1, 'the missing hostIPs is no reason to write again');
    h.sink.podStatusChanged(pod, withHostIPs('changed'));
    await h.sink.idle();
    assert.equal(h.patches().length, 2);
    assert.equal((h.patches()[1]!.body as { status: object }).status.hasOwnProperty('hostIPs'), false);
  });
});

describe('API status sink: shutdown', () => {
  it('stop() does not wait for a write the API server never answers', async () => {
    const h = harness();
    h.hold(); // never released
    h.sink.podStatusChanged(h.create('web'), running());
    await until('the write in flight', () => h.maxInFlight() === 1);
    const t0 = Date.now();
    await h.sink.stop();
    assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
    h.sink.podStatusChanged(h.create('late'), running());
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h.maxInFlight(), 1, 'nothing new goes out once stopped');
  });
});

describe('API status sink: vanished and recreated pods', () => {
  it('404: the pod is gone from the API; no more writes for it, and it is forgotten once its worker is done', async () => {
    const h = harness();
    const pod = h.create('web');
    h.view.set(pod.metadata!.uid!, pod); // the watch has not seen the deletion yet
    h.kube.pods.remove('ns', 'web');
    h.sink.podStatusChanged(pod, running());
    await h.sink.idle();
    h.sink.podStatusChanged(pod, running({ message: 'again' }));
    await h.sink.idle();
    assert.equal(h.patches().length, 1, 'one 404, then silence');
    h.view.clear();
    h.sink.podDeleted(pod.metadata!.uid!);
    await h.sink.idle();
    assert.equal(h.sink.size(), 0);
  });

  it('a pod recreated under the same name (UID precondition fails): the new pod is never written', async () => {
    const h = harness();
    const old = h.create('web');
    h.view.set(old.metadata!.uid!, old);
    h.kube.pods.remove('ns', 'web');
    const fresh = h.create('web');
    h.sink.podStatusChanged(old, failed());
    await h.sink.idle();
    assert.equal(h.patches().length, 1);
    assert.equal(h.api('web')!.metadata!.uid, fresh.metadata!.uid);
    assert.equal(h.api('web')!.status!.phase, 'Pending', 'the new pod is untouched');
    h.sink.podStatusChanged(old, failed('later'));
    await h.sink.idle();
    assert.equal(h.patches().length, 1, 'no more writes for the old UID');
  });
});

describe('API status sink: deletion (canBeDeleted)', () => {
  /** A pod the API server marked for deletion (kubectl delete). */
  function deleting(h: ReturnType<typeof harness>, name: string, grace = 30) {
    const pod = h.create(name);
    const stored = h.api(name) as Stored;
    stored.metadata!.deletionTimestamp = new Date();
    stored.metadata!.deletionGracePeriodSeconds = grace;
    h.kube.pods.put(stored, 'MODIFIED');
    return { ...pod, metadata: { ...pod.metadata, deletionTimestamp: stored.metadata!.deletionTimestamp, deletionGracePeriodSeconds: grace } } as V1Pod;
  }

  it('while containers may run, the terminal phase is held back and the pod stays; once the worker is done: final status, then delete with grace 0 and the UID', async () => {
    const h = harness();
    const pod = deleting(h, 'web');
    const uid = pod.metadata!.uid!;
    h.sink.podStatusChanged(pod, running());
    await h.sink.idle();
    h.sink.podStatusChanged(pod, failed());
    await h.sink.idle();
    assert.equal(h.api('web')!.status!.phase, 'Running', 'not Failed while its containers may still run');
    assert.equal(h.kube.callsOf('pods', 'delete').length, 0);
    h.states.set(uid, 'gone');
    h.sink.podDeleted(uid);
    await h.sink.idle();
    const calls = h.kube.calls.filter((c) => c.resource === 'pods').map((c) => c.verb);
    assert.deepEqual(calls.slice(-2), ['patchStatus', 'delete'], 'the final status first, then the object');
    assert.equal((h.kube.calls.at(-2)!.body as { status: V1PodStatus }).status.phase, 'Failed');
    assert.deepEqual(h.kube.callsOf('pods', 'delete')[0]!.body, { gracePeriodSeconds: 0, uid });
    assert.equal(h.api('web'), undefined);
    assert.equal(h.sink.size(), 0);
  });

  it('a pod deleted before it had any status is still finished in the API (Failed, then deleted)', async () => {
    const h = harness();
    const pod = deleting(h, 'web');
    h.sink.podDeleted(pod.metadata!.uid!);
    await h.sink.idle();
    assert.equal(h.kube.callsOf('pods', 'delete').length, 1);
    assert.equal((h.patches()[0]!.body as { status: V1PodStatus }).status.phase, 'Failed');
  });

  it('a pod rejected at admission (no worker, nothing in the runtime) is deleted once someone deletes it', async () => {
    const h = harness();
    const pod = h.create('big');
    const uid = pod.metadata!.uid!;
    h.states.set(uid, 'gone');
    h.sink.podStatusChanged(pod, { phase: 'Failed', reason: 'OutOfcpu', message: 'Pod was rejected: Node didn\'t have enough resource: cpu', startTime: T0 });
    await h.sink.idle();
    assert.equal(h.api('big')!.status!.reason, 'OutOfcpu');
    assert.equal(h.kube.callsOf('pods', 'delete').length, 0, 'a Failed pod stays until someone deletes it');
    const stored = h.api('big') as Stored;
    stored.metadata!.deletionTimestamp = new Date();
    h.kube.pods.put(stored, 'MODIFIED');
    h.sink.apiPodChanged(uid);
    await h.sink.idle();
    assert.equal(h.api('big'), undefined);
  });

  const notDeleted: Array<{ name: string; deletion: boolean; finished: boolean; phase: 'Succeeded' | 'Running' }> = [
    { name: 'a pod that merely finished (Succeeded, no deletionTimestamp) stays', deletion: false, finished: true, phase: 'Succeeded' },
    { name: 'a deleted pod whose worker is not done stays', deletion: true, finished: false, phase: 'Succeeded' },
  ];
  for (const c of notDeleted) {
    it(c.name, async () => {
      const h = harness();
      const pod = c.deletion ? deleting(h, 'job') : h.create('job');
      const uid = pod.metadata!.uid!;
      h.states.set(uid, c.finished ? 'terminated' : 'running');
      h.sink.podStatusChanged(pod, { ...failed('Completed'), phase: c.phase });
      if (c.finished && !c.deletion) h.sink.podDeleted(uid);
      await h.sink.idle();
      h.sink.resync();
      await h.sink.idle();
      assert.equal(h.kube.callsOf('pods', 'delete').length, 0);
      assert.ok(h.api('job'));
    });
  }

  it('the delete spares a recreated pod of the same name (UID precondition)', async () => {
    const h = harness();
    const pod = deleting(h, 'web', 0);
    h.view.set(pod.metadata!.uid!, { ...h.api('web')!, status: { phase: 'Failed' } });
    h.kube.pods.remove('ns', 'web');
    const fresh = h.create('web');
    h.sink.podDeleted(pod.metadata!.uid!);
    await h.sink.idle();
    assert.equal(h.api('web')!.metadata!.uid, fresh.metadata!.uid);
  });
});

describe('API status sink: static pods and their mirror pods', () => {
  const staticPod: V1Pod = {
    metadata: { name: 'etcd-n', namespace: 'kube-system', uid: 'static-uid', annotations: { [CONFIG_SOURCE_ANNOTATION]: 'file', [CONFIG_HASH_ANNOTATION]: 'static-uid' } },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
  };

  it('without a mirror-pod hook a static pod\'s status is not written', async () => {
    const h = harness();
    h.sink.podStatusChanged(staticPod, running());
    await h.sink.idle();
    assert.equal(h.patches().length, 0);
  });

  it('with the hook, the status goes to the mirror pod under the mirror pod\'s UID, and a mirror pod is never deleted', async () => {
    let h!: ReturnType<typeof harness>;
    h = harness({ mirrorPodFor: (p) => (p.metadata!.uid === 'static-uid' ? h.api('etcd-n') : undefined) });
    const mirror = h.create('etcd-n', { namespace: 'ns', annotations: { [CONFIG_MIRROR_ANNOTATION]: 'static-uid' } });
    const stored = h.api('etcd-n') as Stored;
    stored.metadata!.deletionTimestamp = new Date();
    h.kube.pods.put(stored, 'MODIFIED');
    h.sink.podStatusChanged(staticPod, running());
    h.sink.podDeleted('static-uid');
    await h.sink.idle();
    assert.equal(h.patches().length, 1);
    assert.equal((h.patches()[0]!.body as { metadata: { uid: string } }).metadata.uid, mirror.metadata!.uid);
    assert.equal(h.api('etcd-n')!.status!.phase, 'Running');
    assert.equal(h.kube.callsOf('pods', 'delete').length, 0);
  });
});
