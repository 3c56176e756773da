// bench/lib/histogram.ts: reading a histogram back from /metrics text, subtracting two scrapes, and histogram_quantile's linear estimate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { histogramQuantile, parseHistogram, parseSample, subtractHistogram, type PromHistogram } from '../../bench/lib/histogram.js';
import { RELIST_DURATION_BUCKETS } from '../../src/metrics/pleg.js';

/** Cumulative buckets from per-bucket counts. */
function hist(bounds: number[], perBucket: number[], sum = 0): PromHistogram {
  let acc = 0;
  const buckets = [...bounds, Infinity].map((le, i) => ({ le, count: (acc += perBucket[i] ?? 0) }));
  return { buckets, sum, count: acc };
}

describe('histogramQuantile (as PromQL histogram_quantile)', () => {
  const cases: { name: string; q: number; h: PromHistogram; want: number }[] = [
    { name: 'interpolates inside the bucket holding the rank', q: 0.5, h: hist([1, 2, 4], [0, 10, 0]), want: 1.5 },
    { name: 'the first bucket starts at 0', q: 0.5, h: hist([1, 2], [4, 0]), want: 0.5 },
    { name: 'a rank on a bucket boundary is that bucket’s upper bound', q: 0.5, h: hist([1, 2], [5, 5]), want: 1 },
    { name: 'p99 of 100 lands in the last 1 of the bucket', q: 0.99, h: hist([0.01, 0.02], [50, 50]), want: 0.0198 },
    { name: 'a rank in +Inf answers the highest finite bound', q: 0.99, h: hist([1, 2], [1, 1, 8]), want: 2 },
    { name: 'no observations is NaN', q: 0.5, h: hist([1, 2], [0, 0]), want: NaN },
    { name: 'q above 1 is +Inf', q: 1.5, h: hist([1], [3]), want: Infinity },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = histogramQuantile(c.q, c.h);
      if (Number.isNaN(c.want)) assert.ok(Number.isNaN(got), `got ${got}`);
      else assert.ok(got === c.want || Math.abs(got - c.want) < 1e-9, `got ${got}, want ${c.want}`);
    });
  }
});

describe('reading /metrics text', () => {
  async function scrapeOf(values: number[]): Promise<{ text: string; registry: Registry; h: Histogram }> {
    const registry = new Registry();
    const h = new Histogram({ name: 'kubelet_pleg_relist_duration_seconds', help: 'x', buckets: RELIST_DURATION_BUCKETS, registers: [registry] });
    for (const v of values) h.observe(v);
    return { text: await registry.metrics(), registry, h };
  }

  it('parses a prom-client histogram: every bucket, _sum and _count', async () => {
    const { text } = await scrapeOf([0.004, 0.009, 0.011, 0.3]);
    const h = parseHistogram(text, 'kubelet_pleg_relist_duration_seconds');
    assert.ok(h);
    assert.equal(h.buckets.length, RELIST_DURATION_BUCKETS.length + 1);
    assert.equal(h.buckets.at(-1)!.le, Infinity);
    assert.equal(h.count, 4);
    assert.ok(Math.abs(h.sum - 0.324) < 1e-9);
    assert.equal(h.buckets.find((b) => b.le === 0.01)!.count, 2);
  });

  it('the window between two scrapes is the second minus the first, and its quantiles are the window’s own', async () => {
    const { registry, h } = await scrapeOf([]);
    for (let i = 0; i < 100; i++) h.observe(0.5); // before the window: slow relists
    const start = parseHistogram(await registry.metrics(), 'kubelet_pleg_relist_duration_seconds');
    for (let i = 0; i < 100; i++) h.observe(0.008 + (i % 2) * 0.001); // in the window: 8 and 9 ms
    const end = parseHistogram(await registry.metrics(), 'kubelet_pleg_relist_duration_seconds')!;
    const window = subtractHistogram(end, start);
    assert.equal(window.count, 100);
    assert.ok(Math.abs(window.sum / window.count - 0.0085) < 1e-9, 'mean from _sum/_count');
    // All 100 in the (7.5, 10] ms bucket: p50 halfway, p99 near its top.
    assert.ok(Math.abs(histogramQuantile(0.5, window) - 0.00875) < 1e-9);
    assert.ok(Math.abs(histogramQuantile(0.99, window) - 0.009975) < 1e-9);
  });

  it('a gauge sample, and a histogram that is not there', async () => {
    const text = '# HELP kubelet_running_pods x\n# TYPE kubelet_running_pods gauge\nkubelet_running_pods 100\nkubelet_running_pods_other 3\n';
    assert.equal(parseSample(text, 'kubelet_running_pods'), 100);
    assert.equal(parseHistogram(text, 'kubelet_pleg_relist_duration_seconds'), undefined);
  });
});
