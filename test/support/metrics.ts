// Reads one sample out of a prom-client registry (a counter, a gauge, or a histogram's _bucket/_sum/_count) for the metrics tests.
import type { Registry } from 'prom-client';

/** The value of `name` with exactly these labels (le included for buckets); undefined when absent. */
export async function sampleOf(registry: Registry, name: string, labels: Record<string, string | number> = {}): Promise<number | undefined> {
  const base = /_(bucket|sum|count)$/.test(name) && !registry.getSingleMetric(name) ? name.replace(/_(bucket|sum|count)$/, '') : name;
  const metric = registry.getSingleMetric(base);
  if (!metric) throw new Error(`no metric ${base} in the registry`);
  // Histograms name each value (_bucket, _sum, _count); counters and gauges leave it to the metric's name.
  const values = (await metric.get()).values as { value: number; labels: Record<string, string | number | undefined>; metricName?: string }[];
  const want = Object.entries(labels);
  const found = values.find(
    (v) => (v.metricName ?? base) === name && want.length === Object.keys(v.labels).length && want.every(([k, x]) => String(v.labels[k]) === String(x)),
  );
  return found?.value;
}
