// The PLEG: relists the runtime on a timer, emits per-pod lifecycle events and keeps the runtime cache fresh (kubelet: GenericPLEG).

import type { CriRuntime } from '../cri/types.js';
import { POD_UID_LABEL } from '../runtime/labels.js';
import { getPodStatus, listOwned, type OwnedObjects } from '../runtime/inspect.js';
import type { ObservedPod } from '../runtime/types.js';
import type { PodCache } from './cache.js';
import { computePodEvents, groupByPod, isDelivered, recordMatches, recordOf, showsListing, type PodLifecycleEvent, type PodRecord } from './events.js';

export type { PodLifecycleEvent, PodLifecycleEventType } from './events.js';

export interface PlegClock {
  now(): number;
}

/** The part of a pino logger the PLEG uses. */
export interface PlegLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface GenericPLEGOptions {
  cri: CriRuntime;
  nodeName: string;
  cache: PodCache;
  relistPeriodMs?: number;
  /** kubelet: RelistThreshold. Unhealthy when no relist succeeded for this long. */
  relistThresholdMs?: number;
  /** How many pods are inspected at once in one relist. */
  inspectConcurrency?: number;
  clock: PlegClock;
  logger: PlegLogger;
  /**
   * Told of each successful relist: how long it took and how long since the previous successful
   * one began (undefined for the first), as the kubelet's relist duration and interval metrics.
   * The PLEG knows nothing of metrics (src/metrics/pleg.ts turns these into histograms).
   */
  relistObserver?: RelistObserver;
}

export type RelistObserver = (durationMs: number, intervalMs: number | undefined) => void;

export const DEFAULT_RELIST_PERIOD_MS = 1000;
export const DEFAULT_RELIST_THRESHOLD_MS = 3 * 60 * 1000;

export class GenericPLEG {
  private readonly opts: Required<GenericPLEGOptions>;
  /** Per pod, what the last relist that inspected it successfully saw (kubelet: podRecords). */
  private readonly records = new Map<string, PodRecord>();
  /** Pods to look at again next relist even without a change: their inspection failed, or their cache entry outlived the pod. */
  private reinspect = new Set<string>();
  private readonly subscribers = new Set<(e: PodLifecycleEvent) => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private inflight: Promise<void> | undefined;
  private lastSuccessAt: number | undefined;
  private failure: { since: number; message: string; loggedAt: number } | undefined;
  private last = { durationMs: 0, at: 0 };

  constructor(opts: GenericPLEGOptions) {
    this.opts = {
      relistPeriodMs: DEFAULT_RELIST_PERIOD_MS,
      relistThresholdMs: DEFAULT_RELIST_THRESHOLD_MS,
      inspectConcurrency: 8,
      ...opts,
      relistObserver: opts.relistObserver ?? (() => {}),
    };
  }

  /** Relists every period. A tick that finds the previous relist still running is skipped, so relists never overlap. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.inflight) void this.relist();
    }, this.opts.relistPeriodMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  subscribe(cb: (e: PodLifecycleEvent) => void): () => void {
    this.subscribers.add(cb);
    return () => this.subscribers.delete(cb);
  }

  /** One relist; while one runs, callers share it. Never rejects: failures are logged. */
  relist(): Promise<void> {
    this.inflight ??= this.doRelist()
      .then(() => this.recovered())
      .catch((err: unknown) => this.failed(err))
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** Since when relists fail, and why; undefined while they succeed. */
  runtimeError(): { since: number; message: string } | undefined {
    return this.failure ? { since: this.failure.since, message: this.failure.message } : undefined;
  }

  /** A runtime that went away fails every relist: say so once, then every 30s, not every second. */
  private failed(err: unknown): void {
    const now = this.opts.clock.now();
    const message = err instanceof Error ? err.message : String(err);
    if (!this.failure) {
      this.failure = { since: now, message, loggedAt: now };
      this.opts.logger.error({ err }, 'PLEG relist failed: cannot list pods from the container runtime');
    } else {
      this.failure.message = message;
      if (now - this.failure.loggedAt >= 30_000) {
        this.failure.loggedAt = now;
        this.opts.logger.error({ err, failingForMs: now - this.failure.since }, 'PLEG relist still failing');
      }
    }
  }

  private recovered(): void {
    if (!this.failure) return;
    this.opts.logger.info({ failedForMs: this.opts.clock.now() - this.failure.since }, 'PLEG relist succeeds again');
    this.failure = undefined;
  }

  /** kubelet: GenericPLEG.Healthy. */
  healthy(): { ok: boolean; message: string } {
    if (this.lastSuccessAt === undefined) return { ok: false, message: 'pleg has yet to be successful' };
    const elapsed = this.opts.clock.now() - this.lastSuccessAt;
    if (elapsed > this.opts.relistThresholdMs) {
      return { ok: false, message: `pleg was last seen active ${elapsed}ms ago; threshold is ${this.opts.relistThresholdMs}ms` };
    }
    return { ok: true, message: `pleg was last seen active ${elapsed}ms ago` };
  }

  /** The last successful relist: when it began and how long it took. */
  lastRelist(): { durationMs: number; at: number } {
    return { ...this.last };
  }

  /**
   * Re-inspects one pod now and stores it, for a worker right after its own actions. Events for
   * those changes still come from the next relist, as in the kubelet. Resolves with an empty pod
   * when the runtime holds nothing for the UID; rejects when the runtime fails.
   */
  async updatePod(uid: string): Promise<ObservedPod> {
    const { cri, nodeName, cache, clock } = this.opts;
    const timestamp = clock.now();
    const owned = await listOwned(cri, nodeName, { [POD_UID_LABEL]: uid });
    if (owned.sandboxes.length === 0 && owned.containers.length === 0) {
      cache.delete(uid, timestamp);
      return { uid, name: '', namespace: '', sandboxes: [], containers: [], timestamp };
    }
    const pod = await getPodStatus(cri, uid, owned, timestamp, { previous: cache.get(uid) });
    cache.set(uid, pod, timestamp);
    return pod;
  }

  /** kubelet: GenericPLEG.Relist. */
  private async doRelist(): Promise<void> {
    const { cri, nodeName, cache, clock, logger } = this.opts;
    const timestamp = clock.now();
    const previousSuccessAt = this.lastSuccessAt;
    const groups = groupByPod(await listOwned(cri, nodeName));
    // kubelet: updateRelistTime right after a successful list, before any inspection.
    this.lastSuccessAt = timestamp;

    // The cache's own UIDs too: a worker's updatePod may have cached a pod that came and went
    // between two relists, which no relist recorded; only its absence here removes that entry.
    const uids = new Set([...this.records.keys(), ...groups.keys(), ...this.reinspect, ...cache.uids()]);
    const work: { uid: string; group: OwnedObjects | undefined; events: PodLifecycleEvent[] }[] = [];
    for (const uid of uids) {
      const group = groups.get(uid);
      const record = this.records.get(uid);
      const events = record && group && recordMatches(record, group) ? [] : computePodEvents(uid, record, group && recordOf(group));
      const unknownToCache = group !== undefined && cache.get(uid) === undefined;
      const goneFromRuntime = group === undefined && cache.get(uid) !== undefined;
      if (events.length > 0 || this.reinspect.has(uid) || unknownToCache || goneFromRuntime) work.push({ uid, group, events });
    }

    const failed = new Set<string>();
    const recheck = new Set<string>();
    await forEachLimit(work, this.opts.inspectConcurrency, async ({ uid, group, events }) => {
      if (group) {
        try {
          // A worker usually inspected the pod right after changing it (updatePod); when that saw
          // exactly what this list shows, it stands for this relist too, without the status calls
          // (in a burst of new pods, about half the relist's PodSandboxStatus and ContainerStatus).
          const previous = cache.get(uid);
          const pod =
            previous && !this.reinspect.has(uid) && showsListing(previous, group)
              ? { ...previous, timestamp }
              : await getPodStatus(cri, uid, group, timestamp, { previous });
          cache.set(uid, pod, timestamp);
          this.records.set(uid, recordOf(group));
        } catch (err) {
          // kubelet: the record is not updated, so the same changes are seen (and sent) again next relist.
          logger.error({ err, uid }, 'PLEG: cannot inspect pod, will retry next relist');
          cache.markStale(uid);
          failed.add(uid);
          return;
        }
      } else {
        // The pod has no sandbox or container left (kubelet: updateCache with pod == nil).
        cache.delete(uid, timestamp);
        this.records.delete(uid);
        // A worker cached the pod after this relist began (and then removed it): that newer entry
        // survives this relist, and no later one would see the pod again, so look once more.
        if (cache.get(uid) !== undefined) recheck.add(uid);
      }
      for (const e of events) if (isDelivered(e)) this.emit(e);
    });

    this.reinspect = new Set([...failed, ...recheck]);
    // Only after every changed pod is stored: waiters on unchanged pods may now go on.
    cache.updateTime(timestamp);
    this.last = { durationMs: clock.now() - timestamp, at: timestamp };
    logger.debug({ pods: groups.size, inspected: work.length, durationMs: this.last.durationMs }, 'PLEG relist');
    this.opts.relistObserver(this.last.durationMs, previousSuccessAt === undefined ? undefined : timestamp - previousSuccessAt);
  }

  private emit(e: PodLifecycleEvent): void {
    for (const cb of this.subscribers) {
      try {
        cb(e);
      } catch (err) {
        this.opts.logger.error({ err, event: e }, 'PLEG subscriber threw');
      }
    }
  }
}

/** Runs fn over items with at most `limit` in flight. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
