import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../../src/config/annotations.js';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { isMirrorPodOf, MirrorClient, mirrorPodOf } from '../../src/mirror/mirror-client.js';
import { MirrorPodLister } from '../../src/mirror/mirror-lister.js';
import { MirrorPods } from '../../src/mirror/mirror-pods.js';
import { FakeKube } from '../support/fake-kube.js';
import { FakeClock, flush } from '../support/fake-prober-clock.js';

const logger = pino({ level: 'silent' });

const staticPod = (name: string, hash: string): V1Pod => ({
  metadata: {
    name: `${name}-n1`,
    namespace: 'default',
    uid: hash,
    labels: { app: name },
    annotations: { [CONFIG_HASH_ANNOTATION]: hash, [CONFIG_SOURCE_ANNOTATION]: 'file' },
    creationTimestamp: new Date(0),
  },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Pending' },
});

function setup() {
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  const kube = new FakeKube(() => clock.now());
  const client = kube.client();
  const world = { syncing: [] as V1Pod[], config: [] as V1Pod[], terminating: [] as V1Pod[], node: { metadata: { name: 'n1', uid: 'node-uid' } } as V1Node | undefined };
  const same = (p: V1Pod, ns: string, name: string) => p.metadata?.namespace === ns && p.metadata?.name === name;
  const mirrors = new MirrorPods({
    client: new MirrorClient({ pods: client.pods, nodeName: 'n1', logger }),
    staticPods: {
      syncing: () => world.syncing,
      exists: (ns, name) => [...world.config, ...world.terminating].some((p) => same(p, ns, name)),
    },
    node: () => world.node,
    clock,
    logger,
  });
  const lister = new MirrorPodLister({ pods: client.pods, nodeName: 'n1', mirrorPods: mirrors, clock, logger });
  const inApi = (name: string) => kube.pods.get('default', `${name}-n1`) as V1Pod | undefined;
  /** One list, and the reconcile it causes. */
  const relist = async () => {
    await lister.list();
    await mirrors.reconcile();
    await flush();
  };
  const run = (pod: V1Pod) => {
    world.syncing = [...world.syncing, pod];
    world.config = [...world.config, pod];
  };
  return { clock, kube, mirrors, world, inApi, relist, run };
}

describe('mirror pods (kubelet mirror_client.go, syncPod, HandlePodCleanups)', () => {
  it('the mirror pod: the static pod with config.mirror, owned by the Node as controller, nothing the API sets', () => {
    const m = mirrorPodOf(staticPod('web', 'h1'), 'n1', 'node-uid');
    assert.equal(m.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION], 'h1');
    assert.equal(m.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], 'h1');
    assert.deepEqual(m.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid', controller: true }]);
    assert.equal(m.metadata?.uid, undefined);
    assert.equal(m.metadata?.creationTimestamp, undefined);
    assert.equal(m.status, undefined);
    assert.equal(m.spec?.nodeName, 'n1');
    assert.ok(isMirrorPodOf({ ...m, metadata: { ...m.metadata, uid: 'api-uid' } }, staticPod('web', 'h1')));
    assert.equal(isMirrorPodOf(m, staticPod('web', 'h2')), false, 'another hash');
  });

  it('nothing is made before the first list of what the API holds', async () => {
    const { kube, mirrors, run } = setup();
    run(staticPod('web', 'h1'));
    await mirrors.reconcile();
    assert.equal(kube.callsOf('pods', 'create').length, 0);
  });

  it('created for a syncing static pod, once; mirrorFor finds it', async () => {
    const { kube, mirrors, run, relist, inApi } = setup();
    const pod = staticPod('web', 'h1');
    run(pod);
    await relist();
    await relist();
    assert.equal(kube.callsOf('pods', 'create').length, 1);
    assert.equal(inApi('web')?.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION], 'h1');
    assert.equal(mirrors.mirrorFor(pod)?.metadata?.uid, inApi('web')?.metadata?.uid);
    assert.notEqual(mirrors.mirrorFor(pod)?.metadata?.uid, 'h1', 'the API server\'s UID, not the static one');
  });

  it('deleted by someone: made again after the next list', async () => {
    const { kube, run, relist, inApi } = setup();
    run(staticPod('web', 'h1'));
    await relist();
    const first = inApi('web')!.metadata!.uid;
    kube.pods.remove('default', 'web-n1');
    await relist();
    assert.ok(inApi('web'));
    assert.notEqual(inApi('web')!.metadata!.uid, first);
  });

  it('being deleted (kubectl delete sets deletionTimestamp): deleted at once with its UID, then made again', async () => {
    const { kube, run, relist, inApi } = setup();
    run(staticPod('web', 'h1'));
    await relist();
    const old = inApi('web')!;
    kube.pods.put({ ...old, metadata: { ...old.metadata, deletionTimestamp: new Date() } } as never, 'MODIFIED');
    await relist();
    const del = kube.callsOf('pods', 'delete').at(-1)!;
    assert.deepEqual(del.body, { gracePeriodSeconds: 0, uid: old.metadata!.uid });
    assert.ok(inApi('web') && !inApi('web')!.metadata?.deletionTimestamp);
    assert.notEqual(inApi('web')!.metadata!.uid, old.metadata!.uid);
  });

  it('stale (the manifest changed: a new hash): replaced', async () => {
    const { world, run, relist, inApi } = setup();
    run(staticPod('web', 'h1'));
    await relist();
    world.syncing = [staticPod('web', 'h2')];
    world.config = [staticPod('web', 'h2')];
    await relist();
    assert.equal(inApi('web')?.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION], 'h2');
  });

  it('removed when its static pod is gone, kept while it finishes, terminates or was refused', async () => {
    const { world, run, relist, inApi, kube } = setup();
    const pod = staticPod('web', 'h1');
    run(pod);
    await relist();
    world.syncing = [];
    await relist();
    assert.ok(inApi('web'), 'still in the config (finished, or refused at admission): kept');
    world.config = [];
    world.terminating = [pod];
    await relist();
    assert.ok(inApi('web'), 'still stopping: kept');
    world.terminating = [];
    await relist();
    assert.equal(inApi('web'), undefined);
    assert.deepEqual(kube.callsOf('pods', 'delete').at(-1)!.body, { gracePeriodSeconds: 0 }, 'an orphan goes by name');
  });

  it('no mirror pod while the Node is unknown or being deleted', async () => {
    const { world, run, relist, inApi } = setup();
    world.node = undefined;
    run(staticPod('web', 'h1'));
    await relist();
    assert.equal(inApi('web'), undefined);
    world.node = { metadata: { name: 'n1', uid: 'u', deletionTimestamp: new Date() } };
    await relist();
    assert.equal(inApi('web'), undefined);
    world.node = { metadata: { name: 'n1', uid: 'u' } };
    await relist();
    assert.ok(inApi('web'));
  });

  it('a mirror pod the API refuses is retried each pass, and does not disturb the others', async () => {
    const { kube, run, relist, inApi } = setup();
    run(staticPod('bad', 'h1'));
    run(staticPod('good', 'h2'));
    kube.failNext('pods', 'create', new KubeApiError(403, 'Forbidden', 'pod does not have "kubernetes.io/config.mirror" annotation'));
    await relist();
    assert.ok(inApi('good'));
    assert.ok(inApi('bad'), 'made at a later pass');
    assert.equal(kube.callsOf('pods', 'create').filter((c) => c.key === 'default/bad-n1').length, 2);
  });

  it('observe: watch events of mirror pods drive it like a list', async () => {
    const { kube, mirrors, run, relist, inApi } = setup();
    run(staticPod('web', 'h1'));
    await relist();
    const m = kube.pods.remove('default', 'web-n1')!;
    mirrors.observe('DELETED', m as V1Pod);
    await mirrors.reconcile();
    assert.ok(inApi('web'), 'made again without waiting for a list');
    mirrors.observe('ADDED', { metadata: { name: 'api-pod', namespace: 'default' } });
    assert.equal(mirrors.mirrorFor({ metadata: { name: 'api-pod', namespace: 'default' } }), undefined, 'a pod without config.mirror is not a mirror pod');
  });
});
