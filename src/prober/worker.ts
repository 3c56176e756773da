// One probe of one container, run periodically for the pod's life (the kubelet's prober worker: run and doProbe).
import type { V1Container, V1ContainerStatus, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { criId } from '../status/probe-results.js';
import type { ProbeMetricsObserver, ProbeTarget } from '../metrics/probes.js';
import type { Prober } from './prober.js';
import type { ProbeResults } from './results.js';
import { probeTiming, type ProbeTiming } from './timing.js';
import type { ProbeResult, ProberClock, ProbeType, TimerHandle } from './types.js';

export interface WorkerDeps {
  clock: ProberClock;
  /** In [0, 1): the first probe's jitter. */
  random: () => number;
  prober: Prober;
  results: ProbeResults;
  /** The pod's latest status (status manager): container ids, states, started, pod IPs. */
  statusOf(uid: string): Readonly<V1PodStatus> | undefined;
  /** A stored result changed (not the initial value of a new container). */
  onResult(uid: string, type: ProbeType, containerId: string, result: ProbeResult): void;
  /** The worker ended (pod terminal, container done for good, or stopped). */
  onExit(worker: ProbeWorker): void;
  /** Unix ms when the prober started: a worker started within one period of it jitters its first probe. */
  startedAt: number;
  logger: { debug(obj: object, msg?: string): void };
  /** prober_probe_total and prober_probe_duration_seconds (/metrics/probes), when served. */
  metrics?: ProbeMetricsObserver;
}

/** The result a new container starts with: not ready, alive, startup undecided (newWorker). */
const INITIAL: Record<ProbeType, ProbeResult> = { Readiness: 'Failure', Liveness: 'Success', Startup: 'Unknown' };

function findStatus(status: V1PodStatus, name: string): V1ContainerStatus | undefined {
  const regular = (status.containerStatuses ?? []).find((c) => c.name === name);
  if (regular?.containerID) return regular;
  const init = (status.initContainerStatuses ?? []).find((c) => c.name === name);
  return init?.containerID ? init : undefined;
}

function millis(t: Date | string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

export class ProbeWorker {
  readonly uid: string;
  readonly timing: ProbeTiming;
  private containerId = '';
  private lastResult: ProbeResult | undefined;
  private resultRun = 0;
  private onHold = false;
  private stopped = false;
  private triggered = false;
  private jittering = false;
  private nextTick = 0;
  private timer: TimerHandle | undefined;
  private wakeUp: (() => void) | undefined;
  /** The labels of this worker's probe metrics: fixed for its life, so observe and forget name the same series. */
  private readonly metricsTarget: ProbeTarget;

  constructor(
    private readonly deps: WorkerDeps,
    readonly type: ProbeType,
    readonly pod: V1Pod,
    readonly container: V1Container,
  ) {
    this.uid = pod.metadata!.uid!;
    const spec = type === 'Liveness' ? container.livenessProbe : type === 'Readiness' ? container.readinessProbe : container.startupProbe;
    this.timing = probeTiming(spec!);
    const m = pod.metadata;
    this.metricsTarget = { probeType: type, container: container.name, pod: m?.name ?? '', namespace: m?.namespace ?? '', podUID: this.uid };
  }

  /** The container the worker last saw ('' before any). */
  get currentContainerId(): string {
    return this.containerId;
  }

  /** Starts the loop; resolves when the worker has ended and cleaned up. */
  async run(): Promise<void> {
    const { clock } = this.deps;
    const period = this.timing.periodSeconds * 1000;
    // worker.run: right after a (re)start of the agent every probe would fire at once; spread the
    // first ones over a period. Later workers start probing straight away.
    if (period > clock.now() - this.deps.startedAt) {
      this.jittering = true;
      await this.sleep(this.deps.random() * period);
      this.jittering = false;
    }
    this.nextTick = clock.now() + period;
    try {
      while (!this.stopped && (await this.safeProbe()) && !this.stopped) await this.waitTick(period);
    } finally {
      if (this.containerId) this.deps.results.remove(this.uid, this.type, this.containerId);
      this.deps.metrics?.forget(this.metricsTarget);
      this.deps.onExit(this);
    }
  }

  stop(): void {
    this.stopped = true;
    this.interrupt();
  }

  /** manualTriggerCh: probe now, and restart the period from here. */
  trigger(): void {
    this.triggered = true;
    // Like the kubelet's buffered channel, a trigger does not cut the first probe's jitter short.
    if (!this.jittering) this.interrupt();
  }

  private interrupt(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = this.deps.clock.setTimeout(() => {
        this.timer = undefined;
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.timer.unref?.();
    });
  }

  /** A time.Ticker: ticks missed while probing are dropped, but one waits to be taken. */
  private async waitTick(period: number): Promise<void> {
    const { clock } = this.deps;
    if (!this.triggered && this.nextTick > clock.now()) await this.sleep(this.nextTick - clock.now());
    if (this.stopped) return;
    const now = clock.now();
    if (this.triggered) {
      this.triggered = false;
      this.nextTick = now + period;
      return;
    }
    while (this.nextTick <= now) this.nextTick += period;
  }

  /** doProbe's recover(): a bug in one probe must not end the worker. */
  private async safeProbe(): Promise<boolean> {
    try {
      return await this.doProbe();
    } catch (err) {
      this.deps.logger.debug({ err, probe: this.type, container: this.container.name }, 'probe worker error');
      return true;
    }
  }

  private set(result: ProbeResult, initial = false): void {
    const changed = this.deps.results.set(this.uid, this.type, this.containerId, this.container.name, result);
    if (changed && !initial) this.deps.onResult(this.uid, this.type, this.containerId, result);
  }

  /** worker.doProbe: probe once and record the result. Returns whether to keep going. */
  async doProbe(): Promise<boolean> {
    const { clock, logger } = this.deps;
    const status = this.deps.statusOf(this.uid);
    if (!status) return true; // not synced yet, or already gone
    if (status.phase === 'Failed' || status.phase === 'Succeeded') return false;
    const c = findStatus(status, this.container.name);
    if (!c) return true; // not created yet

    const id = criId(c.containerID);
    if (id !== this.containerId) {
      if (this.containerId) this.deps.results.remove(this.uid, this.type, this.containerId);
      this.containerId = id;
      this.set(INITIAL[this.type], true);
      this.onHold = false; // a new container: probe it
    }
    if (this.onHold) return true;

    if (!c.state?.running) {
      this.set('Failure');
      const sidecar = (this.pod.spec?.initContainers ?? []).some((i) => i.name === this.container.name && i.restartPolicy === 'Always');
      // Stop only when this container will never run again.
      return !c.state?.terminated || this.pod.spec?.restartPolicy !== 'Never' || sidecar;
    }
    if (this.pod.metadata?.deletionTimestamp && this.type !== 'Readiness') {
      // Graceful shutdown: a last success so the kill is not blamed on the probe.
      this.set('Success');
      return false;
    }
    const startedAt = millis(c.state.running.startedAt) ?? 0;
    if (Math.trunc((clock.now() - startedAt) / 1000) < this.timing.initialDelaySeconds) return true;
    // The startup probe holds the others back until it succeeds, then it rests.
    if (c.started === true ? this.type === 'Startup' : this.type !== 'Startup') return true;

    const target = { podIP: status.podIP ?? '', podIPs: (status.podIPs ?? []).map((p) => p.ip) };
    const probeStarted = clock.now();
    const run = await this.deps.prober.probe(this.type, this.pod, this.container, id, target);
    if (run.error) return true; // the probe could not run: throw the result away
    if (this.stopped) return false;
    const result = run.result;
    // Every probe that ran counts, before the thresholds decide whether the stored result moves.
    this.deps.metrics?.observe(this.metricsTarget, result, (clock.now() - probeStarted) / 1000);
    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    const { failureThreshold, successThreshold } = this.timing;
    if ((result === 'Failure' && this.resultRun < failureThreshold) || (result === 'Success' && this.resultRun < successThreshold)) {
      return true; // below the threshold: the stored result stays
    }
    this.set(result);
    logger.debug({ pod: `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`, container: this.container.name, probe: this.type, result }, 'probe result');
    if ((this.type === 'Liveness' && result === 'Failure') || this.type === 'Startup') {
      // The container will be restarted (or has started): rest until a new container id shows up.
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
