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
    const fresh = await this.newLease(undefined).catch((err: Error) => {
      this.o.logger.debug({ lease: this.o.nodeName, err: err.message }, 'not creating the node lease yet: the Node is not known');
      return undefined;
    });
    if (!fresh) return { created: false };
    return { lease: await this.o.leases.create(fresh), created: true };
  }

  /** retryUpdateLease: up to 5 updates; a conflict (someone else wrote it) re-reads it first. */
  private async retryUpdateLease(base: V1Lease): Promise<boolean> {
    let current: V1Lease | undefined = base;
    for (let i = 0; i < MAX_UPDATE_RETRIES && current && !this.stopped; i++) {
      const next = await this.newLease(current).catch(() => this.renewed(current!));
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

  /** newLease: a copy of `base` (or a fresh Lease held by this node) with renewTime now and the Node as owner once known. */
  private async newLease(base: V1Lease | undefined): Promise<V1Lease> {
    const lease = base
      ? this.renewed(base)
      : this.renewed({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.nodeName, namespace: NODE_LEASE_NAMESPACE },
        spec: { holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.leaseDurationSeconds },
      });
    // SetNodeOwnerFunc: tried at every renewal until it succeeds.
    if (!lease.metadata?.ownerReferences?.length) {
      const uid = await this.o.nodeUID();
      lease.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid }];
    }
    return lease;
  }

  /** A copy with renewTime now. MicroTime: the API parses it with exactly six fraction digits. */
  private renewed(base: V1Lease): V1Lease {
    const lease = structuredClone(base);
    lease.spec = { ...lease.spec, renewTime: new V1MicroTime(this.o.clock.now()) };
    return lease;
  }
}
