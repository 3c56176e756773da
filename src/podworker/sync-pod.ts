// The pod worker's three syncs (the kubelet's SyncPod, SyncTerminatingPod, SyncTerminatedPod): observe → plan → execute → status.
//
// This is where one Pod meets the runtime. Each sync reads what the runtime reports (the PLEG
// cache, refreshed after our own actions), asks the pure planner what to do, lets the executor do
// it, and hands the resulting status to the status manager.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { PodCache } from '../pleg/cache.js';
import type { ContainerWaitingReason, ObservedPod } from '../runtime/types.js';
import { computePodStatus } from '../status/compute.js';
import type { StatusManager } from '../status/manager.js';
import { readTerminationMessages } from '../status/termination-message.js';
import { isTerminalPhase } from '../status/types.js';
import type { ExecutorDeps } from './deps.js';
import { activeDeadlineAt, DEADLINE_EXCEEDED_MESSAGE, DEADLINE_EXCEEDED_REASON } from './active-deadline.js';
import { executePodActions } from './execute.js';
import { hasLive, killPod, removePod } from './kill.js';
import { computePodActions } from './plan.js';
import type { TerminationReason } from './state.js';
import type { PodSyncer, SyncPodResult } from './workers.js';
import { inStep, withCause, type CallCause, type SyncKind } from '../trace/cause.js';

/** The slice of the PLEG a worker uses: re-inspect one pod right after acting on it. */
export interface PodInspector {
  updatePod(uid: string): Promise<ObservedPod>;
}

export interface SyncerOptions extends ExecutorDeps {
  cache: PodCache;
  pleg: PodInspector;
  statusManager: StatusManager;
  /** The pods' CRI call traces (trace/store.ts): dropped with the pod. */
  trace?: { forget(uid: string): void };
}

/** What a teardown is for, as a trace says it. */
const TERMINATION_WORDS: Record<TerminationReason, string> = {
  deleted: 'the pod was removed from its source',
  finished: 'the pod finished (Succeeded or Failed)',
  orphaned: 'no source has the pod (orphaned)',
};

/** The step of a sync that reads the pod back after acting on it. */
export const REINSPECT_STEP = 're-inspect the pod after acting on it';

/** Pod status reason while the runtime cannot be reached or fails a sync (ours; the kubelet reports it on the Node). */
export const RUNTIME_ERROR_REASON = 'RuntimeError';

export class KubeletPodSyncer implements PodSyncer {
  /** kubelet: ReasonCache. Why each container of each pod is not running, from the last syncs. */
  private readonly reasons = new Map<string, Map<string, ContainerWaitingReason>>();
  /** When this agent last changed each pod in the runtime: older cached state must not be trusted. */
  private readonly lastActionAt = new Map<string, number>();
  /** Pods failed for running past spec.activeDeadlineSeconds. */
  private readonly deadlineExceeded = new Set<string>();
  /** Termination messages of exited containers, per pod (an exited container never changes). */
  private readonly messages = new Map<string, Map<string, string>>();
  /** How many syncs each pod has had: the number a trace gives each sync ("sync #12"). */
  private readonly syncCount = new Map<string, number>();

  constructor(private readonly opts: SyncerOptions) {}

  /** The cause of the CRI calls one sync makes (trace/cause.ts); the executor narrows its step. */
  private cause(pod: V1Pod, kind: SyncKind, step: string): CallCause {
    const uid = pod.metadata!.uid!;
    const sync = (this.syncCount.get(uid) ?? 0) + 1;
    this.syncCount.set(uid, sync);
    return { uid, pod: podRef(pod), sync, kind, step };
  }

  async syncPod(pod: V1Pod, signal: AbortSignal): Promise<SyncPodResult> {
    return withCause(this.cause(pod, 'sync', 'observe the pod'), () => this.syncPodOnce(pod, signal));
  }

  private async syncPodOnce(pod: V1Pod, signal: AbortSignal): Promise<SyncPodResult> {
    try {
      return await this.trySyncPod(pod, signal);
    } catch (err) {
      // The runtime went away or failed us: say so on the pod, keep what we last knew of its
      // containers, and let the worker retry. Other pods are untouched.
      const previous = this.opts.statusManager.getPodStatus(pod.metadata!.uid!) ?? { phase: 'Pending' };
      const message = `cannot sync pod with the container runtime: ${err instanceof Error ? err.message : String(err)}`;
      this.opts.statusManager.setPodStatus(pod, { ...previous, reason: RUNTIME_ERROR_REASON, message });
      throw err;
    }
  }

  private async trySyncPod(pod: V1Pod, signal: AbortSignal): Promise<SyncPodResult> {
    const uid = pod.metadata!.uid!;
    const { clock, logger } = this.opts;
    const observed = await this.observe(uid);
    // kubelet: activeDeadlineHandler. Past its deadline the pod fails and is torn down.
    const deadline = activeDeadlineAt(pod, this.opts.statusManager.peekPodStatus(uid)?.startTime);
    if (deadline !== undefined && clock() >= deadline) {
      if (!this.deadlineExceeded.has(uid)) this.opts.recorder.event(pod, 'Normal', DEADLINE_EXCEEDED_REASON, DEADLINE_EXCEEDED_MESSAGE);
      this.deadlineExceeded.add(uid);
      await this.updateStatus(pod, observed);
      return { terminal: true };
    }
    const probes = this.opts.probes;
    const actions = computePodActions(pod, observed, {
      now: clock(),
      crashLoopBackOff: this.opts.crashLoopBackOff,
      unhealthy: probes?.unhealthy(uid),
      // kubelet: computeInitContainerActions reads the startup results (startupManager.Get) so a
      // sidecar's startup probe holds the next init container back. Without a prober, none does.
      startupProbeSucceeded: probes ? succeeded(probes.started(uid)) : undefined,
    });
    if (actions.createSandbox || actions.killPod || actions.containersToStart.length || actions.containersToKill.length) {
      logger.debug({ uid, actions }, 'computePodActions');
      // Publish what the runtime shows before acting on it, as the kubelet's syncPod sets the
      // status before SyncPod: a container that died shows as terminated at once, not only
      // after its restart (or the sandbox teardown) has finished.
      await this.updateStatus(pod, observed);
      this.lastActionAt.set(uid, clock());
    }
    const result = await executePodActions(pod, actions, observed, this.opts, signal);

    const reasons = this.reasons.get(uid) ?? new Map<string, ContainerWaitingReason>();
    for (const name of result.started) reasons.delete(name);
    for (const [name, why] of result.waiting) reasons.set(name, why);
    this.reasons.set(uid, reasons);

    const fresh = result.changed ? await inStep(REINSPECT_STEP, () => this.opts.pleg.updatePod(uid)) : observed;
    const phase = await this.updateStatus(pod, fresh);
    const untilDeadline = activeDeadlineAt(pod, this.opts.statusManager.peekPodStatus(uid)?.startTime);
    const resyncAfterMs = Math.min(result.resyncAfterMs ?? Infinity, untilDeadline === undefined ? Infinity : untilDeadline - clock());
    return { terminal: isTerminalPhase(phase), resyncAfterMs: Number.isFinite(resyncAfterMs) ? resyncAfterMs : undefined };
  }

  async syncTerminatingPod(pod: V1Pod, gracePeriodSeconds: number, reason: TerminationReason): Promise<void> {
    const step = `kill pod: ${TERMINATION_WORDS[reason]}, grace period ${gracePeriodSeconds}s`;
    return withCause(this.cause(pod, 'terminating', step), () => this.terminate(pod, gracePeriodSeconds, reason));
  }

  private async terminate(pod: V1Pod, gracePeriodSeconds: number, reason: TerminationReason): Promise<void> {
    const uid = pod.metadata!.uid!;
    // kubelet: SyncTerminatingPod kills the pod as the pod cache has it (the worker's GetNewerThan)
    // and asks the runtime only afterwards, to verify: no inspection stands before the stop, which
    // counts when many pods are deleted at once and the runtime is the bottleneck.
    const observed = await this.observe(uid);
    this.lastActionAt.set(uid, this.opts.clock());
    this.opts.logger.info({ pod: podRef(pod), uid, reason, gracePeriodSeconds }, 'killing pod');
    await killPod(pod, observed, gracePeriodSeconds, this.opts);
    let fresh = await this.opts.pleg.updatePod(uid);
    // What the cache had not seen yet (a container started since) is stopped now.
    if (hasLive(fresh)) {
      await killPod(pod, fresh, gracePeriodSeconds, this.opts);
      fresh = await this.opts.pleg.updatePod(uid);
    }
    if (reason !== 'orphaned') await this.updateStatus(pod, fresh, true);
  }

  async syncTerminatedPod(pod: V1Pod, reason: TerminationReason): Promise<void> {
    const step = `remove the pod from the runtime: ${TERMINATION_WORDS[reason]}`;
    return withCause(this.cause(pod, 'terminated', step), () => this.remove(pod, reason));
  }

  private async remove(pod: V1Pod, reason: TerminationReason): Promise<void> {
    const uid = pod.metadata!.uid!;
    const observed = await this.opts.pleg.updatePod(uid);
    await removePod(observed, this.opts);
    // The runtime now holds nothing of the pod: look once more so the cache forgets it at once.
    // Until the next relist, housekeeping would otherwise find it there, with no worker and no
    // source, and kill it a second time as an orphan.
    await this.opts.pleg.updatePod(uid);
    await this.opts.volumes.tearDownPod(uid);
    // kubelet: podContainerManager.Destroy, once nothing of the pod runs in its cgroup.
    await this.opts.podCgroups?.removePod(uid);
    this.opts.logger.info({ pod: podRef(pod), uid, reason }, 'pod removed from the runtime');
    // kubelet: SyncTerminatedPod ends with statusManager.TerminatePod; the API status writer
    // finishes a deleted API pod (final status, then the object itself) once it hears deletePod.
    if (reason !== 'orphaned') this.opts.statusManager.terminatePod(pod);
    this.opts.statusManager.deletePod(uid);
    this.opts.recorder.forget(uid);
    this.reasons.delete(uid);
    this.lastActionAt.delete(uid);
    this.messages.delete(uid);
    this.deadlineExceeded.delete(uid);
    this.opts.sandboxRequests.forget(uid);
    // The kubelet leaves them to backOff.GC; a removed pod's UID never runs again, so drop them now.
    this.opts.crashLoopBackOff.forgetPod(uid);
    this.opts.mountBackOff?.forgetPod(uid);
    this.opts.images.forgetPod(uid);
    this.syncCount.delete(uid);
    this.opts.trace?.forget(uid);
  }

  /**
   * The pod as the runtime has it, no older than this agent's last action on it (kubelet: the pod
   * worker waits for cache.GetNewerThan). Otherwise we would plan on a world before our own
   * CreateContainer and start a second copy.
   */
  private async observe(uid: string): Promise<ObservedPod | undefined> {
    const { cache, pleg } = this.opts;
    const since = this.lastActionAt.get(uid);
    const own = cache.timestampOf(uid);
    if (since !== undefined && own !== undefined && own >= since) return cache.get(uid);
    // Never acted on: a relist vouches for the pod, unless its last inspection failed
    // (cache.markStale); getNewerThan knows that, and a wait aborted at once answers without waiting.
    const relisted = cache.timestamp();
    if (since === undefined && relisted !== undefined) {
      const probe = new AbortController();
      const cached = cache.getNewerThan(uid, relisted, probe.signal);
      probe.abort();
      const hit = await cached.then((p) => ({ p }), () => undefined);
      if (hit) return hit.p;
    }
    const pod = await pleg.updatePod(uid);
    return pod.sandboxes.length || pod.containers.length ? pod : undefined;
  }

  private async updateStatus(pod: V1Pod, observed: ObservedPod | undefined, podTerminal = false): Promise<string | undefined> {
    const uid = pod.metadata!.uid!;
    const cache = this.messages.get(uid) ?? new Map<string, string>();
    this.messages.set(uid, cache);
    const terminationMessages = await readTerminationMessages(observed, {}, cache);
    const status = computePodStatus(pod, observed, {
      now: this.opts.clock(),
      hostIP: this.opts.hostIP,
      waiting: this.reasons.get(uid) ?? new Map(),
      previous: withoutRuntimeError(this.opts.statusManager.getPodStatus(uid)),
      terminationMessages,
      podTerminal,
      ready: this.opts.probes?.ready(uid),
      started: this.opts.probes?.started(uid),
    });
    // A good sync means the runtime answered: no RuntimeError, whether it came from our previous
    // status or from the API's copy of it (computePodStatus falls back to pod.status.reason).
    if (status.reason === RUNTIME_ERROR_REASON) {
      delete status.reason;
      delete status.message;
    }
    if (this.deadlineExceeded.has(uid)) {
      // kubelet: generateAPIPodStatus lets a PodSyncHandler's ShouldEvict override phase and reason.
      Object.assign(status, { phase: 'Failed', reason: DEADLINE_EXCEEDED_REASON, message: DEADLINE_EXCEEDED_MESSAGE });
    }
    this.opts.statusManager.setPodStatus(pod, status);
    return status.phase;
  }
}

/** The container ids whose startup probe has succeeded. */
function succeeded(started: ReadonlyMap<string, boolean>): Set<string> {
  return new Set([...started].filter(([, ok]) => ok).map(([id]) => id));
}

/** A successful sync clears the pod-level error an earlier failed one set (and lets the API's own reason show again). */
function withoutRuntimeError(status: V1PodStatus | undefined): V1PodStatus | undefined {
  if (status?.reason !== RUNTIME_ERROR_REASON) return status;
  const { reason: _r, message: _m, ...rest } = status;
  return rest;
}

function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}
