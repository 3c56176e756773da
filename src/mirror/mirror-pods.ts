// Keeps one mirror pod in the API for each running static pod: created when missing, replaced when stale or being deleted, removed when its static pod is gone (kubelet syncPod's mirror part and HandlePodCleanups).
//
// What mirror pods exist comes from outside (observe/replaceAll): the API pod source's watch, or
// until then a periodic list (mirror-lister.ts). The static pods come from the pod workers.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Periodic, type Clock } from '../clock.js';
import { isAlreadyExists } from '../kubeclient/errors.js';
import { isMirrorPod, isMirrorPodOf, type MirrorClient } from './mirror-client.js';

/** What the mirror pods need to know of the static pods. */
export interface StaticPodView {
  /** The static pods a worker is syncing: each should have its mirror pod (the kubelet makes it in SyncPod). */
  syncing(): V1Pod[];
  /**
   * A static pod of this full name is still in the config (whatever its state: finished, or
   * refused at admission) or still being stopped: its mirror pod stays. Otherwise it is an orphan.
   */
  exists(namespace: string, name: string): boolean;
}

export interface MirrorPodsOptions {
  client: Pick<MirrorClient, 'createMirrorPod' | 'deleteMirrorPod'>;
  staticPods: StaticPodView;
  /** The Node as last seen: no mirror pod is made while it is unknown or being deleted. */
  node: () => V1Node | undefined;
  clock: Clock;
  logger: Logger;
  /** How often to reconcile with nothing else asking (kubelet: the 2 s housekeeping); default 2 s. */
  periodMs?: number;
}

const fullName = (p: V1Pod) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

export class MirrorPods {
  /** The mirror pods the API server holds for this node, by namespace/name. */
  private readonly mirrors = new Map<string, V1Pod>();
  private readonly loop: Periodic;
  private running: Promise<void> | undefined;
  /** Nothing is created or deleted before the first full list: the API may hold mirror pods we have not seen yet. */
  private listed = false;
  private again = false;
  /** Last creation error per pod, so that a pod the API refuses is reported once, not every pass. */
  private readonly failed = new Map<string, string>();

  constructor(private readonly o: MirrorPodsOptions) {
    this.loop = new Periodic(o.clock, o.periodMs ?? 2000, () => this.reconcile());
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  /** A mirror pod seen in the API (ADDED / MODIFIED), or gone (DELETED), after a first replaceAll. Other pods are ignored. */
  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod): void {
    if (!isMirrorPod(pod)) return;
    if (type === 'DELETED') {
      const known = this.mirrors.get(fullName(pod));
      if (known && known.metadata?.uid === pod.metadata?.uid) this.mirrors.delete(fullName(pod));
    } else {
      this.mirrors.set(fullName(pod), pod);
    }
    void this.reconcile();
  }

  /** Every mirror pod of this node in the API now (a fresh list). */
  replaceAll(pods: readonly V1Pod[]): void {
    this.listed = true;
    this.mirrors.clear();
    for (const p of pods) if (isMirrorPod(p)) this.mirrors.set(fullName(p), p);
    void this.reconcile();
  }

  /** The mirror pod of a static pod, by full name (kubelet podManager.GetMirrorPodByPod), for writing its status. */
  mirrorFor(staticPod: V1Pod): V1Pod | undefined {
    return this.mirrors.get(fullName(staticPod));
  }

  /** One pass at a time; a pass asked for during another runs once after it. */
  reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass().catch((err: Error) => this.o.logger.error({ err: err.message }, 'mirror pod reconcile failed'));
      } while (this.again);
      this.running = undefined;
    })();
    return this.running;
  }

  private async pass(): Promise<void> {
    if (!this.listed) return;
    const syncing = this.o.staticPods.syncing();
    const wanted = new Set(syncing.map(fullName));
    for (const pod of syncing) await this.syncMirror(pod);
    // HandlePodCleanups: a mirror pod whose static pod is gone (and done terminating) goes.
    for (const [key, mirror] of [...this.mirrors]) {
      const m = mirror.metadata!;
      if (wanted.has(key) || this.o.staticPods.exists(m.namespace ?? '', m.name ?? '')) continue;
      this.o.logger.info({ pod: key }, 'Deleting orphaned mirror pod: its static pod is gone');
      if (await this.o.client.deleteMirrorPod(m.namespace ?? '', m.name ?? '')) this.mirrors.delete(key);
    }
  }

  /** syncPod's mirror part: a mirror pod being deleted or of another hash is deleted, then one is made when none is left. */
  private async syncMirror(pod: V1Pod): Promise<void> {
    const key = fullName(pod);
    let mirror = this.mirrors.get(key);
    if (mirror && (mirror.metadata?.deletionTimestamp || !isMirrorPodOf(mirror, pod))) {
      this.o.logger.info({ pod: key, uid: mirror.metadata?.uid }, 'Deleting mirror pod because it is outdated');
      // Gone either way: deleted now, or already deleted or replaced (the next list tells).
      await this.o.client.deleteMirrorPod(pod.metadata!.namespace!, pod.metadata!.name!, mirror.metadata?.uid);
      this.mirrors.delete(key);
      mirror = undefined;
    }
    if (mirror) return;
    const node = this.o.node();
    if (!node?.metadata?.uid || node.metadata.deletionTimestamp) return;
    try {
      const created = await this.o.client.createMirrorPod(pod, node.metadata.uid);
      this.mirrors.set(key, created);
      this.failed.delete(key);
      this.o.logger.info({ pod: key, uid: created.metadata?.uid }, 'Created mirror pod for static pod');
    } catch (err) {
      // Made by us a moment ago and not in a list yet, or by our previous run: the next list says.
      if (isAlreadyExists(err)) return;
      const message = (err as Error).message;
      if (this.failed.get(key) !== message) this.o.logger.error({ pod: key, err: message }, 'Failed creating a mirror pod');
      this.failed.set(key, message);
    }
  }
}
