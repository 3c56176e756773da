// The floor: RunPodSandbox + CreateContainer + StartContainer straight from the CRI client, N pods at a given concurrency, no kubelet logic.
//
// The configs are the agent's own (its manifest decoding, translate/ generators and volume
// manager), prepared before the clock starts, so the runtime does the same work for both.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { onCleanup } from './lib/cleanup.js';
import { floorPod, type FloorPod, type PodShape } from './lib/pods.js';
import { forEachLimit, removeOwned, type BenchRuntime } from './lib/runtime.js';
import { round, summarize, type Summary } from './lib/stats.js';

export interface FloorResult {
  figure: 'floor';
  pods: number;
  concurrency: number;
  hostNetwork: boolean;
  wallMs: number;
  podsPerSec: number;
  /** Each pod's RunPodSandbox → StartContainer returned, ms. */
  perPodMs: Summary;
}

/** A bench-only node name and dirs for floor pods; close() removes every sandbox made under it. */
export class FloorSession {
  readonly nodeName = `bench-floor-${Math.random().toString(36).slice(2, 7)}`;
  private readonly base = mkdtempSync(path.join(tmpdir(), 'mk-bench-floor-'));
  private readonly dirs = { rootDir: path.join(this.base, 'root'), podLogsDir: path.join(this.base, 'logs') };
  readonly close: () => Promise<void>;

  constructor(private readonly rt: BenchRuntime) {
    mkdirSync(this.dirs.podLogsDir, { recursive: true });
    this.close = onCleanup(async () => {
      await removeOwned(rt.cri, this.nodeName);
      rmSync(this.base, { recursive: true, force: true });
    });
  }

  /** The pod's configs, with its host dirs made (the kubelet makes the log dir before RunPodSandbox), off the clock. */
  async prepare(name: string, shape: PodShape = {}): Promise<FloorPod> {
    const p = await floorPod(name, this.nodeName, this.dirs, shape);
    mkdirSync(p.sandbox.logDirectory!, { recursive: true });
    return p;
  }

  /** The timed part: the three CRI calls. `ms` is their duration; `at` the wall clock when they began. */
  async start(p: FloorPod): Promise<{ ms: number; at: number; containerId: string }> {
    const { cri } = this.rt;
    const at = Date.now();
    const t0 = performance.now();
    const sandboxId = await cri.runPodSandbox(p.sandbox);
    const containerId = await cri.createContainer(sandboxId, p.container, p.sandbox);
    await cri.startContainer(containerId);
    return { ms: performance.now() - t0, at, containerId };
  }

  /** Removes what was made so far (the next measurement starts from an empty runtime). */
  async clear(): Promise<void> {
    await removeOwned(this.rt.cri, this.nodeName);
  }
}

export async function runFloor(rt: BenchRuntime, opts: { pods: number; concurrency: number } & PodShape): Promise<FloorResult> {
  const session = new FloorSession(rt);
  try {
    const pods: FloorPod[] = [];
    for (let i = 0; i < opts.pods; i++) pods.push(await session.prepare(`floor-${i}`, opts));
    const perPod: number[] = [];
    const t0 = performance.now();
    await forEachLimit(pods, opts.concurrency, async (p) => {
      perPod.push((await session.start(p)).ms);
    });
    const wallMs = performance.now() - t0;
    return {
      figure: 'floor',
      pods: opts.pods,
      concurrency: opts.concurrency,
      hostNetwork: opts.hostNetwork ?? false,
      wallMs: round(wallMs, 0),
      podsPerSec: round(opts.pods / (wallMs / 1000)),
      perPodMs: summarize(perPod),
    };
  } finally {
    await session.close();
  }
}
