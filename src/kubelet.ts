// The Kubelet: wires sources → pod config → pod workers, PLEG → workers, status → views, and runs the sync loop and housekeeping.
//
// Follow one pod: a source emits a snapshot, PodConfig turns it into ADD/UPDATE/DELETE, this file
// hands each pod to its worker (podworker/workers.ts), the worker's syncer observes, plans and
// executes (podworker/sync-pod.ts), and the PLEG wakes the worker when the runtime changes.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { PodAdmission } from './admission/controller.js';
import type { AdmissionNode } from './admission/types.js';
import type { PodSource } from './config/types.js';
import type { EventRecorder } from './events/recorder.js';
import type { PodCache } from './pleg/cache.js';
import type { GenericPLEG } from './pleg/generic.js';
import type { PodConfig } from './podconfig/podconfig.js';
import type { PodUpdate } from './podconfig/types.js';
import type { PodWorkers } from './podworker/workers.js';
import { RUNTIME_ERROR_REASON } from './podworker/sync-pod.js';
import { POD_TERMINATION_GRACE_PERIOD_ANNOTATION } from './runtime/labels.js';
import type { ObservedPod } from './runtime/types.js';
import { needToReconcilePodReadiness } from './status/conditions.js';
import type { StatusManager } from './status/manager.js';
import type { PodViewSource } from './server/types.js';

/** The status of a pod no sync has reached yet. */
const PENDING: Readonly<V1PodStatus> = Object.freeze({ phase: 'Pending' });

/** How long relists must fail before pods are marked (a single hiccup marks nothing). */
export const RUNTIME_DOWN_AFTER_MS = 3000;

export interface KubeletParts {
  sources: PodSource[];
  podConfig: PodConfig;
  workers: PodWorkers;
  pleg: GenericPLEG;
  cache: PodCache;
  statusManager: StatusManager;
  recorder: EventRecorder;
  logger: Logger;
  /** How often housekeeping looks for orphaned pods (kubelet: housekeepingPeriod, 2s). */
  housekeepingPeriodMs?: number;
  /** The container GC (gc/container-gc.ts); it must not overlap itself, and never reject. */
  gc?: { garbageCollect(): Promise<unknown> };
  /** --container-gc-period (the kubelet's ContainerGCPeriod, fixed there at 1m); 0 turns GC off. */
  containerGCPeriodMs?: number;
  /** Pod directories no pod owns any more (kubelet: cleanupOrphanedPodDirs); absent: not looked for. */
  podDirs?: { cleanup(isKnown: (uid: string) => boolean): Promise<unknown> };
  /** What pods are admitted against (admission/); absent: every pod is admitted. */
  admissionNode?: AdmissionNode;
  /** The crash-loop back-off; housekeeping drops its expired entries (kubelet: backOff.GC). */
  crashLoopBackOff?: { gc(): void };
  /** Unix ms. */
  clock?: () => number;
}

export class Kubelet {
  private housekeeping: NodeJS.Timeout | undefined;
  private gcTimer: NodeJS.Timeout | undefined;
  private sourcesReady = false;
  private stopped = false;
  private runtimeDown = false;
  private readonly listeners = new Set<() => void>();
  /** pods(): each source pod's last merged view, reused while its stored status is the same object. */
  private readonly withStatus = new WeakMap<V1Pod, V1Pod>();
  private readonly admission: PodAdmission | undefined;

  constructor(private readonly parts: KubeletParts) {
    const { admissionNode: node, workers, statusManager, recorder, cache, logger } = parts;
    if (node) this.admission = new PodAdmission({ node, workers, statusManager, recorder, cache, logger });
  }

  async start(): Promise<void> {
    const { pleg, workers, podConfig, sources, logger } = this.parts;
    // Know what already runs before acting on any pod, so a restarted agent adopts rather than duplicates.
    await pleg.relist();
    pleg.subscribe((e) => {
      if (workers.isKnown(e.uid)) workers.wake(e.uid);
    });
    pleg.start();
    podConfig.subscribe((u) => this.handle(u));
    this.parts.statusManager.addSink({ podStatusChanged: () => this.notify(), podDeleted: () => this.notify() });
    // A source is seen once it has sent its first set (kubelet: SeenAllSources). start() returns
    // without one when a source cannot deliver yet (a --manifest-url that is down), so readiness
    // may come later, from a snapshot.
    const seen = new Set<string>();
    let started = false;
    const unseen = () => sources.filter((s) => !seen.has(s.name)).map((s) => s.name);
    for (const source of sources) {
      await source.start((snapshot) => {
        podConfig.apply(snapshot);
        seen.add(snapshot.source);
        if (!this.sourcesReady && started && unseen().length === 0) this.allSourcesReady();
        this.notify();
      });
    }
    started = true;
    if (unseen().length === 0) this.allSourcesReady();
    else logger.warn({ waiting: unseen() }, 'waiting for every source to deliver its pods before cleaning up orphans and collecting garbage');
    this.housekeeping = setInterval(() => {
      this.cleanupOrphans();
      this.cleanupOrphanedPodDirs();
      this.checkRuntime();
      // kubelet: HandlePodCleanups (housekeeping, once every source is ready) ends with
      // backOff.GC(): crash-loop entries not updated for 2*max go.
      if (this.sourcesReady) this.parts.crashLoopBackOff?.gc();
    }, this.parts.housekeepingPeriodMs ?? 2000);
  }

  /**
   * Every source has delivered (kubelet: allSourcesReady): only now may a runtime pod no source
   * has be taken for an orphan, or a slow source's pods would look removed.
   */
  private allSourcesReady(): void {
    if (this.sourcesReady || this.stopped) return;
    const { sources, podConfig, logger } = this.parts;
    this.sourcesReady = true;
    logger.info({ sources: sources.map((s) => s.name), pods: podConfig.pods().length }, 'sources ready; starting housekeeping');
    this.cleanupOrphans();
    // kubelet: StartGarbageCollection's wait.Until, which runs once at once and then every period.
    const gc = this.parts.gc;
    const gcPeriod = this.parts.containerGCPeriodMs ?? 60_000;
    if (gc && gcPeriod > 0) {
      void gc.garbageCollect();
      this.gcTimer = setInterval(() => void gc.garbageCollect(), gcPeriod);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.housekeeping);
    clearInterval(this.gcTimer);
    this.parts.pleg.stop();
    for (const s of this.parts.sources) await s.stop();
    await this.parts.workers.stop();
  }

  /**
   * kubelet: syncLoopIteration's configCh branch (HandlePodAdditions, HandlePodUpdates,
   * HandlePodRemoves). Added pods pass admission first; a rejected pod stays Failed and never
   * reaches a worker, whatever updates follow (the kubelet's worker would stop at its terminal
   * phase before making a sandbox), until its manifest goes.
   */
  private handle(update: PodUpdate): void {
    const { workers, logger, podConfig } = this.parts;
    // A status-only change is mostly our own status write coming back from the API: not news.
    const log = update.op === 'RECONCILE' ? logger.debug.bind(logger) : logger.info.bind(logger);
    for (const pod of update.pods) {
      log({ op: update.op, source: update.source, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid: pod.metadata?.uid }, 'pod update');
    }
    const admission = this.admission;
    if (update.op === 'ADD') {
      // kubelet: podWorkers.UpdatePod takes a pod that arrives with a deletionTimestamp (deleted
      // while the agent was away) straight to terminating; it is not admitted first.
      const deleting = update.pods.filter((p) => p.metadata?.deletionTimestamp);
      const added = update.pods.filter((p) => !p.metadata?.deletionTimestamp);
      for (const pod of deleting) workers.killPod(pod, 'deleted');
      const admitted = admission ? admission.handleAdditions(added, podConfig.pods()) : added;
      for (const pod of admitted) workers.updatePod(pod);
    } else if (update.op === 'DELETE') {
      const current = admission ? podConfig.pods() : [];
      for (const pod of update.pods) {
        const uid = pod.metadata!.uid!;
        if (admission?.removed(uid, current)) continue;
        // Nothing of it is left (its worker finished, the runtime has nothing): the API object of
        // a pod we finished is going away, not a pod to kill again.
        if (!workers.isKnown(uid) && !this.parts.cache.get(uid)) continue;
        workers.killPod(pod, 'deleted');
      }
    } else if (update.op === 'UPDATE') {
      for (const pod of update.pods) if (!admission?.isRejected(pod.metadata!.uid!)) workers.updatePod(pod);
    } else if (update.op === 'RECONCILE') {
      // kubelet: HandlePodReconcile. Only the status changed (mostly our own status write seen back
      // through the watch), and podConfig already holds it as the pod manager would. The worker
      // syncs it only when a readiness gate's condition (set by a controller) changes what Ready
      // must say, so the status is computed from the new conditions; anything else would sync every
      // pod once more per status write. Only a syncing worker takes it: a pod being torn down must
      // not be asked to start again.
      for (const pod of update.pods) {
        const uid = pod.metadata!.uid!;
        if (workers.state(uid)?.kind !== 'syncing' || admission?.isRejected(uid)) continue;
        if (needToReconcilePodReadiness(pod)) workers.updatePod(pod);
      }
    }
    this.notify();
  }

  /**
   * kubelet: HandlePodCleanups. A pod the runtime has but no source knows (its manifest vanished
   * while the agent was down, say) is killed and removed. Only after every source has delivered
   * its first snapshot, or a slow source would look like a deletion.
   */
  private cleanupOrphans(): void {
    if (!this.sourcesReady) return;
    const { cache, workers, podConfig } = this.parts;
    const known = new Set(podConfig.pods().map((p) => p.metadata?.uid));
    for (const uid of cache.uids()) {
      if (known.has(uid) || workers.isKnown(uid)) continue;
      const observed = cache.get(uid);
      if (!observed) continue;
      this.parts.logger.info({ uid, pod: `${observed.namespace}/${observed.name}` }, 'killing orphaned pod: no source has it');
      workers.killPod(orphanPod(observed), 'orphaned');
    }
  }

  /**
   * kubelet: cleanupOrphanedPodDirs. A directory is left alone while any source, worker or the
   * runtime still has its pod: those pods are torn down by their workers (orphans included).
   */
  private cleanupOrphanedPodDirs(): void {
    const { podDirs, podConfig, workers, cache } = this.parts;
    if (!podDirs || !this.sourcesReady) return;
    const known = new Set(podConfig.pods().map((p) => p.metadata?.uid));
    void podDirs.cleanup((uid) => known.has(uid) || workers.isKnown(uid) || cache.get(uid) !== undefined);
  }

  /** The pods that still exist, for the GC: every pod a source has and every pod a worker still handles. */
  livePodUids(): Set<string> {
    const uids = new Set(this.parts.workers.uids());
    for (const pod of this.parts.podConfig.pods()) if (pod.metadata?.uid) uids.add(pod.metadata.uid);
    return uids;
  }

  /**
   * A runtime that stopped answering shows on every live pod (status.reason RuntimeError) once
   * relists have failed for a few seconds, and clears with a resync when relists succeed again.
   * The kubelet would mark its Node NotReady; with no Node object, the pods are where a user looks.
   */
  private checkRuntime(): void {
    const { pleg, workers, podConfig, statusManager, logger } = this.parts;
    const failure = pleg.runtimeError();
    const now = (this.parts.clock ?? Date.now)();
    if (failure && now - failure.since >= RUNTIME_DOWN_AFTER_MS && !this.runtimeDown) {
      this.runtimeDown = true;
      const message = `the container runtime is not answering (since ${new Date(failure.since).toISOString()}): ${failure.message}`;
      logger.error({ since: failure.since }, 'marking pods: the container runtime is not answering');
      for (const pod of podConfig.pods()) {
        const uid = pod.metadata!.uid!;
        if (workers.state(uid)?.kind !== 'syncing') continue;
        const previous = statusManager.getPodStatus(uid) ?? { phase: 'Pending' };
        statusManager.setPodStatus(pod, { ...previous, reason: RUNTIME_ERROR_REASON, message });
      }
    } else if (!failure && this.runtimeDown) {
      this.runtimeDown = false;
      for (const uid of workers.uids()) workers.wake(uid);
    }
  }

  /** The read-only view for the HTTP server and the CLI. */
  view(): PodViewSource {
    return {
      pods: () => this.pods(),
      healthz: () => this.parts.pleg.healthy(),
      rejected: () => this.parts.podConfig.rejected(),
      subscribe: (cb) => {
        this.listeners.add(cb);
        return () => this.listeners.delete(cb);
      },
    };
  }

  /**
   * Every pod from the sources with its live status; a pod not synced yet is Pending. The same
   * pod with the same stored status gives the same object, so the views' encoders can cache by
   * identity (a watch or a poll of /pods would otherwise re-encode every pod on every change).
   * The objects are shared: callers must not modify them.
   */
  pods(): V1Pod[] {
    const { podConfig, statusManager } = this.parts;
    return podConfig.pods().map((pod) => {
      const status = statusManager.peekPodStatus(pod.metadata!.uid!) ?? PENDING;
      const last = this.withStatus.get(pod);
      if (last?.status === status) return last;
      const merged = { ...pod, status: status as V1PodStatus };
      this.withStatus.set(pod, merged);
      return merged;
    });
  }

  private notify(): void {
    for (const cb of this.listeners) cb();
  }
}

/** A stand-in Pod for a runtime pod no source knows, enough to kill it with its recorded grace period. */
export function orphanPod(observed: ObservedPod): V1Pod {
  const grace = observed.containers
    .map((c) => Number(c.annotations[POD_TERMINATION_GRACE_PERIOD_ANNOTATION]))
    .find((n) => Number.isFinite(n));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: observed.name, namespace: observed.namespace, uid: observed.uid },
    spec: { containers: [], terminationGracePeriodSeconds: grace ?? 30 },
  };
}
