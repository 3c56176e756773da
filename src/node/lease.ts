// The node heartbeat: the Lease kube-node-lease/<node>, renewed every quarter of its duration (component-helpers lease controller, with the kubelet's SetNodeOwnerFunc).
//
// The node lifecycle controller marks a Node Unknown once its Lease has not been renewed for its
// grace period (40 s in v1.28), whatever the Node's status says; the Lease is what keeps the node
// alive between the (rare) status writes.
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Periodic, sleep, type Clock } from '../clock.js';
import { isConflict, isNotFound } from '../kubeclient/errors.js';
import type { LeasesClient } from '../kubeclient/types.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** kubelet nodeLeaseRenewIntervalFraction. */
export const RENEW_INTERVAL_FRACTION = 0.25;
/** The lease controller's maxUpdateRetries and maxBackoff. */
const MAX_UPDATE_RETRIES = 5;
const MAX_BACKOFF_MS = 7_000;

export interface NodeLeaseOptions {
  leases: LeasesClient;
  nodeName: string;
  /** --node-lease-duration-seconds. */
  leaseDurationSeconds: number;
  /** The Node's UID, for the Lease's owner reference; rejects while it is not known (the kubelet GETs the Node). */
  nodeUID: () => Promise<string>;
  clock: Clock;
  logger: Logger;
}

export class NodeLeaseController {
  private latestLease: V1Lease | undefined;
  private stopped = false;
  private readonly loop: Periodic;

  constructor(private readonly o: NodeLeaseOptions) {
    const renewIntervalMs = o.leaseDurationSeconds * 1000 * RENEW_INTERVAL_FRACTION;
    this.loop = new Periodic(o.clock, renewIntervalMs, () => this.sync(), 0.04);
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  stop(): void {
    this.stopped = true;
    this.loop.stop();
  }

  /** The Lease as last written. */
  lease(): V1Lease | undefined {
    return this.latestLease;
  }

  /** controller.sync: renew the Lease we hold; when that fails, make sure it exists and renew that one. */
  async sync(): Promise<void> {
    if (this.latestLease && (await this.retryUpdateLease(this.latestLease))) return;
    const { lease, created } = await this.backoffEnsureLease();
    this.latestLease = lease;
    if (!created && lease && !(await this.retryUpdateLease(lease)) && !this.stopped) {
      this.o.logger.error({ lease: this.o.nodeName }, 'failed to update lease; will retry at the next renewal');
    }
  }

  /** backoffEnsureLease: ensureLease until it answers, 200 ms doubling up to 7 s between tries. */
  private async backoffEnsureLease(): Promise<{ lease?: V1Lease; created: boolean }> {
    let wait = 100;
    for (;;) {
      if (this.stopped) return { created: false };
      try {
        return await this.ensureLease();
      } catch (err) {
        wait = Math.min(2 * wait, MAX_BACKOFF_MS);
        this.o.logger.error({ lease: this.o.nodeName, err: (err as Error).message, retryInMs: wait }, 'Failed to ensure lease exists, will retry');
        await sleep(this.o.clock, wait);
      }
    }
  }

  /**
   * ensureLease: the Lease, created when missing. A new Lease needs its owner (the Node's UID):
   * while the Node is not known, no Lease is created (the kubelet's newLease fails the same way).
   */
  private async ensureLease(): Promise<{ lease?: V1Lease; created: boolean }> {
    try {
      return { lease: await this.o.leases.get(NODE_LEASE_NAMESPACE, this.o.nodeName), created: false };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const fresh = this.newLease(undefined);
    try {
      await this.setNodeOwner(fresh);
    } catch (err) {
      this.o.logger.debug({ lease: this.o.nodeName, err: (err as Error).message }, 'not creating the node lease yet: the Node is not known');
      return { created: false };
    }
    return { lease: await this.o.leases.create(fresh), created: true };
  }

  /** retryUpdateLease: up to 5 updates; a conflict (someone else wrote it) re-reads it first. */
  private async retryUpdateLease(base: V1Lease): Promise<boolean> {
    let current: V1Lease | undefined = base;
    for (let i = 0; i < MAX_UPDATE_RETRIES && current && !this.stopped; i++) {
      const next = this.newLease(current);
      // An owner that cannot be set now is tried again at the next renewal; the renewal goes on.
      await this.setNodeOwner(next).catch(() => undefined);
      try {
        this.latestLease = await this.o.leases.update(next);
        return true;
      } catch (err) {
        this.o.logger.error({ lease: this.o.nodeName, err: (err as Error).message }, 'Failed to update lease');
        if (isConflict(err)) current = (await this.backoffEnsureLease()).lease;
      }
    }
    return false;
  }

  /**
   * newLease: a copy of `base` (or a fresh Lease held by this node) with renewTime now. Departure:
   * the copy is held by this node for --node-lease-duration-seconds again, so that a Lease someone
   * else rewrote is taken back (the lease controller keeps whatever holder and duration it finds).
   */
  private newLease(base: V1Lease | undefined): V1Lease {
    const lease = this.renewed(base ?? {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.nodeName, namespace: NODE_LEASE_NAMESPACE },
    });
    lease.spec = { ...lease.spec, holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.leaseDurationSeconds };
    return lease;
  }

  /**
   * SetNodeOwnerFunc: the Node as owner; rejects while the Node is not known. Departure: an owner
   * reference to an older Node of this name (deleted, then registered again) follows the new UID,
   * where the kubelet sets one only when there is none; the garbage collector deletes a Lease
   * whose owner is gone, so the stale reference would cost the node its heartbeat once more.
   */
  private async setNodeOwner(lease: V1Lease): Promise<void> {
    const refs = lease.metadata!.ownerReferences ?? [];
    const owner = refs.find((r) => r.kind === 'Node' && r.name === this.o.nodeName);
    if (refs.length > 0 && !owner) return;
    const uid = await this.o.nodeUID();
    if (owner?.uid === uid) return;
    lease.metadata!.ownerReferences = [...refs.filter((r) => r !== owner), { apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid }];
  }

  /** A copy with renewTime now. MicroTime: the API parses it with exactly six fraction digits. */
  private renewed(base: V1Lease): V1Lease {
    const lease = structuredClone(base);
    lease.spec = { ...lease.spec, renewTime: new V1MicroTime(this.o.clock.now()) };
    return lease;
  }
}
