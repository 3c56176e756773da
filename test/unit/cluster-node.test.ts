import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreV1Event, V1Lease, V1Node, V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { createNodeSide } from '../../src/cli/cluster-node.js';
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../../src/config/annotations.js';
import type { EventSink } from '../../src/events/recorder.js';
import type { PodWorkerState } from '../../src/podworker/state.js';
import { FakeKube } from '../support/fake-kube.js';
import { FakeClock, flush } from '../support/fake-prober-clock.js';

const logger = pino({ level: 'silent' });

function setup() {
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  const kube = new FakeKube(() => clock.now());
  const sinks: EventSink[] = [];
  const staticPod: V1Pod = {
    metadata: { name: 'web-n1', namespace: 'default', uid: 'h1', annotations: { [CONFIG_HASH_ANNOTATION]: 'h1', [CONFIG_SOURCE_ANNOTATION]: 'file' } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
  };
  const states = new Map<string, PodWorkerState>([['h1', { kind: 'syncing', pod: staticPod }]]);
  const side = createNodeSide({
    nodeLabels: { role: 'edge' },
    registerNode: true,
    registerWithTaints: [],
    nodeStatusUpdateFrequency: 10_000,
    nodeStatusReportFrequency: 300_000,
    nodeLeaseDurationSeconds: 40,
    port: 10250,
    cgroupsPerQos: true,
  }, kube.client(), {
    nodeName: 'n1',
    hostIP: '10.1.2.3',
    logger,
    cri: {
      status: async () => ({ status: { conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, { type: 'NetworkReady', status: true, reason: '', message: '' }] }, info: {} }),
      version: async () => ({ version: '0.1.0', runtimeName: 'containerd', runtimeVersion: '1.6.20~ds1', runtimeApiVersion: 'v1' }),
      listImages: async () => [{ id: 'sha256:1', repoTags: ['docker.io/library/busybox:1.36'], repoDigests: [], size: 2_000_000, username: '', pinned: false }],
    },
    pleg: { healthy: () => ({ ok: true, message: '' }) },
    recorder: { addSink: (s) => sinks.push(s) },
    workers: { uids: () => [...states.keys()], state: (uid) => states.get(uid) },
    podConfig: { pods: () => [staticPod] },
    resources: { capacity: { cpu: '2', memory: '2147483648', 'ephemeral-storage': '10737418240', pods: '110' }, allocatable: { cpu: '2', memory: '2042626048', 'ephemeral-storage': '9663676416', pods: '110' } },
    appArmorEnabled: false,
  }, clock);
  return { clock, kube, side, sinks };
}

describe('the node side assembled (cluster-node.ts)', () => {
  it('registers a Ready Node with its status, makes its Lease and the static pod\'s mirror pod, and writes events', async () => {
    const { clock, kube, side, sinks } = setup();
    assert.equal(sinks.length, 1, 'the API event sink is on the recorder from the start');
    await side.start();
    await clock.advance(200);
    for (let i = 0; i < 4; i++) await flush();
    const node = kube.nodes.get(undefined, 'n1') as V1Node;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', ready?.message);
    assert.deepEqual(node.status?.addresses, [{ type: 'InternalIP', address: '10.1.2.3' }, { type: 'Hostname', address: 'n1' }]);
    assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'containerd://1.6.20~ds1');
    assert.equal(node.status?.capacity?.memory, '2Gi');
    assert.deepEqual(node.status?.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.deepEqual(node.status?.images, [{ names: ['docker.io/library/busybox:1.36'], sizeBytes: 2_000_000 }]);
    assert.equal(node.metadata?.labels?.role, 'edge');

    await clock.advance(5_500);
    for (let i = 0; i < 4; i++) await flush();
    const lease = kube.leases.get('kube-node-lease', 'n1') as V1Lease;
    assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, node.metadata?.uid);
    const mirror = kube.pods.get('default', 'web-n1') as V1Pod;
    assert.equal(mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION], 'h1');
    assert.equal(side.mirrorPods.mirrorFor({ metadata: { name: 'web-n1', namespace: 'default' } })?.metadata?.uid, mirror.metadata?.uid);

    await side.events.idle();
    const reasons = ([...kube.events.objects.values()] as unknown as CoreV1Event[]).map((e) => e.reason);
    for (const r of ['Starting', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeAllocatableEnforced']) {
      assert.ok(reasons.includes(r), `${r} in ${reasons}`);
    }
    side.stop();
  });

  it('with a mirror pod feed (the API pod source), it lists nothing itself and follows the feed', async () => {
    const { clock, kube, side } = setup();
    let feed: ((pods: V1Pod[]) => void) | undefined;
    side.useMirrorPodFeed((cb) => (feed = cb));
    await side.start();
    await clock.advance(6_000);
    for (let i = 0; i < 4; i++) await flush();
    assert.equal(kube.callsOf('pods', 'list').length, 0);
    assert.equal(kube.pods.get('default', 'web-n1'), undefined, 'nothing made before the feed\'s first set');
    feed!([]);
    await side.mirrorPods.reconcile();
    assert.ok(kube.pods.get('default', 'web-n1'));
    side.stop();
  });
});
