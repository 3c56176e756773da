// The Prometheus text format (0.0.4) for samples that carry their own timestamps, which prom-client cannot write.
//
// prom-client (15.x) writes a sample as `name{labels} value` only: sample timestamps were removed
// from it, and its metrics keep every label set they ever saw until reset. The kubelet's
// /metrics/resource stamps each CPU and memory sample with the time it was measured (metrics-server
// computes CPU rates from those times, not from its scrape times), and its set of containers
// changes with every scrape. So those samples are built fresh per scrape and written here, in the
// order client_golang's Gather writes them: families by name, label pairs by name, samples by
// label values; a family with no samples is left out.

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Unix milliseconds; written after the value when given. */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** HELP text escapes only backslash and newline; label values also escape the double quote. */
function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Go's expfmt spellings of the special values; every finite number as JavaScript writes it (the parser reads both). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function sortedPairs(labels: Record<string, string> = {}): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function compareSamples(a: [string, string][], b: [string, string][]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]![1], b[i]![1]];
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function sampleLine(name: string, pairs: [string, string][], s: Sample): string {
  const labels = pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
  const ts = s.timestampMs === undefined || !Number.isFinite(s.timestampMs) ? '' : ` ${Math.floor(s.timestampMs)}`;
  return `${name}${labels} ${formatValue(s.value)}${ts}`;
}

/**
 * The families as one text body. A second sample with a label set already written in its family
 * is dropped: client_golang refuses such a duplicate and, under the kubelet's ContinueOnError,
 * serves the rest, keeping the first.
 */
export function encodeText(families: MetricFamily[]): string {
  const lines: string[] = [];
  const byName = [...families].filter((f) => f.samples.length > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of byName) {
    const seen = new Set<string>();
    const samples = f.samples
      .map((s) => ({ s, pairs: sortedPairs(s.labels) }))
      .filter(({ pairs }) => {
        const key = JSON.stringify(pairs);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      // Array.prototype.sort is stable: equal label values keep their collection order.
      .sort((a, b) => compareSamples(a.pairs, b.pairs));
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const { s, pairs } of samples) lines.push(sampleLine(f.name, pairs, s));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
