// Steady state: N running pods and nothing happening, for a while; the agent's CPU (% of one core), RSS and PLEG relist durations.
//
// CPU is utime + stime from /proc/<pid>/stat over the window; RSS is VmRSS sampled every second;
// relist durations come from the agent's kubelet_pleg_relist_duration_seconds histogram, scraped
// from /metrics at the start and the end of the window: the bucket counts are subtracted and
// p50/p99 estimated as Prometheus's histogram_quantile does (linear inside a bucket), so they are
// only as fine as the buckets (bounds at 1, 2.5, 5, 7.5, 10, 12.5, 15, 20, 25, 30, 40, 50 ms, ...);
// the mean is exact (_sum/_count). Min and max cannot be had from a histogram.
import type { BenchAgent } from './lib/agent.js';
import { histogramQuantile, parseHistogram, parseSample, subtractHistogram, type PromHistogram } from './lib/histogram.js';
import { round, sleep } from './lib/stats.js';

const RELIST_HISTOGRAM = 'kubelet_pleg_relist_duration_seconds';

/** Relists in the window: how many, and their duration in ms (p50/p99 estimated from buckets). */
export interface RelistEstimate {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export interface SteadyResult {
  figure: 'steady';
  pods: number;
  seconds: number;
  cpuPercent: number;
  /** RSS at the end and the most in the window; `series` is each 1 s sample, to see when a maximum fell. */
  rssMB: { end: number; max: number; series: number[] };
  peakRssMB: number;
  relistMs: RelistEstimate;
  agentErrors: number;
}

export async function runSteady(agent: BenchAgent, opts: { pods: number; seconds: number; settleSeconds?: number }): Promise<SteadyResult> {
  // Let the burst's tail (status updates, the first relists that inspect new containers) pass.
  await sleep((opts.settleSeconds ?? 5) * 1000);
  // Scraped outside the CPU window: a scrape is work the agent would not do otherwise.
  const before = parseHistogram(await agent.metrics(), RELIST_HISTOGRAM);
  const cpu0 = agent.cpuSeconds();
  const t0 = Date.now();
  const rss: number[] = [];
  while (Date.now() - t0 < opts.seconds * 1000) {
    await sleep(1000);
    rss.push(agent.memory().rssMB);
  }
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = agent.cpuSeconds() - cpu0;
  const text = await agent.metrics();
  const after = parseHistogram(text, RELIST_HISTOGRAM);
  if (!after) throw new Error(`the agent's /metrics has no ${RELIST_HISTOGRAM}`);
  return {
    figure: 'steady',
    pods: parseSample(text, 'kubelet_running_pods') ?? opts.pods,
    seconds: round(elapsed, 1),
    cpuPercent: round((cpu / elapsed) * 100),
    rssMB: { end: rss.at(-1) ?? 0, max: Math.max(0, ...rss), series: rss },
    peakRssMB: agent.memory().peakMB,
    relistMs: relistEstimate(subtractHistogram(after, before)),
    agentErrors: agent.errorCount(),
  };
}

function relistEstimate(h: PromHistogram): RelistEstimate {
  const ms = (seconds: number) => (Number.isFinite(seconds) ? round(seconds * 1000) : 0);
  return {
    n: h.count,
    p50: ms(histogramQuantile(0.5, h)),
    p99: ms(histogramQuantile(0.99, h)),
    mean: h.count > 0 ? ms(h.sum / h.count) : 0,
  };
}
