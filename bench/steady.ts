// Steady state: N running pods and nothing happening, for a while; the agent's CPU (% of one core), RSS and PLEG relist durations.
//
// CPU is utime + stime from /proc/<pid>/stat over the window; RSS is VmRSS sampled every second;
// relist durations are the agent's own 'PLEG relist' debug lines (durationMs) logged in the window.
import type { BenchAgent } from './lib/agent.js';
import { round, sleep, summarize, type Summary } from './lib/stats.js';

export interface SteadyResult {
  figure: 'steady';
  pods: number;
  seconds: number;
  cpuPercent: number;
  rssMB: { end: number; max: number };
  peakRssMB: number;
  relistMs: Summary;
  agentErrors: number;
}

export async function runSteady(agent: BenchAgent, opts: { pods: number; seconds: number; settleSeconds?: number }): Promise<SteadyResult> {
  // Let the burst's tail (status updates, the first relists that inspect new containers) pass.
  await sleep((opts.settleSeconds ?? 5) * 1000);
  const from = agent.relists.length;
  const cpu0 = agent.cpuSeconds();
  const t0 = Date.now();
  const rss: number[] = [];
  while (Date.now() - t0 < opts.seconds * 1000) {
    await sleep(1000);
    rss.push(agent.memory().rssMB);
  }
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = agent.cpuSeconds() - cpu0;
  const relists = agent.relists.slice(from);
  return {
    figure: 'steady',
    pods: relists.at(-1)?.pods ?? opts.pods,
    seconds: round(elapsed, 1),
    cpuPercent: round((cpu / elapsed) * 100),
    rssMB: { end: rss.at(-1) ?? 0, max: Math.max(0, ...rss) },
    peakRssMB: agent.memory().peakMB,
    relistMs: summarize(relists.map((r) => r.durationMs)),
    agentErrors: agent.errorCount(),
  };
}
