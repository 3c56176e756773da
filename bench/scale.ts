// Scale: bursts of 10, 50, 100 and 200 pods, each on a fresh agent; wall time, agent CPU seconds and peak RSS against the pod count.
//
// Each size has its own floor run (same pods, the floor's best concurrency), so the ratio column
// is measured under the same conditions. Growth is judged by the exponent k of a power-law fit
// (y ≈ c·n^k): CPU and memory must stay within k ≤ 1.1, and wall time must grow no faster than
// the floor's own (containerd and CNI slow down with many pods whoever drives them).
import { BenchAgent } from './lib/agent.js';
import { onCleanup } from './lib/cleanup.js';
import { runFloor } from './floor.js';
import { measureBurst, type BurstMeasure } from './burst.js';
import type { BenchRuntime } from './lib/runtime.js';
import { growthExponent, ratio } from './lib/stats.js';

export interface ScalePoint extends BurstMeasure {
  floorWallMs: number;
  ratioPods: number | null;
  cpuMsPerPod: number;
}

export interface ScaleResult {
  figure: 'scale';
  sizes: number[];
  hostNetwork: boolean;
  /** Why host-network pods were used, when they were. */
  note?: string;
  floorConcurrency: number;
  points: ScalePoint[];
  /** Power-law exponents over the sizes: 1 is linear. `floorWall` is the runtime's own growth. */
  exponent: { wall: number | null; floorWall: number | null; cpu: number | null; peakRss: number | null };
  /** CPU grows at most linearly, and wall time no faster than the floor's (both within 0.1). */
  linear: boolean;
}

export async function runScale(
  rt: BenchRuntime,
  opts: { sizes: number[]; floorConcurrency: number; hostNetwork: boolean; note?: string; extraArgs?: string[] },
): Promise<ScaleResult> {
  const points: ScalePoint[] = [];
  for (const n of opts.sizes) {
    const floor = await runFloor(rt, { pods: n, concurrency: opts.floorConcurrency, hostNetwork: opts.hostNetwork });
    console.log(JSON.stringify({ ...floor, for: `scale ${n}` }));
    // The kubelet's --max-pods default (110) would reject the rest of a 200-pod point at admission.
    const maxPods = ['--max-pods', String(Math.max(110, n + 10))];
    const agent = await BenchAgent.start({ name: `scale${n}`, endpoint: rt.endpoint, extraArgs: [...maxPods, ...(opts.extraArgs ?? [])] });
    const cleanup = onCleanup(() => agent.cleanup(rt.cri));
    try {
      const m = await measureBurst(agent, rt, n, { hostNetwork: opts.hostNetwork });
      const point = { ...m, floorWallMs: floor.wallMs, ratioPods: ratio(m.wallPodsMs, floor.wallMs), cpuMsPerPod: Math.round((m.cpuSeconds * 1000) / n) };
      console.log(JSON.stringify({ figure: 'scale-point', ...point }));
      points.push(point);
    } finally {
      await cleanup();
    }
  }
  const fit = (y: (p: ScalePoint) => number) => growthExponent(points.map((p) => ({ n: p.pods, y: y(p) })));
  const exponent = { wall: fit((p) => p.wallPodsMs), floorWall: fit((p) => p.floorWallMs), cpu: fit((p) => p.cpuSeconds), peakRss: fit((p) => p.peakRssMB) };
  const within = (k: number | null, limit: number) => k === null || k <= limit + 0.1;
  return {
    figure: 'scale',
    sizes: opts.sizes,
    hostNetwork: opts.hostNetwork,
    ...(opts.note ? { note: opts.note } : {}),
    floorConcurrency: opts.floorConcurrency,
    points,
    exponent,
    linear: within(exponent.cpu, 1) && within(exponent.peakRss, 1) && within(exponent.wall, Math.max(1, exponent.floorWall ?? 1)),
  };
}
