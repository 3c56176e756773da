// Keeps the Node in the API in line with the agent: registration, then status every --node-status-update-frequency when it changed and at least every --node-status-report-frequency (kubelet syncNodeStatus, fastStatusUpdateOnce).
import type { V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Periodic, sleep, type Clock } from '../clock.js';
import { isNotFound } from '../kubeclient/errors.js';
import type { NodesClient } from '../kubeclient/types.js';
import { nodeStatusHasChanged, nodeStatusPatch } from './node-status-patch.js';
import { tryRegisterWithAPIServer } from './registration.js';

/** kubelet nodeStatusUpdateRetry. */
export const NODE_STATUS_UPDATE_RETRY = 5;
/** kubelet nodeReadyGracePeriod: how long the fast status update keeps trying after start. */
export const NODE_READY_GRACE_PERIOD_MS = 120_000;
/** fastStatusUpdateOnce's period. */
const FAST_UPDATE_PERIOD_MS = 100;

export interface NodeStatusControllerOptions {
  nodes: NodesClient;
  nodeName: string;
  /** --register-node: false leaves creation to someone else and only updates the status. */
  registerNode: boolean;
  /** The Node to register, without status (registration.ts initialNode). */
  initialNode: () => V1Node;
  /** kubelet setNodeStatus: runs every status setter on the Node, in place. */
  setNodeStatus: (node: V1Node) => Promise<void>;
  /** Called before each fast update, as fastNodeStatusUpdate calls updateRuntimeUp. */
  refreshRuntime?: () => Promise<void>;
  /** Called with each Node the API server returns (created, adopted, read or patched). */
  onNode?: (node: V1Node) => void;
  updateFrequencyMs: number;
  reportFrequencyMs: number;
  clock: Clock;
  logger: Logger;
}

const readyStatus = (node: V1Node) => node.status?.conditions?.find((c) => c.type === 'Ready')?.status;

export class NodeStatusController {
  private registrationCompleted = false;
  private lastStatusReportTime = Number.NEGATIVE_INFINITY;
  private latest: V1Node | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly loop: Periodic;
  private fastTimer: ReturnType<Clock['setTimeout']> | undefined;

  constructor(private readonly o: NodeStatusControllerOptions) {
    // kubelet: wait.JitterUntil(kl.syncNodeStatus, nodeStatusUpdateFrequency, 0.04, true, ...).
    this.loop = new Periodic(o.clock, o.updateFrequencyMs, () => this.syncNodeStatus(), 0.04);
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
    this.fastStatusUpdateOnce(this.o.clock.now());
  }

  stop(): void {
    this.stopped = true;
    this.loop.stop();
    if (this.fastTimer) this.o.clock.clearTimeout(this.fastTimer);
  }

  /** The Node as the API server last returned it to us (created, read or patched). */
  node(): V1Node | undefined {
    return this.latest;
  }

  private seen(node: V1Node): void {
    this.latest = node;
    this.o.onNode?.(node);
  }

  /** One at a time, as the kubelet's syncNodeStatusMux. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * kubelet syncNodeStatus. One departure: a Node that is gone (every status try answered 404:
   * deleted by an admin, or lost with etcd's data) is registered again at once, the way
   * kubernetes/kubernetes#123535 proposed; the kubelet v1.28 keeps failing until it is restarted
   * (kubernetes/kubernetes#71398). Its pods keep running meanwhile, and the pod garbage collector
   * removes pods bound to a missing Node only after a 40 s quarantine, so coming back at once
   * keeps them.
   */
  syncNodeStatus(): Promise<void> {
    return this.exclusive(async () => {
      if (this.o.registerNode) await this.registerWithAPIServer();
      if (this.stopped) return;
      const gone = await this.updateNodeStatus();
      if (!gone || !this.o.registerNode || this.stopped) return;
      this.o.logger.info({ node: this.o.nodeName }, 'Node not found in the API server: registering it again');
      this.registrationCompleted = false;
      await this.registerWithAPIServer();
      if (!this.stopped) await this.updateNodeStatus();
    });
  }

  /** kubelet registerWithAPIServer: tries until it succeeds, sleeping 100 ms doubling up to 7 s between tries. */
  private async registerWithAPIServer(): Promise<void> {
    let step = 100;
    while (!this.registrationCompleted && !this.stopped) {
      await sleep(this.o.clock, step);
      step = Math.min(step * 2, 7000);
      if (this.stopped) return;
      const node = this.o.initialNode();
      await this.o.setNodeStatus(node);
      this.o.logger.info({ node: this.o.nodeName }, 'Attempting to register node');
      const registered = await tryRegisterWithAPIServer(this.o.nodes, node, this.o.logger);
      if (registered) {
        this.seen(registered);
        this.registrationCompleted = true;
        this.o.logger.info({ node: this.o.nodeName, uid: registered.metadata?.uid }, 'Successfully registered node');
      }
    }
  }

  /** kubelet updateNodeStatus: up to nodeStatusUpdateRetry tries. Resolves true when every try found no Node (404). */
  private async updateNodeStatus(): Promise<boolean> {
    let notFound = 0;
    let tries = 0;
    for (; tries < NODE_STATUS_UPDATE_RETRY && !this.stopped; tries++) {
      try {
        await this.tryUpdateNodeStatus();
        return false;
      } catch (err) {
        if (isNotFound(err)) notFound++;
        this.o.logger.error({ node: this.o.nodeName, err: (err as Error).message }, 'Error updating node status, will retry');
      }
    }
    if (!this.stopped) this.o.logger.error({ node: this.o.nodeName }, 'Unable to update node status: update node status exceeds retry count');
    return tries > 0 && notFound === tries;
  }

  /** kubelet tryUpdateNodeStatus: read the Node, compute its status, patch when changed or when the report period has passed. */
  private async tryUpdateNodeStatus(): Promise<void> {
    const original = await this.o.nodes.get(this.o.nodeName).catch((err: unknown) => {
      // kubelet GetNode (its lister) no longer has it: no mirror pod or Lease is owned by the old UID.
      if (isNotFound(err)) this.latest = undefined;
      throw err;
    });
    this.seen(original);
    const { node, changed } = await this.updateNode(original);
    if (!changed && this.o.clock.now() - this.lastStatusReportTime < this.o.reportFrequencyMs) return;
    await this.patchNodeStatus(original, node);
  }

  /** kubelet updateNode: a copy with the os and arch labels put back and every setter run; whether anything changed. */
  private async updateNode(original: V1Node): Promise<{ node: V1Node; changed: boolean }> {
    const node = structuredClone(original);
    const labels = ((node.metadata ??= {}).labels ??= {});
    const want = this.o.initialNode().metadata?.labels ?? {};
    let labelsFixed = false;
    for (const key of ['kubernetes.io/os', 'kubernetes.io/arch']) {
      if (want[key] !== undefined && labels[key] !== want[key]) {
        labels[key] = want[key]!;
        labelsFixed = true;
      }
    }
    await this.o.setNodeStatus(node);
    return { node, changed: labelsFixed || nodeStatusHasChanged(original.status, node.status) };
  }

  /** kubelet patchNodeStatus. */
  private async patchNodeStatus(original: V1Node, node: V1Node): Promise<void> {
    const patch = nodeStatusPatch(original, node);
    if (patch) this.seen(await this.o.nodes.patchStatus(this.o.nodeName, patch));
    this.lastStatusReportTime = this.o.clock.now();
  }

  /**
   * kubelet fastStatusUpdateOnce: every 100 ms after start, until the Node we last saw is Ready
   * (or NODE_READY_GRACE_PERIOD_MS passed), compute the status and patch it as soon as it says
   * Ready, rather than waiting for the next status period.
   */
  private fastStatusUpdateOnce(start: number): void {
    const tick = async () => {
      if (this.stopped) return;
      const done = await this.fastNodeStatusUpdate(this.o.clock.now() - start >= NODE_READY_GRACE_PERIOD_MS).catch(() => false);
      if (!done && !this.stopped) this.fastTimer = this.o.clock.setTimeout(() => void tick(), FAST_UPDATE_PERIOD_MS);
    };
    this.fastTimer = this.o.clock.setTimeout(() => void tick(), FAST_UPDATE_PERIOD_MS);
  }

  /** kubelet fastNodeStatusUpdate: true once there is nothing more to do fast. */
  private fastNodeStatusUpdate(timeout: boolean): Promise<boolean> {
    return this.exclusive(async () => {
      if (timeout) {
        this.o.logger.error({ node: this.o.nodeName }, 'Node not becoming ready in time after startup');
        return true;
      }
      const original = this.latest;
      if (!original || !readyStatus(original)) return false;
      if (readyStatus(original) === 'True') return true;
      await this.o.refreshRuntime?.();
      const { node, changed } = await this.updateNode(original);
      if (!changed || readyStatus(node) !== 'True') return false;
      this.o.logger.info({ node: this.o.nodeName }, 'Fast updating node status as it just became ready');
      try {
        await this.patchNodeStatus(original, node);
      } catch (err) {
        // The Node we held is probably stale; the regular update reads it afresh.
        this.o.logger.error({ node: this.o.nodeName, err: (err as Error).message }, 'Error updating node status, will retry with syncNodeStatus');
        await this.updateNodeStatus();
      }
      return true;
    });
  }
}
