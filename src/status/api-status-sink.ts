// Writes pod statuses to the API server's pods/status and deletes finished API pods (the API side of the kubelet's status_manager: syncPod, syncBatch, canBeDeleted).
//
// A StatusSink: the status manager tells it each real change; it writes one pod at a time per
// pod (the latest status wins: statuses that arrive while a write is in flight coalesce into the
// next one), only when the patch from the API's status to ours holds something, and every sync
// period it looks at every pod again (a status the API lost or someone else changed is put back).
// Failures back off per pod; 404 and a UID that no longer matches stop the writes for that pod.
// A pod with a deletionTimestamp whose worker finished gets its final status, then is deleted
// with grace 0 and a UID precondition, so a recreated pod of the same name is never touched.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import { isStaticPod } from '../config/annotations.js';
import { isMirrorPod } from '../config/apiserver-source.js';
import { Backoff, type BackoffOptions } from '../kubeclient/backoff.js';
import { isConflict, isNotFound, KubeApiError } from '../kubeclient/errors.js';
import type { PodsClient } from '../kubeclient/types.js';
import type { StatusSink } from './manager.js';
import { mergePodStatus, terminatedStatus } from './merge.js';
import { normalized, podStatusPatch } from './pod-status-patch.js';
import { isTerminalPhase } from './types.js';

/** What the agent knows of a pod's runtime side: containers may run; nothing runs but its worker is not done; nothing is left. */
export type PodRuntimeState = 'running' | 'terminated' | 'gone';

export interface ApiStatusSinkOptions {
  pods: Pick<PodsClient, 'patchStatus' | 'delete'>;
  /** The API's latest view of a pod by UID (the API pod source's getPod; kubelet: podManager.GetPodByUID). */
  apiPod(uid: string): V1Pod | undefined;
  /**
   * A static pod's mirror pod in the API, whose status then carries the static pod's (kubelet:
   * podManager.GetMirrorPodByPod). Absent, or undefined for a pod: its status is not written.
   */
  mirrorPodFor?: (staticPod: V1Pod) => V1Pod | undefined;
  /** kubelet: PodDeletionSafetyProvider; 'gone' lets a pod no worker ever ran (rejected at admission) be deleted. */
  podRuntimeState(uid: string): PodRuntimeState;
  logger: { debug(o: unknown, m?: string): void; info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void };
  clock?: () => number;
  /** kubelet: syncPeriod, 10 s. */
  syncPeriodMs?: number;
  /** Writes in flight at once across pods (one per pod always). */
  concurrency?: number;
  backoff?: BackoffOptions;
}

interface PodRecord {
  uid: string;
  /** The pod as the status manager last gave it (name, namespace, spec, annotations). */
  pod: V1Pod;
  /** Our latest status; absent for a pod finished before it had one. */
  status?: V1PodStatus;
  /** The worker finished its terminated step: nothing of the pod is left on the node (podIsFinished). */
  finished: boolean;
  /** The API's answer to our last write: newer than the watch's view until the watch catches up. */
  written?: V1Pod;
  /** Why no more writes go out for this pod (gone from the API, or its name now another pod's). */
  stopped?: string;
  dirty: boolean;
  running: boolean;
  /** A back-off after a failed write: the next write waits for it. */
  timer?: NodeJS.Timeout;
  /** A look again soon at a terminal phase held back while containers may still run. */
  recheck?: NodeJS.Timeout;
  backoff: Backoff;
}

/** How soon a held-back terminal phase is looked at again (the worker is tearing the pod down). */
const RECHECK_MS = 1000;

/** The newer of two views of one object, by resourceVersion (etcd revisions: numbers that only grow). */
function newer(a: V1Pod | undefined, b: V1Pod | undefined): V1Pod | undefined {
  if (!a || !b || a.metadata?.uid !== b.metadata?.uid) return a ?? b;
  const ra = a.metadata?.resourceVersion ?? '';
  const rb = b.metadata?.resourceVersion ?? '';
  if (!/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return a;
  return BigInt(rb) > BigInt(ra) ? b : a;
}

export class ApiStatusSink implements StatusSink {
  private readonly records = new Map<string, PodRecord>();
  private readonly queue: PQueue;
  private readonly clock: () => number;
  /** Top-level status fields this API server drops (hostIPs before its PodHostIPs gate): never sent again. */
  private readonly dropped = new Set<string>();
  private ticker: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: ApiStatusSinkOptions) {
    this.queue = new PQueue({ concurrency: o.concurrency ?? 4 });
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    // kubelet: syncBatch(all) on every tick of syncPeriod.
    this.ticker = setInterval(() => this.resync(), this.o.syncPeriodMs ?? 10_000);
    this.ticker.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    for (const r of this.records.values()) {
      clearTimeout(r.timer);
      clearTimeout(r.recheck);
    }
    this.queue.clear();
    // A write in flight gets a moment to land; an API server that is away must not hold up shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.onIdle(), new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
  }

  podStatusChanged(pod: V1Pod, status: V1PodStatus): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const rec = this.record(uid, pod);
    rec.pod = pod;
    rec.status = status;
    this.kick(rec);
  }

  /** The pod's worker finished its terminated step (or no worker has it): its API object may now go. */
  podDeleted(uid: string): void {
    const pod = this.records.get(uid)?.pod ?? this.o.apiPod(uid);
    if (!pod) return;
    const rec = this.record(uid, pod);
    rec.finished = true;
    // Gone from the API or its name taken by a new pod: nothing is left to finish.
    if (rec.stopped) return this.forget(rec);
    this.kick(rec);
  }

  /** The API's view of a pod changed (the source's onPodChange): a deletion may be due, or a status lost. */
  apiPodChanged(uid: string): void {
    const rec = this.records.get(uid);
    if (rec) this.kick(rec);
  }

  /** Every pod again now (the sync period's pass; also after the mirror pods changed). */
  resync(): void {
    for (const rec of this.records.values()) {
      if ((rec.finished || rec.stopped) && !this.target(rec)) this.forget(rec);
      else this.kick(rec);
    }
  }

  /** Resolves when no write is in flight or queued (tests). */
  async idle(): Promise<void> {
    while (!this.stopped && [...this.records.values()].some((r) => r.running || (r.dirty && !r.timer && !r.stopped))) await this.queue.onIdle();
  }

  /** Pods with a record (tests, and a bound on what this keeps). */
  size(): number {
    return this.records.size;
  }

  private record(uid: string, pod: V1Pod): PodRecord {
    let rec = this.records.get(uid);
    if (!rec) {
      rec = { uid, pod, finished: false, dirty: false, running: false, backoff: new Backoff(this.o.backoff ?? { initialMs: 500, maxMs: 10_000 }) };
      this.records.set(uid, rec);
    }
    return rec;
  }

  private forget(rec: PodRecord): void {
    clearTimeout(rec.timer);
    clearTimeout(rec.recheck);
    if (this.records.get(rec.uid) === rec) this.records.delete(rec.uid);
  }

  private kick(rec: PodRecord): void {
    if (this.stopped || rec.stopped) return;
    rec.dirty = true;
    // In flight: the loop goes round once more. Backing off: the timer kicks.
    if (rec.running || rec.timer) return;
    rec.running = true;
    void this.queue.add(() => this.loop(rec));
  }

  private async loop(rec: PodRecord): Promise<void> {
    try {
      while (rec.dirty && !this.stopped && !rec.stopped && this.records.get(rec.uid) === rec) {
        rec.dirty = false;
        try {
          await this.sync(rec);
          rec.backoff.reset();
        } catch (err) {
          this.failed(rec, err);
          return;
        }
      }
    } finally {
      rec.running = false;
    }
  }

  /** Where the pod's status goes: the API pod itself, or a static pod's mirror pod; the newest view of it. */
  private target(rec: PodRecord): { pod: V1Pod; mirror: boolean } | undefined {
    if (isStaticPod(rec.pod)) {
      const mirror = this.o.mirrorPodFor?.(rec.pod);
      return mirror ? { pod: newer(mirror, rec.written) ?? mirror, mirror: true } : undefined;
    }
    const api = this.o.apiPod(rec.uid);
    return api ? { pod: newer(api, rec.written)!, mirror: false } : undefined;
  }

  /** kubelet: syncPod. */
  private async sync(rec: PodRecord): Promise<void> {
    const target = this.target(rec);
    if (!target) {
      // Not in the API (never was, or gone): nothing to write. Once the worker is done, nothing to keep.
      if (rec.finished) this.forget(rec);
      return;
    }
    const { pod: api, mirror } = target;
    const meta = api.metadata!;
    const state = rec.finished ? 'gone' : this.o.podRuntimeState(rec.uid);
    // A pod that finished before it had any status still ends with a terminal one (TerminatePod).
    const ours = rec.status ?? (rec.finished && !mirror ? terminatedStatus(rec.pod, api.status ?? {}) : undefined);
    let current = api;
    if (ours) {
      const merged = mergePodStatus(api.status ?? {}, ours, state === 'running', this.clock());
      for (const field of this.dropped) delete (merged as Record<string, unknown>)[field];
      const { patch, unchanged } = podStatusPatch(meta.uid!, api.status, merged);
      if (!unchanged) {
        this.o.logger.debug({ pod: `${meta.namespace}/${meta.name}`, uid: meta.uid, patch }, 'patching pod status');
        current = await this.o.pods.patchStatus(meta.namespace!, meta.name!, patch);
        rec.written = current;
        this.learnDropped((patch as { status: object }).status, current.status ?? {});
      }
      if (isTerminalPhase(ours.phase) && !isTerminalPhase(merged.phase)) this.recheckSoon(rec);
    }
    if (!mirror && this.canBeDeleted(current, rec, state)) {
      await this.o.pods.delete(meta.namespace!, meta.name!, { gracePeriodSeconds: 0, uid: meta.uid });
      this.o.logger.info({ pod: `${meta.namespace}/${meta.name}`, uid: meta.uid }, 'pod fully terminated and removed from the API server');
      this.forget(rec);
    }
  }

  /**
   * kubelet: canBeDeleted. Only a pod someone deleted (deletionTimestamp), whose terminal phase the
   * API already shows, and of which nothing is left on the node: its worker finished, or it never
   * had one (a pod rejected at admission). A pod that merely finished stays for its owner to see.
   */
  private canBeDeleted(api: V1Pod, rec: PodRecord, state: PodRuntimeState): boolean {
    const latest = newer(api, this.o.apiPod(rec.uid)) ?? api;
    if (!latest.metadata?.deletionTimestamp || isMirrorPod(latest)) return false;
    if (!isTerminalPhase(api.status?.phase)) return false;
    return rec.finished || state === 'gone';
  }

  /** The terminal phase waits for the worker to finish tearing the pod down; look again shortly rather than a sync period later. */
  private recheckSoon(rec: PodRecord): void {
    if (rec.recheck || this.stopped) return;
    rec.recheck = setTimeout(() => {
      rec.recheck = undefined;
      this.kick(rec);
    }, RECHECK_MS);
    rec.recheck.unref?.();
  }

  /** A field we sent that the answer lacks is one this API server drops: sending it again would write forever. */
  private learnDropped(sent: object, answer: V1PodStatus): void {
    for (const [field, value] of Object.entries(sent)) {
      if (field.startsWith('$') || this.dropped.has(field) || normalized(value) === undefined) continue;
      if (normalized((answer as Record<string, unknown>)[field]) !== undefined) continue;
      this.dropped.add(field);
      this.o.logger.info({ field }, 'the API server drops this pod status field; it is no longer sent');
    }
  }

  private failed(rec: PodRecord, err: unknown): void {
    const e = err instanceof KubeApiError ? err : new KubeApiError(0, 'Unknown', String((err as Error)?.message ?? err));
    const ref = `${rec.pod.metadata?.namespace}/${rec.pod.metadata?.name}`;
    const mirror = isStaticPod(rec.pod);
    // The object is gone, or its name is now another pod's (the UID precondition failed): our
    // pod's status has nowhere to go. A mirror pod is looked up again on the next pass instead.
    if ((isNotFound(e) || isConflict(e)) && !mirror) {
      this.o.logger.info({ pod: ref, uid: rec.uid, reason: e.reason }, isNotFound(e) ? 'pod does not exist on the server; no more status writes' : 'pod was deleted and then recreated; skipping status update');
      rec.stopped = e.reason;
      rec.dirty = false;
      if (rec.finished) this.forget(rec);
      return;
    }
    const wait = rec.backoff.failure();
    this.o.logger.warn({ pod: ref, uid: rec.uid, code: e.code, err: e.message, retryInMs: Math.round(wait) }, 'failed to update status for pod; retrying');
    rec.dirty = true;
    rec.timer = setTimeout(() => {
      rec.timer = undefined;
      this.kick(rec);
    }, wait);
    rec.timer.unref?.();
  }
}
