// The probe manager: a worker per container probe for each pod's life, results for the pod workers, wake-ups on change (prober_manager.go).
import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { RuntimeService } from '../cri/types.js';
import type { ProbeMetricsObserver } from '../metrics/probes.js';
import type { ProbeResultsView } from '../podworker/deps.js';
import type { StatusSink } from '../status/manager.js';
import { criId } from '../status/probe-results.js';
import { CriProber, type ProbeEventRecorder, type Prober } from './prober.js';
import { ProbeResults } from './results.js';
import { realClock, type ProbeResult, type ProberClock, type ProbeType } from './types.js';
import { ProbeWorker } from './worker.js';

export interface ProbeManagerOptions {
  cri: Pick<RuntimeService, 'execSync'>;
  recorder: ProbeEventRecorder;
  logger: { debug(obj: object, msg?: string): void };
  /** The pod's latest status, read only: the status manager's peekPodStatus (no copy per probe). */
  statusOf(uid: string): Readonly<V1PodStatus> | undefined;
  /** Makes the pod sync now (PodWorkers.wake), so a restart or a readiness change shows within a second. */
  wake(uid: string): void;
  clock?: ProberClock;
  random?: () => number;
  /** Tests: a scripted prober instead of real exec/HTTP/TCP/gRPC checks. */
  prober?: Prober;
  /** Counts and times every probe that ran (/metrics/probes). */
  metrics?: ProbeMetricsObserver;
}

const TYPES: readonly ProbeType[] = ['Startup', 'Readiness', 'Liveness'];

/** Regular containers and sidecars (restartable init containers) can have probes; init containers cannot. */
function probedContainers(pod: V1Pod): V1Container[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  return [...(pod.spec?.containers ?? []), ...sidecars];
}

function specOf(c: V1Container, type: ProbeType) {
  return type === 'Liveness' ? c.livenessProbe : type === 'Readiness' ? c.readinessProbe : c.startupProbe;
}

export class ProbeManager implements StatusSink {
  readonly results = new ProbeResults();
  private readonly workers = new Map<string, ProbeWorker>();
  private readonly clock: ProberClock;
  private readonly prober: Prober;
  private readonly startedAt: number;
  private stopped = false;

  constructor(private readonly opts: ProbeManagerOptions) {
    this.clock = opts.clock ?? realClock;
    this.prober = opts.prober ?? new CriProber({ cri: opts.cri, recorder: opts.recorder });
    this.startedAt = this.clock.now();
  }

  /** What the pod workers read: readiness, startup and liveness/startup failures. */
  view(): ProbeResultsView {
    return this.results;
  }

  /** manager.AddPod: a worker for each probe of each container; those already running are kept. */
  addPod(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.stopped) return;
    for (const c of probedContainers(pod)) {
      for (const type of TYPES) {
        const key = `${uid}/${c.name}/${type}`;
        if (!specOf(c, type) || this.workers.has(key)) continue;
        const worker = new ProbeWorker(
          {
            clock: this.clock,
            random: this.opts.random ?? Math.random,
            prober: this.prober,
            results: this.results,
            statusOf: this.opts.statusOf,
            onResult: (u, t, id, r) => this.onResult(u, t, id, r),
            onExit: (w) => {
              if (this.workers.get(key) === w) this.workers.delete(key);
            },
            startedAt: this.startedAt,
            logger: this.opts.logger,
            metrics: this.opts.metrics,
          },
          type,
          pod,
          c,
        );
        this.workers.set(key, worker);
        void worker.run();
      }
    }
  }

  /** manager.RemovePod: stop the pod's workers and forget its results. */
  removePod(uid: string): void {
    for (const [key, w] of this.workers) {
      if (w.uid !== uid) continue;
      w.stop();
      this.workers.delete(key);
    }
    this.results.forgetPod(uid);
  }

  /** The number of running workers (tests, debugging). */
  workerCount(uid?: string): number {
    return [...this.workers.values()].filter((w) => uid === undefined || w.uid === uid).length;
  }

  stop(): void {
    this.stopped = true;
    for (const uid of new Set([...this.workers.values()].map((w) => w.uid))) this.removePod(uid);
  }

  // StatusSink: the status manager tells us about every pod that syncs and every pod that goes.
  podStatusChanged(pod: V1Pod, status: V1PodStatus): void {
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return;
    this.addPod(pod);
    this.triggerReadiness(pod, status);
  }

  podDeleted(uid: string): void {
    this.removePod(uid);
  }

  /**
   * manager.UpdatePodStatus: a started, running container with a readiness probe that has not
   * succeeded yet is probed at once rather than a period later, so it turns Ready quickly.
   */
  private triggerReadiness(pod: V1Pod, status: V1PodStatus): void {
    const uid = pod.metadata!.uid!;
    for (const c of [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])]) {
      if (!c.state?.running || c.started !== true) continue;
      const w = this.workers.get(`${uid}/${c.name}/Readiness`);
      if (w && this.results.get(uid, 'Readiness', criId(c.containerID)) !== 'Success') w.trigger();
    }
  }

  /**
   * The kubelet's syncLoop reacts to results: a liveness or startup failure syncs the pod (the
   * planner kills the container); readiness and startup changes update the status. Here both
   * mean a sync, which recomputes the status.
   */
  private onResult(uid: string, type: ProbeType, containerId: string, result: ProbeResult): void {
    if (type === 'Liveness' && result !== 'Failure') return;
    this.opts.logger.debug({ uid, probe: type, containerId, result }, 'probe result changed; syncing the pod');
    this.opts.wake(uid);
  }
}
