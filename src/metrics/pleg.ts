// The PLEG's metrics (kubelet: pkg/kubelet/metrics PLEGRelistDuration, PLEGRelistInterval, PLEGLastSeen, RunningPodCount, RunningContainerCount).
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { RelistObserver } from '../pleg/generic.js';
import type { ObservedContainerState, ObservedPod } from '../runtime/types.js';

/** metrics.DefBuckets, the kubelet's buckets for both relist histograms. */
export const DEF_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A superset of DefBuckets, finer at the low end: a relist here takes about 10 ms, which DefBuckets
 * would put in a single bucket; these let a p50/p99 be estimated from the histogram (bench/steady.ts).
 */
export const RELIST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A superset of DefBuckets with steps around the 1 s relist period, where every interval falls. */
export const RELIST_INTERVAL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.1, 1.25, 1.5, 2, 2.5, 5, 10];

/** kubecontainer.State values, the container_state label of kubelet_running_containers. */
const CONTAINER_STATES: ObservedContainerState[] = ['created', 'running', 'exited', 'unknown'];

export interface PlegMetricsOptions {
  /** Unix ms when the last successful relist began, undefined before the first (GenericPLEG.lastRelist). */
  lastRelistAt(): number | undefined;
  /** The runtime cache (PodCache): what the runtime holds, as last inspected. */
  cache: { uids(): string[]; get(uid: string): ObservedPod | undefined };
}

/** Registers the PLEG metrics; returns the observer to hand to the GenericPLEG. */
export function registerPlegMetrics(registry: Registry, opts: PlegMetricsOptions): RelistObserver {
  const registers = [registry];
  const duration = new Histogram({
    name: 'kubelet_pleg_relist_duration_seconds',
    help: 'Duration in seconds for relisting pods in PLEG.',
    buckets: RELIST_DURATION_BUCKETS,
    registers,
  });
  const interval = new Histogram({
    name: 'kubelet_pleg_relist_interval_seconds',
    help: 'Interval in seconds between relisting in PLEG.',
    buckets: RELIST_INTERVAL_BUCKETS,
    registers,
  });
  // The kubelet sets it in GenericPLEG.Healthy, so alerts can use time() - kubelet_pleg_last_seen_seconds.
  new Gauge({
    name: 'kubelet_pleg_last_seen_seconds',
    help: 'Timestamp in seconds when PLEG was last seen active.',
    registers,
    collect() {
      const at = opts.lastRelistAt();
      if (at !== undefined) this.set(Math.floor(at / 1000));
    },
  });
  registerRunningGauges(registry, opts.cache);
  return (durationMs, intervalMs) => {
    duration.observe(durationMs / 1000);
    if (intervalMs !== undefined) interval.observe(intervalMs / 1000);
  };
}

/**
 * kubelet: updateRunningPodAndContainerMetrics, which runs on every relist; here the counts are
 * taken from the cache when scraped, so nothing is counted between scrapes. A pod is running when
 * one of its sandboxes is ready. Every state is set each scrape, so a state with no containers
 * left shows 0 (the kubelet keeps its last count for it).
 */
function registerRunningGauges(registry: Registry, cache: PlegMetricsOptions['cache']): void {
  new Gauge({
    name: 'kubelet_running_pods',
    help: 'Number of pods that have a running pod sandbox',
    registers: [registry],
    collect() {
      let running = 0;
      for (const uid of cache.uids()) if (cache.get(uid)?.sandboxes.some((s) => s.state === 'ready')) running++;
      this.set(running);
    },
  });
  new Gauge({
    name: 'kubelet_running_containers',
    help: 'Number of containers currently running',
    labelNames: ['container_state'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(CONTAINER_STATES.map((s) => [s, 0]));
      for (const uid of cache.uids()) for (const c of cache.get(uid)?.containers ?? []) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ container_state: state }, n);
    },
  });
}
