// Startup: one pod at a time, from writing its manifest to its container running in containerd, and to /pods saying Running.
//
// Each run is paired with a floor pod (the same configs, straight through CRI) right before or
// after it, alternating, so both see the same machine: ratios hold up on a noisy host where
// absolute times do not. The floor pod is started under the same polling load as the agent's. The agent's end is polled every 20 ms (CRI ListContainers, GET /pods);
// containerd's own startedAt gives a second reading with no polling in it, for both sides.
// Between runs everything is removed, so each run starts from an empty runtime.
import { BenchAgent, isRunning } from './lib/agent.js';
import { onCleanup } from './lib/cleanup.js';
import { podManifest } from './lib/pods.js';
import { POD_NAME_LABEL, ownershipSelector } from '../src/runtime/labels.js';
import { FloorSession } from './floor.js';
import type { BenchRuntime } from './lib/runtime.js';
import { ratio, sleep, summarize, type Summary } from './lib/stats.js';

export interface StartupResult {
  figure: 'startup';
  runs: number;
  /** Manifest written → a running container seen by ListContainers (20 ms poll). */
  criMs: Summary;
  /** Manifest written → /pods says Running (20 ms poll). */
  podsMs: Summary;
  /** Manifest written → containerd's startedAt for the container. */
  startedAtMs: Summary;
  /** The paired floor pods: RunPodSandbox → StartContainer returned. */
  floorMs: Summary;
  /** The paired floor pods: RunPodSandbox called → containerd's startedAt. */
  floorStartedAtMs: Summary;
  /** criMs p50 / floorMs p50. */
  ratioCri: number | null;
  /** podsMs p50 / floorMs p50. */
  ratioPods: number | null;
  /** startedAtMs p50 / floorStartedAtMs p50: no polling on either side. */
  ratioStartedAt: number | null;
  agentErrors: number;
}

const POLL_MS = 20;

/** Polls fn every POLL_MS until it is true; resolves with Date.now() at the first true. */
async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await fn()) return Date.now();
    if (Date.now() - started > timeoutMs) throw new Error(`startup: timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

export async function runStartup(rt: BenchRuntime, opts: { runs: number; extraArgs?: string[] }): Promise<StartupResult> {
  const { cri } = rt;
  const agent = await BenchAgent.start({ name: 'startup', endpoint: rt.endpoint, extraArgs: opts.extraArgs });
  const cleanup = onCleanup(() => agent.cleanup(cri));
  const floor = new FloorSession(rt);
  const startedAtOf = async (id: string) => (await cri.containerStatus(id)).startedAt / 1e6;
  const samples = { cri: [] as number[], pods: [] as number[], started: [] as number[], floor: [] as number[], floorStarted: [] as number[] };

  const agentRun = async (i: number): Promise<void> => {
    const name = `startup-${i}`;
    const podName = `${name}-${agent.nodeName}`;
    const t0 = Date.now();
    agent.writeManifest(`${name}.yaml`, podManifest(name));
    let containerId = '';
    const [tCri, tPods] = await Promise.all([
      until(`${name} running in containerd`, async () => {
        const list = await cri.listContainers({
          labelSelector: { ...ownershipSelector(agent.nodeName), [POD_NAME_LABEL]: podName },
          state: { state: 'CONTAINER_RUNNING' },
        });
        containerId = list[0]?.id ?? containerId;
        return list.length > 0;
      }),
      until(`${name} Running in /pods`, async () => isRunning((await agent.pods()).find((p) => p.metadata?.name === podName))),
    ]);
    const started = await startedAtOf(containerId);
    if (i > 0) {
      samples.cri.push(tCri - t0);
      samples.pods.push(tPods - t0);
      samples.started.push(started - t0);
    }
    agent.removeManifest(`${name}.yaml`);
    await until(`${name} removed`, async () => (await cri.listPodSandbox({ labelSelector: ownershipSelector(agent.nodeName) })).length === 0);
  };
  const floorRun = async (i: number): Promise<void> => {
    const p = await floor.prepare(`startup-floor-${i}`);
    const r = await whilePolling(floor.start(p), floor.nodeName);
    const started = await startedAtOf(r.containerId);
    if (i > 0) {
      samples.floor.push(r.ms);
      samples.floorStarted.push(started - r.at);
    }
    await floor.clear();
  };

  /**
   * The same polling load as during an agent run (ListContainers and GET /pods every 20 ms), so
   * containerd and the two cores are as busy while the floor pod starts as while the agent's does.
   */
  const whilePolling = async <T>(work: Promise<T>, nodeName: string): Promise<T> => {
    let done = false;
    const poll = async (fn: () => Promise<unknown>) => {
      while (!done) {
        await fn();
        if (!done) await sleep(POLL_MS);
      }
    };
    const pollers = [
      poll(() => cri.listContainers({ labelSelector: ownershipSelector(nodeName), state: { state: 'CONTAINER_RUNNING' } })),
      poll(() => agent.pods()),
    ];
    try {
      return await work;
    } finally {
      done = true;
      await Promise.all(pollers);
    }
  };

  try {
    // Run 0 of each warms up (first sandbox, JIT) and is not counted.
    for (let i = 0; i <= opts.runs; i++) {
      if (i % 2 === 0) {
        await floorRun(i);
        await agentRun(i);
      } else {
        await agentRun(i);
        await floorRun(i);
      }
    }
    const criMs = summarize(samples.cri);
    const podsMs = summarize(samples.pods);
    const startedAtMs = summarize(samples.started);
    const floorMs = summarize(samples.floor);
    const floorStartedAtMs = summarize(samples.floorStarted);
    return {
      figure: 'startup',
      runs: opts.runs,
      criMs,
      podsMs,
      startedAtMs,
      floorMs,
      floorStartedAtMs,
      ratioCri: ratio(criMs.p50, floorMs.p50),
      ratioPods: ratio(podsMs.p50, floorMs.p50),
      ratioStartedAt: ratio(startedAtMs.p50, floorStartedAtMs.p50),
      agentErrors: agent.errorCount(),
    };
  } finally {
    await floor.close();
    await cleanup();
  }
}
