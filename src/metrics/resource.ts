// The kubelet's resource metrics (GET /metrics/resource, what metrics-server scrapes): node, pod and container CPU and memory from the Summary.
//
// As the kubelet's resource metrics collector (pkg/kubelet/metrics/collectors/resource_metrics.go):
// every scrape asks for the CPU-and-memory Summary afresh and writes only what it holds now, so a
// container that is gone leaves no series behind. Cumulative CPU is in core-seconds, memory is the
// working set in bytes, and each sample carries the time it was measured. A failed Summary answers
// only the scrape-error gauges, set to 1. The swap metrics are left out: the Summary has no swap.
import { Registry } from 'prom-client';
import type { SummaryOptions } from '../stats/provider.js';
import type { CPUStats, MemoryStats, PodStats, Summary } from '../stats/types.js';
import { encodeText, type MetricFamily, type MetricType, type Sample } from './exposition.js';

/** Name, HELP (with component-base's stability prefix, as the kubelet's HELP lines read) and type. */
interface Desc {
  name: string;
  help: string;
  type: MetricType;
}

const desc = (name: string, help: string, type: MetricType): Desc => ({ name, help, type });

const NODE_CPU = desc('node_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the node in core-seconds', 'counter');
const NODE_MEMORY = desc('node_memory_working_set_bytes', '[STABLE] Current working set of the node in bytes', 'gauge');
const CONTAINER_CPU = desc('container_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the container in core-seconds', 'counter');
const CONTAINER_MEMORY = desc('container_memory_working_set_bytes', '[STABLE] Current working set of the container in bytes', 'gauge');
const CONTAINER_START = desc('container_start_time_seconds', '[STABLE] Start time of the container since unix epoch in seconds', 'gauge');
const POD_CPU = desc('pod_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds', 'counter');
const POD_MEMORY = desc('pod_memory_working_set_bytes', '[STABLE] Current working set of the pod in bytes', 'gauge');
const SCRAPE_ERROR = desc('resource_scrape_error', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise', 'gauge');
// The older name, deprecated in 1.29 for resource_scrape_error. A kubelet since 1.30 hides it unless
// --show-hidden-metrics-for-version asks for it; it is kept here so scrapers of either name work.
const SCRAPE_ERROR_OLD = desc('scrape_error', '[ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise', 'gauge');

export interface ResourceMetricsLogger {
  error(obj: unknown, msg?: string): void;
}

/** The shape the read-only server serves as Prometheus text (as a prom-client Registry is). */
export interface ResourceMetrics {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** Unix milliseconds of a Summary time, or undefined when it does not parse. */
function ms(time: string | undefined): number | undefined {
  const t = time === undefined ? NaN : Date.parse(time);
  return Number.isFinite(t) ? t : undefined;
}

function cpuSample(cpu: CPUStats | undefined, labels?: Record<string, string>): Sample | undefined {
  if (cpu?.usageCoreNanoSeconds === undefined) return undefined;
  return { labels, value: cpu.usageCoreNanoSeconds / 1e9, timestampMs: ms(cpu.time) };
}

function memorySample(mem: MemoryStats | undefined, labels?: Record<string, string>): Sample | undefined {
  if (mem?.workingSetBytes === undefined) return undefined;
  return { labels, value: mem.workingSetBytes, timestampMs: ms(mem.time) };
}

const podLabels = (pod: PodStats) => ({ pod: pod.podRef.name, namespace: pod.podRef.namespace });

/** The families for one Summary; a figure the Summary lacks is no sample (never a 0). */
export function resourceFamilies(s: Summary): MetricFamily[] {
  const families = new Map<Desc, Sample[]>();
  const add = (d: Desc, sample: Sample | undefined) => {
    if (!sample) return;
    const list = families.get(d) ?? [];
    list.push(sample);
    families.set(d, list);
  };
  add(NODE_CPU, cpuSample(s.node.cpu));
  add(NODE_MEMORY, memorySample(s.node.memory));
  for (const pod of s.pods) {
    const ofPod = podLabels(pod);
    for (const c of pod.containers) {
      const labels = { container: c.name, ...ofPod };
      const start = ms(c.startTime);
      // The kubelet skips a start time at or before the epoch (an unset time); it has no timestamp of its own.
      if (start !== undefined && start >= 1000) add(CONTAINER_START, { labels, value: start / 1000 });
      add(CONTAINER_CPU, cpuSample(c.cpu, labels));
      add(CONTAINER_MEMORY, memorySample(c.memory, labels));
    }
    add(POD_CPU, cpuSample(pod.cpu, ofPod));
    add(POD_MEMORY, memorySample(pod.memory, ofPod));
  }
  return [...families].map(([d, samples]) => ({ ...d, samples }));
}

function scrapeErrors(failed: boolean): MetricFamily[] {
  return [SCRAPE_ERROR, SCRAPE_ERROR_OLD].map((d) => ({ ...d, samples: [{ value: failed ? 1 : 0 }] }));
}

/**
 * /metrics/resource over `summary` (StatsProvider.summary), asked for CPU and memory only as the
 * kubelet's collector calls GetCPUAndMemoryStats. metrics() never rejects: a failure is logged and
 * scraped as 1.
 */
export function resourceMetrics(summary: (opts: SummaryOptions) => Promise<Summary>, logger: ResourceMetricsLogger): ResourceMetrics {
  return {
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    async metrics() {
      let s: Summary;
      try {
        s = await summary({ onlyCpuAndMemory: true });
      } catch (err) {
        logger.error({ err }, 'error getting summary for the resource metrics endpoint');
        return encodeText(scrapeErrors(true));
      }
      return encodeText([...resourceFamilies(s), ...scrapeErrors(false)]);
    },
  };
}
