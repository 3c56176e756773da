// One serialized worker per pod UID: events coalesce into the latest state; syncs of live pods are bounded across pods by a p-queue, teardowns are not.
//
// The kubelet's podWorkers (pod_workers.go) in small: every pod has its own loop, so one slow pod
// never blocks another; an update that arrives while a sync runs is not queued behind it but folded
// into the state (the latest spec wins), and the loop simply runs once more. The kubelet gives each
// pod its own goroutine and bounds nothing; we bound how many pods START at once
// (--max-concurrent-pod-syncs), but a pod being stopped never waits for that bound: every deleted
// pod gets its stop signal at once, so deleting 100 pods takes about one grace period.
import type { V1Pod } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { hasWork, transition, type PodWorkerEvent, type PodWorkerState, type TerminationReason } from './state.js';

/** What a sync of a live pod reports back to its worker. */
export interface SyncPodResult {
  /** The pod reached Succeeded or Failed: tear its sandbox down and stop syncing. */
  terminal: boolean;
  /** Sync again after this long at the latest (a back-off expiring, for instance). */
  resyncAfterMs?: number;
}

/** The three kinds of work a worker does, one per state (kubelet: SyncPod, SyncTerminatingPod, SyncTerminatedPod). */
export interface PodSyncer {
  syncPod(pod: V1Pod, signal: AbortSignal): Promise<SyncPodResult>;
  syncTerminatingPod(pod: V1Pod, gracePeriodSeconds: number, reason: TerminationReason): Promise<void>;
  /** Remove what is left of a pod that will not run again (containers, sandboxes, pod dirs). */
  syncTerminatedPod(pod: V1Pod, reason: TerminationReason): Promise<void>;
}

export interface PodWorkersOptions {
  syncer: PodSyncer;
  logger: Logger;
  /** How many live pods may sync (start, restart) at once; terminating and removal steps are not bounded. */
  concurrency: number;
  /** Every pod is synced at least this often even when nothing happened (kubelet --sync-frequency). */
  syncFrequencyMs: number;
  /** Delay before retrying a sync that threw (kubelet: backOffPeriod). */
  errorRetryMs?: number;
  /**
   * Told when a unit of work ends, with its kind and the time since the first request it serves
   * (kubelet: pod_worker_duration_seconds, observed by podWorkerLoop); src/metrics/ records it.
   */
  workObserver?: (operationType: PodWorkType, durationMs: number) => void;
}

/** The kubelet's SyncPodType names (create, update, sync, kill) plus "terminated", as the metric labels them. */
export type PodWorkType = 'create' | 'update' | 'sync' | 'kill' | 'terminated';
/** Which request a step serves when several arrived before it ran: the weightier one names it. */
const WORK_WEIGHT: Record<PodWorkType, number> = { sync: 0, update: 1, create: 2, kill: 3, terminated: 4 };

interface Worker {
  uid: string;
  state: PodWorkerState;
  /** Set when the state changed (or a resync is due) since the loop last looked. */
  dirty: boolean;
  running: boolean;
  /** Aborted when a kill arrives, so a running sync stops between steps. */
  abort: AbortController;
  resyncTimer?: NodeJS.Timeout;
  /** The same UID was added again while it was being torn down (kubelet: restartRequested). */
  restartRequested?: V1Pod;
  /** What the next step serves, and since when (performance.now()): for workObserver only. */
  request?: { type: PodWorkType; since: number };
}

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  /** Bounds the syncs of live pods only (--max-concurrent-pod-syncs). */
  private readonly queue: PQueue;
  /** Terminating and terminated steps in flight: outside the bound, awaited by stop(). */
  private readonly teardowns = new Set<Promise<void>>();
  private readonly errorRetryMs: number;
  private stopped = false;

  constructor(private readonly opts: PodWorkersOptions) {
    this.queue = new PQueue({ concurrency: opts.concurrency });
    this.errorRetryMs = opts.errorRetryMs ?? 10_000;
  }

  /** A pod was added or changed in its source. */
  updatePod(pod: V1Pod): void {
    const uid = pod.metadata!.uid!;
    const w = this.workers.get(uid);
    if (!w) {
      const created = this.newWorker(uid, { kind: 'syncing', pod });
      this.workers.set(uid, created);
      this.request(created, 'create');
      this.wake(uid);
      return;
    }
    if (w.state.kind !== 'syncing') {
      // Being torn down after a deletion: this UID starts again only once the teardown completes.
      // A pod that merely finished stays finished.
      if (w.state.reason !== 'finished') w.restartRequested = pod;
      return;
    }
    this.request(w, 'update');
    this.apply(w, { type: 'update', pod });
  }

  /** A pod must stop: deleted from its source, finished, or orphaned in the runtime. */
  killPod(pod: V1Pod, reason: TerminationReason, gracePeriodSeconds?: number): void {
    const uid = pod.metadata!.uid!;
    let w = this.workers.get(uid);
    if (!w) {
      // An orphan (known to the runtime only): start its worker directly in the kill path.
      w = this.newWorker(uid, { kind: 'syncing', pod });
      this.workers.set(uid, w);
    }
    if (reason === 'deleted') w.restartRequested = undefined;
    this.request(w, 'kill');
    w.abort.abort();
    this.apply(w, { type: 'kill', pod, reason, gracePeriodSeconds });
  }

  /** Something happened to the pod in the runtime (a PLEG event): sync it soon. */
  wake(uid: string): void {
    const w = this.workers.get(uid);
    if (!w || this.stopped) return;
    this.request(w, 'sync');
    w.dirty = true;
    if (!w.running) void this.run(w);
  }

  isKnown(uid: string): boolean {
    return this.workers.has(uid);
  }

  state(uid: string): PodWorkerState | undefined {
    return this.workers.get(uid)?.state;
  }

  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** Resolves when no worker has work queued or running (for tests and shutdown). */
  async idle(): Promise<void> {
    while ([...this.workers.values()].some((w) => w.running || (w.dirty && !this.stopped))) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stop scheduling new work; running steps finish. Pods keep running in the runtime. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.workers.values()) clearTimeout(w.resyncTimer);
    await Promise.all([this.queue.onIdle(), ...this.teardowns]);
  }

  private newWorker(uid: string, state: PodWorkerState): Worker {
    return { uid, state, dirty: true, running: false, abort: new AbortController() };
  }

  /** Notes a request for work; the first one since the last step keeps its time, the weightier one names it. */
  private request(w: Worker, type: PodWorkType): void {
    if (!this.opts.workObserver) return;
    if (!w.request) w.request = { type, since: performance.now() };
    else if (WORK_WEIGHT[type] > WORK_WEIGHT[w.request.type]) w.request.type = type;
  }

  private apply(w: Worker, event: PodWorkerEvent): void {
    const before = w.state.kind;
    w.state = transition(w.state, event);
    if (before !== w.state.kind) this.opts.logger.debug({ uid: w.uid, from: before, to: w.state.kind }, 'pod worker state');
    this.wake(w.uid);
  }

  private async run(w: Worker): Promise<void> {
    w.running = true;
    try {
      while (w.dirty && !this.stopped) {
        w.dirty = false;
        clearTimeout(w.resyncTimer);
        if (w.state.kind === 'syncing') await this.syncInTurn(w);
        else await this.teardown(w, w.state);
      }
    } finally {
      w.running = false;
    }
    this.forgetIfDone(w);
  }

  /**
   * A live pod's sync waits for a slot in the bounded queue. A kill that arrives while it waits
   * must not wait with it: the worker leaves the queue at once (its queued task then sees the kill
   * and does nothing) and the loop goes on to the teardown. A kill that arrives once the sync has
   * begun aborts it between steps, and the teardown follows it (never runs beside it). The task
   * takes the state current when its slot comes, so updates made while it waited are in it.
   */
  private async syncInTurn(w: Worker): Promise<void> {
    if (w.abort.signal.aborted) w.abort = new AbortController();
    const killed = w.abort.signal;
    let began = false;
    let onKill!: () => void;
    const kill = new Promise<void>((resolve) => (onKill = resolve));
    killed.addEventListener('abort', onKill, { once: true });
    const turn = this.queue.add(async () => {
      began = true;
      const state = w.state;
      if (state.kind !== 'syncing' || killed.aborted || this.stopped) return;
      w.dirty = false; // this sync serves every update made while it waited
      await this.step(w, state);
    });
    try {
      await Promise.race([turn, kill]);
      if (began) await turn;
    } finally {
      killed.removeEventListener('abort', onKill);
    }
  }

  /** Terminating and terminated steps run outside the bound (kubelet: each pod's own goroutine). */
  private async teardown(w: Worker, state: PodWorkerState): Promise<void> {
    const done = this.step(w, state);
    this.teardowns.add(done);
    try {
      await done;
    } finally {
      this.teardowns.delete(done);
    }
  }

  /** One unit of work for the state the worker is in. Never throws: a failure schedules a retry. */
  private async step(w: Worker, state: PodWorkerState): Promise<void> {
    // Without a request (the loop went on by itself, e.g. terminating → terminated) the step's own time counts.
    const request = w.request ?? { type: 'sync', since: performance.now() };
    w.request = undefined;
    try {
      await this.doStep(w, state);
    } finally {
      // kubelet: a terminated pod's cleanup is observed as "terminated", any other step by its request.
      const observe = this.opts.workObserver;
      const idle = state.kind === 'terminated' && !hasWork(state);
      if (observe && !idle) observe(state.kind === 'terminated' ? 'terminated' : request.type, performance.now() - request.since);
    }
  }

  private async doStep(w: Worker, state: PodWorkerState): Promise<void> {
    const log = this.opts.logger.child({ pod: podRef(state.pod), uid: w.uid });
    try {
      switch (state.kind) {
        case 'syncing': {
          const result = await this.opts.syncer.syncPod(state.pod, w.abort.signal);
          if (w.state !== state) return; // a newer state arrived meanwhile; the loop runs again
          if (result.terminal) return this.apply(w, { type: 'synced', terminal: true });
          this.scheduleResync(w, Math.min(result.resyncAfterMs ?? Infinity, this.opts.syncFrequencyMs));
          return;
        }
        case 'terminating':
          await this.opts.syncer.syncTerminatingPod(state.pod, state.gracePeriodSeconds, state.reason);
          // A kill that arrived meanwhile only shortened the grace period; we are done either way.
          w.state = transition(w.state, { type: 'terminatingDone' });
          w.dirty = true;
          return;
        case 'terminated':
          if (!hasWork(state)) return;
          await this.opts.syncer.syncTerminatedPod(state.pod, state.reason);
          w.state = transition(w.state, { type: 'removedDone' });
          return;
      }
    } catch (err) {
      log.error({ err, state: state.kind }, `pod worker step failed; retrying in ${this.errorRetryMs / 1000}s`);
      this.scheduleResync(w, this.errorRetryMs);
    }
  }

  private scheduleResync(w: Worker, afterMs: number): void {
    clearTimeout(w.resyncTimer);
    if (this.stopped || !Number.isFinite(afterMs)) return;
    w.resyncTimer = setTimeout(() => this.wake(w.uid), Math.max(0, afterMs));
    w.resyncTimer.unref?.();
  }

  /** Drop a worker whose pod is fully removed; start it afresh if the same UID came back meanwhile. */
  private forgetIfDone(w: Worker): void {
    if (w.state.kind !== 'terminated' || !w.state.removed || w.running) return;
    clearTimeout(w.resyncTimer);
    this.workers.delete(w.uid);
    const again = w.restartRequested;
    if (again && !this.stopped) this.updatePod(again);
  }
}

export function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`;
}
