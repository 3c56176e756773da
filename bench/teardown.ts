// Teardown: N running pods whose manifests are all deleted at once, until no container runs; paired with a floor that stops the same pods straight over CRI.
//
// The pods run a bare `sleep` as PID 1, which ignores SIGTERM, with terminationGracePeriodSeconds
// 1: the kubelet's minimum grace (2 s) applies, so each stop takes all of it and the figure shows
// whether the stops go out together (about one grace period) or in waves. The floor is the runtime's
// own bound: the same pods started over CRI, then StopContainer(timeout 2) for all of them at once.
// Each round is floor then agent (fresh agent each round), so both see the same machine; each
// side's stop begins once the machine is quiet after its starts (lib/quiet.ts).
import { BenchAgent } from './lib/agent.js';
import { onCleanup } from './lib/cleanup.js';
import { type PodShape } from './lib/pods.js';
import { containersByPod, forEachLimit, type BenchRuntime } from './lib/runtime.js';
import { ratio, round, sleep, summarize, type Summary } from './lib/stats.js';
import { FloorSession } from './floor.js';
import { measureBurst } from './burst.js';
import { waitForQuiet } from './lib/quiet.js';
import { effectiveGracePeriod } from '../src/podworker/kill.js';
import { ownershipSelector } from '../src/runtime/labels.js';

export interface TeardownResult {
  figure: 'teardown';
  pods: number;
  rounds: number;
  graceSeconds: number;
  hostNetwork: boolean;
  /** Manifests deleted → no container of the agent's running (50 ms poll), per round. */
  noneRunningMs: number[];
  /** Manifests deleted → every sandbox gone from the runtime, per round. */
  removedMs: number[];
  /** The floor: StopContainer for every container at once → none running, per round. */
  floorMs: number[];
  noneRunning: Summary;
  removed: Summary;
  floor: Summary;
  /** Median of the per-round ratios agent / floor, and their spread. */
  ratio: { p50: number | null; min: number | null; max: number | null };
  agentErrors: number;
}

const POLL_MS = 50;
const GRACE = 1;

async function untilNone(what: string, count: () => Promise<number>, t0: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if ((await count()) === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`teardown: ${what} not done after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

async function floorRound(rt: BenchRuntime, n: number, shape: PodShape): Promise<number> {
  const session = new FloorSession(rt);
  try {
    const pods = [];
    for (let i = 0; i < n; i++) pods.push(await session.prepare(`floor-td-${i}`, shape));
    const ids: string[] = [];
    await forEachLimit(pods, 4, async (p) => void ids.push((await session.start(p)).containerId));
    await waitForQuiet();
    const t0 = Date.now();
    await Promise.all(ids.map((id) => rt.cri.stopContainer(id, effectiveGracePeriod(GRACE))));
    return await untilNone('floor stop', async () => (await containersByPod(rt.cri, session.nodeName, 'CONTAINER_RUNNING')).size, t0);
  } finally {
    await session.close();
  }
}

async function agentRound(rt: BenchRuntime, n: number, shape: PodShape, extraArgs: string[] | undefined): Promise<{ none: number; removed: number; errors: number }> {
  const agent = await BenchAgent.start({ name: 'teardown', endpoint: rt.endpoint, extraArgs });
  const cleanup = onCleanup(() => agent.cleanup(rt.cri));
  try {
    await measureBurst(agent, rt, n, shape);
    await waitForQuiet();
    const t0 = Date.now();
    for (let i = 0; i < n; i++) agent.removeManifest(`burst-${i}.yaml`);
    const none = await untilNone('no container running', async () => (await containersByPod(rt.cri, agent.nodeName, 'CONTAINER_RUNNING')).size, t0);
    const removed = await untilNone('every sandbox removed', async () => (await rt.cri.listPodSandbox({ labelSelector: ownershipSelector(agent.nodeName) })).length, t0);
    return { none, removed, errors: agent.errorCount() };
  } finally {
    await cleanup();
  }
}

export async function runTeardown(rt: BenchRuntime, opts: { pods: number; rounds: number; hostNetwork: boolean; extraArgs?: string[] }): Promise<TeardownResult> {
  const shape: PodShape = { hostNetwork: opts.hostNetwork, graceSeconds: GRACE, ignoreTerm: true };
  const floorMs: number[] = [];
  const noneRunningMs: number[] = [];
  const removedMs: number[] = [];
  let agentErrors = 0;
  for (let r = 0; r < opts.rounds; r++) {
    floorMs.push(await floorRound(rt, opts.pods, shape));
    const a = await agentRound(rt, opts.pods, shape, opts.extraArgs);
    noneRunningMs.push(a.none);
    removedMs.push(a.removed);
    agentErrors += a.errors;
  }
  const ratios = summarize(noneRunningMs.map((m, i) => ratio(m, floorMs[i]!) ?? NaN).filter(Number.isFinite));
  return {
    figure: 'teardown',
    pods: opts.pods,
    rounds: opts.rounds,
    graceSeconds: GRACE,
    hostNetwork: opts.hostNetwork,
    noneRunningMs,
    removedMs,
    floorMs,
    noneRunning: summarize(noneRunningMs),
    removed: summarize(removedMs),
    floor: summarize(floorMs),
    ratio: ratios.n ? { p50: round(ratios.p50), min: ratios.min, max: ratios.max } : { p50: null, min: null, max: null },
    agentErrors,
  };
}
