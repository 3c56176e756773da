// The markdown report: every figure side by side with the floor, against the issue's targets, plus the floor and scale tables.
import type { BurstResult } from './burst.js';
import type { ClusterResult, Spread } from './cluster.js';
import type { EncodeResult } from './encode.js';
import type { FloorResult } from './floor.js';
import type { ReactionResult } from './reaction.js';
import type { ScaleResult } from './scale.js';
import type { StartupResult } from './startup.js';
import type { SteadyResult } from './steady.js';
import type { TeardownResult } from './teardown.js';

export interface Report {
  machine: string;
  floor: FloorResult[];
  startup?: StartupResult;
  burst?: BurstResult;
  steady?: SteadyResult;
  teardown?: TeardownResult;
  reaction?: ReactionResult;
  scale?: ScaleResult;
  encode?: EncodeResult[];
  cluster?: ClusterResult;
  /** Why the cluster figure did not run (no control-plane binaries), when it was asked for or could have been. */
  clusterSkipped?: string;
}

const ms = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`);
const x = (r: number | null | undefined): string => (r === null || r === undefined ? '—' : r.toFixed(2));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const met = (r: number | null, limit: number): string => (r === null ? '' : r <= limit ? 'yes' : '**no**');
const check = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? 'yes' : '**no**');
/** A median over rounds and its spread: "12.3 s (10.1 s – 14.0 s)", or just the value for one round. */
const spread = (s: Spread, f: (v: number) => string): string => (s.all.length > 1 ? `${f(s.p50)} (${f(s.min)} – ${f(s.max)})` : f(s.p50));

export function markdown(r: Report): string {
  const out: string[] = [`Machine: ${r.machine}`, '', '| figure | mini-kubelet | floor (cluster rows: the paired static run) | ratio | target | met |', '|---|---|---|---|---|---|'];
  const row = (...cells: string[]) => out.push(`| ${cells.join(' | ')} |`);
  if (r.startup) {
    const s = r.startup;
    const f = `${ms(s.floorMs.p50)} / ${ms(s.floorMs.p99)}`;
    row(`startup p50 / p99, manifest → running in containerd (20 ms poll; ${s.runs} runs)`, `${ms(s.criMs.p50)} / ${ms(s.criMs.p99)}`, f, x(s.ratioCri), '≤ 1.15', met(s.ratioCri, 1.15));
    row('startup p50 / p99, manifest → containerd startedAt (no poll)', `${ms(s.startedAtMs.p50)} / ${ms(s.startedAtMs.p99)}`, `${ms(s.floorStartedAtMs.p50)} / ${ms(s.floorStartedAtMs.p99)}`, x(s.ratioStartedAt), '≤ 1.15', met(s.ratioStartedAt, 1.15));
    row('startup p50 / p99, manifest → /pods Running (20 ms poll)', `${ms(s.podsMs.p50)} / ${ms(s.podsMs.p99)}`, f, x(s.ratioPods), '', '');
  }
  if (r.burst) {
    const b = r.burst;
    const f = `${ms(b.floorWallMs)} at ${b.floorConcurrency} at a time (${(b.pods / (b.floorWallMs / 1000)).toFixed(1)} pods/s)`;
    const rounds = b.rounds > 1 ? `, mean of ${b.rounds} rounds` : '';
    row(`burst ${b.pods} pods → all Running in /pods${rounds}`, `${ms(mean(b.roundsPodsMs))} (${(b.pods / (mean(b.roundsPodsMs) / 1000)).toFixed(1)} pods/s)`, f, x(b.ratioPods), '≤ 1.15', met(b.ratioPods, 1.15));
    if (b.ratioPodsMedian) {
      const m = b.ratioPodsMedian;
      row(`burst: median of the ${b.rounds} paired rounds' ratios (min – max)`, b.roundsPodsMs.map(ms).join(', '), b.floorWallsMs.map(ms).join(', '), `${x(m.p50)} (${x(m.min)} – ${x(m.max)})`, '≤ 1.15', met(m.p50, 1.15));
    }
    row(`burst ${b.pods} pods → all running in containerd (last round)`, ms(b.wallCriMs), ms(b.floorWallsMs.at(-1)), x(b.ratioCri), '', '');
  }
  if (r.teardown) {
    const t = r.teardown;
    const what = `teardown ${t.pods} pods${t.hostNetwork ? ' (hostNetwork)' : ''}, grace ${t.graceSeconds} s (2 s minimum), TERM ignored: manifests deleted → none running, median (min – max) of ${t.rounds} rounds`;
    row(what, `${ms(t.noneRunning.p50)} (${ms(t.noneRunning.min)} – ${ms(t.noneRunning.max)})`, `${ms(t.floor.p50)} (${ms(t.floor.min)} – ${ms(t.floor.max)}), all StopContainer at once`, `${x(t.ratio.p50)} (${x(t.ratio.min)} – ${x(t.ratio.max)})`, '≤ 6 s', check(t.noneRunning.p50 <= 6000));
    row(`teardown ${t.pods} pods: manifests deleted → every sandbox removed, median (min – max)`, `${ms(t.removed.p50)} (${ms(t.removed.min)} – ${ms(t.removed.max)})`, '', '', '', '');
  }
  if (r.steady) {
    const s = r.steady;
    row(`steady ${s.pods} pods, ${s.seconds} s: agent CPU`, `${s.cpuPercent} % of one core`, '', '', '≤ 2 %', check(s.cpuPercent <= 2));
    row(`steady ${s.pods} pods: agent RSS (end / max / peak)`, `${s.rssMB.end} / ${s.rssMB.max} / ${s.peakRssMB} MB`, '', '', '≤ 91 MB', check(s.rssMB.max <= 91));
    // Estimated from the agent's kubelet_pleg_relist_duration_seconds buckets (bench/steady.ts).
    row(`steady ${s.pods} pods: PLEG relist p50 / p99 (estimated from the /metrics histogram; mean)`, `${ms(s.relistMs.p50)} / ${ms(s.relistMs.p99)} (${ms(s.relistMs.mean)})`, '', '', '', '');
  }
  if (r.reaction) {
    const e = r.reaction;
    row(`reaction p50 / p99, kill → death shown in /pods (${e.kills} kills)`, `${ms(e.statusMs.p50)} / ${ms(e.statusMs.p99)}`, '', '', '≤ 1.5 s', check(e.statusMs.p50 <= 1500));
    row('reaction p50 / p99, kill → restart begins (new container)', `${ms(e.restartMs.p50)} / ${ms(e.restartMs.p99)}`, '', '', '≤ 1.5 s', check(e.restartMs.p50 <= 1500));
  }
  if (r.scale) {
    const s = r.scale;
    const k = s.exponent;
    row(`scale ${s.sizes.join('/')} pods${s.hostNetwork ? ' (hostNetwork)' : ''}: growth exponent wall / CPU / peak RSS`, `${k.wall} / ${k.cpu} / ${k.peakRss}`, `wall ${k.floorWall}`, '', 'linear or better', check(s.linear));
  }
  if (r.cluster) {
    const c = r.cluster;
    const rounds = c.rounds > 1 ? `median (min – max) of ${c.rounds} rounds` : '1 round';
    row('cluster: agent process started → Node Ready in the API', ms(c.nodeReadyFromStartMs), '', '', '', '');
    // The static startup figure is not paired with these pods (other minutes, other load): shown for scale only.
    const staticStartup = r.startup ? `static /pods Running p50 / p99 ${ms(r.startup.podsMs.p50)} / ${ms(r.startup.podsMs.p99)} (startup figure, not paired)` : '';
    row(`cluster: API pod create → Running in the API, p50 / p99 (${c.apiPodStartupMs.n} pods one at a time, 20 ms poll)`, `${ms(c.apiPodStartupMs.p50)} / ${ms(c.apiPodStartupMs.p99)}`, staticStartup, '', '', '');
    row(
      `cluster: ${c.replicas}-replica Deployment → all Running in the API, ${rounds}, each paired with a static burst (alternating which goes first)`,
      spread(c.deploymentAllRunningMs, ms),
      `static: ${c.replicas} manifests → all Running in /pods, ${spread(c.staticBurstAllRunningMs, ms)}`,
      spread(c.ratio, x), '', '',
    );
    const rps = (v: number) => `${v} /s`;
    row(`cluster: the agent's API requests per second during the Deployment (${rounds}); idle over ${c.agentApiRequestsPerSec.idleSeconds} s`, `${spread(c.agentApiRequestsPerSec.duringDeployment, rps)}; idle ${rps(c.agentApiRequestsPerSec.idle)}`, '', '', '', '');
    row(`cluster: Deployment deleted → no replica left in the API (${rounds})`, spread(c.deploymentDeletedAllGoneMs, ms), '', '', '', '');
  }
  if (r.clusterSkipped) out.push('', `Cluster figures skipped: ${r.clusterSkipped}.`);

  // No floor table when no floor ran (--only startup or cluster, say): an empty one reads as a failure.
  if (r.floor.length) out.push('', '**Floor** (RunPodSandbox + CreateContainer + StartContainer, the agent\'s configs, no kubelet logic)', '', '| pods | at a time | wall | pods/s | per pod p50 / p99 |', '|---|---|---|---|---|');
  for (const f of r.floor) out.push(`| ${f.pods} | ${f.concurrency} | ${ms(f.wallMs)} | ${f.podsPerSec} | ${ms(f.perPodMs.p50)} / ${ms(f.perPodMs.p99)} |`);

  if (r.scale) {
    const s = r.scale;
    out.push('', `**Scale**${s.hostNetwork ? ` (hostNetwork pods: ${s.note ?? ''})` : ''}; floor at ${s.floorConcurrency} at a time`, '', '| pods | wall (/pods) | floor wall | ratio | agent CPU | CPU per pod | peak RSS |', '|---|---|---|---|---|---|---|');
    for (const p of s.points) out.push(`| ${p.pods} | ${ms(p.wallPodsMs)} | ${ms(p.floorWallMs)} | ${x(p.ratioPods)} | ${p.cpuSeconds} s | ${p.cpuMsPerPod} ms | ${p.peakRssMB} MB |`);
  }
  if (r.encode?.length) {
    out.push('', '**/pods encoding** (the GET /pods body, in process; unchanged pods are cached per pod object)', '', '| pods | p50 / p99, changed pods | per pod | p50, unchanged pods | bytes |', '|---|---|---|---|---|');
    for (const e of r.encode) out.push(`| ${e.pods} | ${ms(e.listMs.p50)} / ${ms(e.listMs.p99)} | ${e.perPodUs} µs | ${ms(e.cachedMs.p50)} | ${e.bytes} |`);
  }
  return out.join('\n');
}

/** The floor run with the shortest wall time among those with the most pods. */
export function bestFloor(floor: FloorResult[]): FloorResult | undefined {
  const most = Math.max(0, ...floor.map((f) => f.pods));
  return floor.filter((f) => f.pods === most).sort((a, b) => a.wallMs - b.wallMs)[0];
}
