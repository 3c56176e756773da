// Burst: N manifests written at once, until every pod is Running by CRI and by /pods; wall time, pods/s, CPU and memory.
//
// Also the measurement behind the scale figure. Completion is polled every 250 ms: a GET /pods of
// 100 pods costs the agent ~5 ms of CPU, and a tighter poll would itself load the 2 cores being
// measured (at 100 ms it was a fifth of the agent's CPU in a burst). The newest containerd
// startedAt gives the CRI wall time without polling bias.
import { BenchAgent, isRunning } from './lib/agent.js';
import { onCleanup } from './lib/cleanup.js';
import { podManifest, type PodShape } from './lib/pods.js';
import { containersByPod, lastStartedAt, type BenchRuntime } from './lib/runtime.js';
import { ratio, round, sleep, summarize } from './lib/stats.js';
import { runFloor } from './floor.js';
import { waitForQuiet } from './lib/quiet.js';

export interface BurstMeasure {
  pods: number;
  hostNetwork: boolean;
  /** Manifests written → every container running by ListContainers (polled). */
  wallCriMs: number;
  /** Manifests written → the newest containerd startedAt (no polling bias). */
  wallStartedAtMs: number;
  /** Manifests written → /pods says every pod Running (polled). */
  wallPodsMs: number;
  podsPerSec: number;
  /** Agent CPU (user + system) from the write until all Running. */
  cpuSeconds: number;
  /** Agent peak RSS (VmHWM) since it started, MB. */
  peakRssMB: number;
}

const POLL_MS = 250;

export async function measureBurst(agent: BenchAgent, rt: BenchRuntime, n: number, shape: PodShape = {}, timeoutMs = 300_000): Promise<BurstMeasure> {
  const names = Array.from({ length: n }, (_, i) => `burst-${i}`);
  const cpu0 = agent.cpuSeconds();
  const t0 = Date.now();
  agent.writeManifests(names.map((name) => ({ file: `${name}.yaml`, content: podManifest(name, shape) })));
  let tCri = 0;
  let tPods = 0;
  while (!tCri || !tPods) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`burst of ${n}: not all Running after ${timeoutMs} ms\n${agent.logTail()}`);
    await sleep(POLL_MS);
    if (!tCri && (await containersByPod(rt.cri, agent.nodeName, 'CONTAINER_RUNNING')).size >= n) tCri = Date.now();
    if (!tPods && (await agent.pods()).filter(isRunning).length >= n) tPods = Date.now();
  }
  const cpuSeconds = agent.cpuSeconds() - cpu0;
  const startedAt = await lastStartedAt(rt.cri, agent.nodeName);
  const wallPodsMs = tPods - t0;
  return {
    pods: n,
    hostNetwork: shape.hostNetwork ?? false,
    wallCriMs: tCri - t0,
    wallStartedAtMs: round(startedAt - t0, 0),
    wallPodsMs,
    podsPerSec: round(n / (wallPodsMs / 1000)),
    cpuSeconds: round(cpuSeconds),
    peakRssMB: agent.memory().peakMB,
  };
}

export interface BurstResult extends BurstMeasure {
  figure: 'burst';
  rounds: number;
  /** Each round's agent wall time to all Running in /pods, ms. */
  roundsPodsMs: number[];
  /** The paired floor runs (one per round, right before it), at the floor's best concurrency. */
  floorWallsMs: number[];
  floorWallMs: number;
  floorConcurrency: number;
  /** Each round's agent / its paired floor (all Running in /pods), and their median and spread. */
  roundRatiosPods: number[];
  ratioPodsMedian: { p50: number; min: number; max: number } | null;
  /** Sums over the rounds: agent / floor. */
  ratioCri: number | null;
  ratioPods: number | null;
  ratioStartedAt: number | null;
  agentErrors: number;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * The burst figure: `rounds` times a floor run at the given concurrency then a fresh agent with
 * the same number of pods, so both sides see the same machine. The last round's agent is handed
 * to `then` with its pods still running (the steady and reaction figures reuse them), and cleaned
 * up afterwards whatever happens. The reported measure is the last round's; ratios use every round.
 */
export async function runBurst(
  rt: BenchRuntime,
  opts: { pods: number; concurrency: number; rounds: number; extraArgs?: string[] },
  then?: (agent: BenchAgent) => Promise<void>,
): Promise<BurstResult> {
  const measures: BurstMeasure[] = [];
  const floors: number[] = [];
  let errors = 0;
  for (let round = 0; round < opts.rounds; round++) {
    // Each side starts on a quiet machine (lib/quiet.ts): the agent after its own start-up too.
    await waitForQuiet();
    floors.push((await runFloor(rt, { pods: opts.pods, concurrency: opts.concurrency })).wallMs);
    const agent = await BenchAgent.start({ name: 'burst', endpoint: rt.endpoint, extraArgs: opts.extraArgs });
    const cleanup = onCleanup(() => agent.cleanup(rt.cri));
    try {
      await waitForQuiet();
      measures.push(await measureBurst(agent, rt, opts.pods));
      if (round === opts.rounds - 1) await then?.(agent);
      errors += agent.errorCount();
    } finally {
      await cleanup();
    }
  }
  const last = measures.at(-1)!;
  const roundRatiosPods = measures.map((m, i) => ratio(m.wallPodsMs, floors[i]!)).filter((r): r is number => r !== null);
  const floorSum = sum(floors);
  return {
    figure: 'burst',
    ...last,
    rounds: opts.rounds,
    roundsPodsMs: measures.map((m) => m.wallPodsMs),
    floorWallsMs: floors,
    floorWallMs: round(floorSum / floors.length, 0),
    floorConcurrency: opts.concurrency,
    roundRatiosPods,
    ratioPodsMedian: roundRatiosPods.length ? (({ p50, min, max }) => ({ p50, min, max }))(summarize(roundRatiosPods)) : null,
    ratioCri: ratio(sum(measures.map((m) => m.wallCriMs)), floorSum),
    ratioPods: ratio(sum(measures.map((m) => m.wallPodsMs)), floorSum),
    ratioStartedAt: ratio(sum(measures.map((m) => m.wallStartedAtMs)), floorSum),
    agentErrors: errors,
  };
}
