// The prober's metrics, served at /metrics/probes as the kubelet serves them (pkg/kubelet/prober: ProberResults, ProberDuration).
import { Counter, Histogram, Registry } from 'prom-client';
import type { ProbeResult, ProbeType } from '../prober/types.js';
import { DEF_BUCKETS } from './pleg.js';

/** Which probe of which container: the labels every series of one prober worker carries. */
export interface ProbeTarget {
  probeType: ProbeType;
  container: string;
  pod: string;
  namespace: string;
  podUID: string;
}

/** What a prober worker reports: one probe's result and how long it took, and its end. */
export interface ProbeMetricsObserver {
  observe(target: ProbeTarget, result: ProbeResult, seconds: number): void;
  /** The worker stopped: its series go, as the kubelet's worker deletes its labels on exit. */
  forget(target: ProbeTarget): void;
}

/** The kubelet's result label values: probe results are Success, Failure or Unknown inside. */
const RESULT_LABEL: Record<ProbeResult, string> = { Success: 'successful', Failure: 'failed', Unknown: 'unknown' };

/**
 * A registry of its own, as the kubelet keeps the probe metrics apart from /metrics, with
 * prober_probe_total{probe_type, result, container, pod, namespace, pod_uid} and
 * prober_probe_duration_seconds{probe_type, container, pod, namespace}.
 */
export function createProbeMetrics(): { registry: Registry; observer: ProbeMetricsObserver } {
  const registry = new Registry();
  const total = new Counter({
    name: 'prober_probe_total',
    help: 'Cumulative number of a liveness, readiness or startup probe for a container by result.',
    labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace', 'pod_uid'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'prober_probe_duration_seconds',
    help: 'Duration in seconds for a probe response.',
    labelNames: ['probe_type', 'container', 'pod', 'namespace'],
    buckets: DEF_BUCKETS,
    registers: [registry],
  });
  // prom-client writes labels in the order of the object's keys: the kubelet's order.
  const totalLabels = (t: ProbeTarget, result: string) => ({ probe_type: t.probeType, result, container: t.container, pod: t.pod, namespace: t.namespace, pod_uid: t.podUID });
  const durationLabels = (t: ProbeTarget) => ({ probe_type: t.probeType, container: t.container, pod: t.pod, namespace: t.namespace });
  return {
    registry,
    observer: {
      observe(t, result, seconds) {
        total.inc(totalLabels(t, RESULT_LABEL[result]));
        duration.observe(durationLabels(t), seconds);
      },
      forget(t) {
        for (const result of Object.values(RESULT_LABEL)) total.remove(totalLabels(t, result));
        duration.remove(durationLabels(t));
      },
    },
  };
}
