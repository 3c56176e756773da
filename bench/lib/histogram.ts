// Prometheus histograms from a /metrics text: read one, subtract an earlier scrape, estimate quantiles as PromQL's histogram_quantile.

export interface PromHistogram {
  /** Cumulative counts by upper bound, ascending; the last bound is +Inf. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** `name{labels} value` lines → [labels, value]; `labels` excludes nothing (le included). */
function samples(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    const m = /^(?:\{(.*)\})?\s+(\S+)/.exec(rest);
    if (!m) continue; // another metric whose name starts with this one
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: parseValue(m[2]!) });
  }
  return out;
}

function parseValue(v: string): number {
  return v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
}

const matches = (labels: Record<string, string>, want: Record<string, string>) => Object.entries(want).every(([k, v]) => labels[k] === v);

/** One sample's value (a gauge or counter), undefined when the text has none matching. */
export function parseSample(text: string, name: string, want: Record<string, string> = {}): number | undefined {
  return samples(text, name).find((s) => matches(s.labels, want))?.value;
}

/** The histogram `name` (the series whose labels include `want`), undefined when absent. */
export function parseHistogram(text: string, name: string, want: Record<string, string> = {}): PromHistogram | undefined {
  const buckets = samples(text, `${name}_bucket`)
    .filter((s) => matches(s.labels, want) && s.labels.le !== undefined)
    .map((s) => ({ le: parseValue(s.labels.le!), count: s.value }))
    .sort((a, b) => a.le - b.le);
  const sum = parseSample(text, `${name}_sum`, want);
  const count = parseSample(text, `${name}_count`, want);
  if (buckets.length === 0 || sum === undefined || count === undefined) return undefined;
  return { buckets, sum, count };
}

/** What was observed between two scrapes of the same histogram (same buckets): end minus start. */
export function subtractHistogram(end: PromHistogram, start: PromHistogram | undefined): PromHistogram {
  if (!start) return end;
  const before = new Map(start.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: end.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) })),
    sum: end.sum - start.sum,
    count: end.count - start.count,
  };
}

/**
 * The q-quantile as Prometheus's histogram_quantile (promql bucketQuantile) estimates it: find the
 * bucket holding rank q·count and interpolate linearly inside it, from the previous bound (0 for the
 * first bucket). A rank in the +Inf bucket answers the highest finite bound. NaN without observations.
 */
export function histogramQuantile(q: number, h: PromHistogram): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const b = h.buckets;
  if (b.length < 2 || b.at(-1)!.le !== Infinity) return NaN;
  // Counts are cumulative; a scrape taken mid-update may not be, so keep them monotonic.
  const counts = b.map((x) => x.count);
  for (let i = 1; i < counts.length; i++) counts[i] = Math.max(counts[i]!, counts[i - 1]!);
  const total = counts.at(-1)!;
  if (total <= 0) return NaN;
  let rank = q * total;
  const i = counts.findIndex((c) => c >= rank);
  if (i === b.length - 1) return b[b.length - 2]!.le;
  if (i === 0 && b[0]!.le <= 0) return b[0]!.le;
  let start = 0;
  let inBucket = counts[i]!;
  if (i > 0) {
    start = b[i - 1]!.le;
    inBucket -= counts[i - 1]!;
    rank -= counts[i - 1]!;
  }
  return start + (b[i]!.le - start) * (rank / inBucket);
}
