import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import pino from 'pino';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { initialNodeLabels } from '../../src/node/labels.js';
import { pressureCondition, readyCondition } from '../../src/node/node-conditions.js';
import { NodeStatusController } from '../../src/node/node-status-controller.js';
import { nodeAddress } from '../../src/node/node-status.js';
import { CONTROLLER_MANAGED_ATTACH_ANNOTATION, initialNode } from '../../src/node/registration.js';
import { FakeKube } from '../support/fake-kube.js';
import { FakeClock, flush } from '../support/fake-prober-clock.js';

const logger = pino({ level: 'silent' });
const capacity = { cpu: '2', memory: '1Gi', pods: '110', 'ephemeral-storage': '10Gi' };

function setup(opts: { registerNode?: boolean; errors?: string[] } = {}) {
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  const kube = new FakeKube(() => clock.now());
  const events: string[] = [];
  const state = { errors: opts.errors ?? [], ip: '10.0.0.1' };
  const record = (_t: string, e: string) => events.push(e);
  const controller = new NodeStatusController({
    nodes: kube.client().nodes,
    nodeName: 'n1',
    registerNode: opts.registerNode ?? true,
    initialNode: () => initialNode('n1', initialNodeLabels('n1', { role: 'edge' }), [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]),
    setNodeStatus: async (node: V1Node) => {
      node.status = { ...node.status, capacity };
      nodeAddress(state.ip, 'n1')(node);
      pressureCondition('MemoryPressure', { now: clock.now, underPressure: () => false, recordEvent: record })(node);
      readyCondition({ now: clock.now, errors: () => state.errors, appArmorEnabled: false, recordEvent: record })(node);
    },
    updateFrequencyMs: 10_000,
    reportFrequencyMs: 300_000,
    clock,
    logger,
  });
  const stored = () => kube.nodes.get(undefined, 'n1') as V1Node | undefined;
  const readyOf = (n: V1Node | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready');
  return { clock, kube, controller, events, state, stored, readyOf };
}

describe('NodeStatusController: registration (kubelet registerWithAPIServer)', () => {
  it('creates the Node with its labels, taints, attach annotation and full status, Ready at once', async () => {
    const { clock, kube, controller, stored, readyOf, events } = setup();
    controller.start();
    await clock.advance(100);
    const node = stored()!;
    assert.equal(kube.callsOf('nodes', 'create').length, 1);
    assert.equal(node.metadata?.labels?.role, 'edge');
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'n1');
    assert.equal(node.metadata?.annotations?.[CONTROLLER_MANAGED_ATTACH_ANNOTATION], 'true');
    assert.deepEqual(node.spec?.taints, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    assert.equal(readyOf(node)?.status, 'True');
    assert.equal(controller.node()?.metadata?.uid, node.metadata?.uid);
    assert.deepEqual(events, ['NodeHasSufficientMemory'], 'the kubelet records the new pressure conditions, and no NodeReady for a new Ready');
    controller.stop();
  });

  it('adopts an existing Node: default labels and the annotation put back, other labels and taints left alone', async () => {
    const { clock, kube, controller, stored } = setup();
    kube.nodes.put({ metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'old', admin: 'label' } }, spec: { taints: [{ key: 'admin', effect: 'NoExecute' }] }, status: { capacity } });
    const uid = stored()!.metadata!.uid;
    controller.start();
    await clock.advance(100);
    const node = stored()!;
    assert.equal(node.metadata?.uid, uid, 'the same Node');
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'n1');
    assert.equal(node.metadata?.labels?.admin, 'label');
    assert.equal(node.metadata?.labels?.role, undefined, '--node-labels only at creation, as the kubelet');
    assert.equal(node.metadata?.annotations?.[CONTROLLER_MANAGED_ATTACH_ANNOTATION], 'true');
    assert.deepEqual(node.spec?.taints, [{ key: 'admin', effect: 'NoExecute' }]);
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'status written right after');
    controller.stop();
  });

  it('retries registration 100 ms doubling up to 7 s while the API server is away', async () => {
    const { clock, kube, controller, stored } = setup();
    for (let i = 0; i < 8; i++) kube.failNext('nodes', 'create');
    const started = clock.now();
    controller.start();
    await clock.advance(30_000);
    const creates = kube.calls.filter((c) => c.resource === 'nodes' && c.verb === 'create');
    assert.equal(creates.length, 9);
    assert.ok(stored(), 'registered in the end');
    // 100+200+400+800+1600+3200+6400+7000+7000
    assert.equal(clock.now() - started >= 26_700, true);
    controller.stop();
  });
});

describe('NodeStatusController: status (kubelet tryUpdateNodeStatus)', () => {
  async function registered(opts: Parameters<typeof setup>[0] = {}) {
    const s = setup(opts);
    s.controller.start();
    await s.clock.advance(100);
    // Registration, then the first status write, are a few promise hops more.
    for (let i = 0; i < 4; i++) await flush();
    return s;
  }
  const patches = (kube: FakeKube) => kube.callsOf('nodes', 'patchStatus').length;

  it('reads the Node every period; writes only when it changed or the report period passed', async () => {
    const { clock, kube, controller } = await registered();
    const afterRegistration = patches(kube);
    assert.equal(afterRegistration, 0, 'the status read right after registration is the one just written: an empty patch is not sent');
    await clock.advance(60_000);
    assert.ok(kube.callsOf('nodes', 'get').length >= 5, 'a GET every 10 s');
    assert.equal(patches(kube), afterRegistration, 'heartbeats alone are not a change');
    await clock.advance(250_000);
    assert.equal(patches(kube), afterRegistration + 1, 'the 5 min report');
    controller.stop();
  });

  it('a change is written at the next period, with NodeNotReady', async () => {
    const { clock, kube, controller, state, stored, readyOf, events } = await registered();
    const before = patches(kube);
    state.errors = ['container runtime is down'];
    await clock.advance(10_500);
    assert.equal(patches(kube), before + 1);
    assert.deepEqual([readyOf(stored())?.status, readyOf(stored())?.message], ['False', 'container runtime is down']);
    assert.ok(events.includes('NodeNotReady'));
    const patch = kube.callsOf('nodes', 'patchStatus').at(-1)!.body as { status: Record<string, unknown> };
    assert.deepEqual(Object.keys(patch.status), ['conditions'], 'only what changed');
    controller.stop();
  });

  it('changed addresses replace the list', async () => {
    const { clock, kube, controller, state, stored } = await registered();
    state.ip = '10.0.0.9';
    await clock.advance(10_500);
    assert.deepEqual(stored()!.status!.addresses, [{ type: 'InternalIP', address: '10.0.0.9' }, { type: 'Hostname', address: 'n1' }]);
    controller.stop();
  });

  it('tries 5 times within one period, then waits for the next', async () => {
    const { clock, kube, controller } = await registered();
    const gets = () => kube.callsOf('nodes', 'get').length;
    const before = gets();
    for (let i = 0; i < 7; i++) kube.failNext('nodes', 'get', new KubeApiError(0, 'Timeout', 'no answer'));
    await clock.advance(10_500);
    assert.equal(gets() - before, 5, 'nodeStatusUpdateRetry');
    await clock.advance(10_500);
    assert.equal(gets() - before, 8, 'two more failures, then a success');
    controller.stop();
  });

  it('--register-node=false: never creates, updates the Node someone else made', async () => {
    const { clock, kube, controller, stored, readyOf } = setup({ registerNode: false });
    controller.start();
    await clock.advance(10_500);
    assert.equal(kube.callsOf('nodes', 'create').length, 0);
    assert.equal(stored(), undefined, 'a missing Node is only logged');
    kube.nodes.put({ metadata: { name: 'n1' } });
    await clock.advance(10_500);
    assert.equal(readyOf(stored())?.status, 'True');
    assert.equal(kube.callsOf('nodes', 'create').length, 0);
    controller.stop();
  });

  it('fast update: a Node registered NotReady is written Ready as soon as it is, not a period later', async () => {
    const { clock, kube, controller, state, stored, readyOf } = await registered({ errors: ['container runtime status check may not have completed yet'] });
    assert.equal(readyOf(stored())?.status, 'False');
    state.errors = [];
    await clock.advance(300);
    assert.equal(readyOf(stored())?.status, 'True');
    const fastPatches = patches(kube);
    await clock.advance(1_000);
    assert.equal(patches(kube), fastPatches, 'the fast path stops once Ready');
    controller.stop();
  });

  it('the Node deleted while the agent runs: registered again in the same period, with a new UID', async () => {
    const { clock, kube, controller, stored, readyOf } = await registered();
    const oldUid = stored()!.metadata!.uid;
    kube.nodes.remove(undefined, 'n1');
    const creates = kube.callsOf('nodes', 'create').length;
    await clock.advance(10_500);
    for (let i = 0; i < 4; i++) await flush();
    const node = stored();
    assert.ok(node, 'registered again');
    assert.notEqual(node.metadata?.uid, oldUid);
    assert.equal(kube.callsOf('nodes', 'create').length, creates + 1);
    assert.equal(readyOf(node)?.status, 'True', 'with its full status');
    assert.equal(controller.node()?.metadata?.uid, node.metadata?.uid);
    controller.stop();
  });

  it('a Node that fails for another reason than 404 is not registered again', async () => {
    const { clock, kube, controller } = await registered();
    const creates = kube.callsOf('nodes', 'create').length;
    for (let i = 0; i < 5; i++) kube.failNext('nodes', 'get', new KubeApiError(503, 'ServiceUnavailable', 'etcd is away'));
    await clock.advance(10_500);
    assert.equal(kube.callsOf('nodes', 'create').length, creates);
    assert.ok(controller.node(), 'the Node is still known');
    controller.stop();
  });

  it('--register-node=false: a deleted Node is not made again, and its old UID is forgotten (no mirror pod or Lease is owned by it)', async () => {
    const { clock, kube, controller, stored } = setup({ registerNode: false });
    kube.nodes.put({ metadata: { name: 'n1' } });
    controller.start();
    await clock.advance(10_500);
    kube.nodes.remove(undefined, 'n1');
    await clock.advance(20_500);
    assert.equal(stored(), undefined);
    assert.equal(controller.node(), undefined);
    assert.equal(kube.callsOf('nodes', 'create').length, 0);
    controller.stop();
  });
});
