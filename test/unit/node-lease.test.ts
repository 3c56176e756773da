import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import pino from 'pino';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { NODE_LEASE_NAMESPACE, NodeLeaseController } from '../../src/node/lease.js';
import { FakeKube } from '../support/fake-kube.js';
import { FakeClock } from '../support/fake-prober-clock.js';

const logger = pino({ level: 'silent' });

function setup(opts: { nodeKnown?: boolean } = {}) {
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  const kube = new FakeKube(() => clock.now());
  let uid: string | undefined = opts.nodeKnown === false ? undefined : 'node-uid-1';
  const lease = new NodeLeaseController({
    leases: kube.client().leases,
    nodeName: 'n1',
    leaseDurationSeconds: 40,
    nodeUID: async () => {
      if (!uid) throw new Error('node n1 not found');
      return uid;
    },
    clock,
    logger,
  });
  const stored = () => kube.leases.get(NODE_LEASE_NAMESPACE, 'n1') as V1Lease | undefined;
  const renewTime = () => new Date(stored()!.spec!.renewTime as unknown as string).getTime();
  return { clock, kube, lease, stored, renewTime, setUID: (u: string) => (uid = u) };
}

describe('NodeLeaseController (component-helpers lease controller)', () => {
  it('creates kube-node-lease/<node> held by the node, owned by its Node, and renews it every 10 s', async () => {
    const { clock, lease, stored, renewTime, kube } = setup();
    lease.start();
    await clock.advance(1);
    const l = stored()!;
    assert.equal(l.spec?.holderIdentity, 'n1');
    assert.equal(l.spec?.leaseDurationSeconds, 40);
    assert.deepEqual(l.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid-1' }]);
    const first = renewTime();
    const updates = () => kube.callsOf('leases', 'update').length;
    await clock.advance(10_500);
    assert.equal(updates(), 1);
    assert.ok(renewTime() >= first + 10_000, 'a quarter of 40 s later');
    await clock.advance(30_000);
    assert.ok(updates() >= 3 && updates() <= 4, `every ~10 s (jittered up to 4 %): ${updates()}`);
    assert.equal(kube.callsOf('leases', 'get').length, 1, 'renewals update the lease it holds, without reading it again');
    lease.stop();
  });

  it('makes no Lease while the Node is not known, and makes it once it is', async () => {
    const { clock, lease, stored, setUID } = setup({ nodeKnown: false });
    lease.start();
    await clock.advance(10_500);
    assert.equal(stored(), undefined);
    setUID('late-uid');
    await clock.advance(10_500);
    assert.equal(stored()?.metadata?.ownerReferences?.[0]?.uid, 'late-uid');
    lease.stop();
  });

  it('someone else wrote it: the conflict is resolved by reading it again, and our renewal wins', async () => {
    const { clock, lease, stored, renewTime, kube } = setup();
    lease.start();
    await clock.advance(1);
    const other = stored()!;
    other.spec!.holderIdentity = 'someone-else';
    kube.leases.put(other as never, 'MODIFIED');
    await clock.advance(10_500);
    assert.ok(kube.callsOf('leases', 'update').length >= 2, 'a conflict, then an update on the fresh copy');
    assert.ok(renewTime() >= clock.now() - 1000);
    lease.stop();
  });

  it('deleted: created again at the next renewal', async () => {
    const { clock, lease, stored, kube } = setup();
    lease.start();
    await clock.advance(1);
    kube.leases.remove(NODE_LEASE_NAMESPACE, 'n1');
    await clock.advance(10_500);
    assert.ok(stored(), 'back');
    assert.equal(kube.callsOf('leases', 'create').length, 2);
    lease.stop();
  });

  it('API server away: backs off 200 ms doubling to 7 s, then renews when it answers', async () => {
    const { clock, lease, stored, kube } = setup();
    for (let i = 0; i < 6; i++) kube.failNext('leases', 'get', new KubeApiError(0, 'Unavailable', 'connection refused'));
    lease.start();
    await clock.advance(1);
    assert.equal(stored(), undefined);
    // 200+400+800+1600+3200+6400 ms
    await clock.advance(12_700);
    assert.ok(stored(), 'made once the API server answers');
    assert.equal(kube.callsOf('leases', 'get').length, 7);
    lease.stop();
  });

  it('taken over by an admin (another holder, another duration): renewed as the node\'s again, for its own duration', async () => {
    const { clock, lease, stored, kube } = setup();
    lease.start();
    await clock.advance(1);
    const other = stored()!;
    other.spec = { ...other.spec, holderIdentity: 'intruder', leaseDurationSeconds: 1 };
    kube.leases.put(other as never, 'MODIFIED');
    await clock.advance(10_500);
    assert.equal(stored()!.spec?.holderIdentity, 'n1');
    assert.equal(stored()!.spec?.leaseDurationSeconds, 40);
    lease.stop();
  });

  it('the Node registered again under a new UID: the owner reference follows it at the next renewal', async () => {
    const { clock, lease, stored, setUID } = setup();
    lease.start();
    await clock.advance(1);
    setUID('node-uid-2');
    await clock.advance(10_500);
    assert.deepEqual(stored()!.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid-2' }]);
    lease.stop();
  });

  it('while the Node is not known, renewals go on with the owner they have; other owners are left alone', async () => {
    const { clock, lease, stored, kube, setUID } = setup();
    lease.start();
    await clock.advance(1);
    const l = stored()!;
    l.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm' }];
    kube.leases.put(l as never, 'MODIFIED');
    setUID(undefined as never);
    const before = new Date(stored()!.spec!.renewTime as unknown as string).getTime();
    await clock.advance(10_500);
    assert.ok(new Date(stored()!.spec!.renewTime as unknown as string).getTime() > before, 'renewed');
    assert.deepEqual(stored()!.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm' }]);
    lease.stop();
  });
});
