// Runs every benchmark against the dev containerd, prints one JSON line per figure and a markdown table side by side with the floor.
//
// Run: npm run bench [-- --smoke] [-- --only floor,startup,burst,teardown,scale,encode,cluster] (see docs/benchmarks.md).
// The cluster figure is in the default set when MINI_KUBELET_K8S_BIN is set (it needs a control plane).
// Not part of the test suite. Results also go to bench/results/latest.{jsonl,md} (git-ignored).
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { agentMode, buildAgent, REPO } from './lib/agent.js';
import { cleanupAll, cleanupOnSignals } from './lib/cleanup.js';
import { connect, ensureImage, podAddresses, podSubnetPrefix } from './lib/runtime.js';
import { runBurst, type BurstResult } from './burst.js';
import { clusterUnavailable, runCluster } from './cluster.js';
import { runEncode } from './encode.js';
import { runFloor } from './floor.js';
import { runReaction } from './reaction.js';
import { runScale } from './scale.js';
import { runStartup } from './startup.js';
import { runSteady } from './steady.js';
import { runTeardown } from './teardown.js';
import { bestFloor, markdown, type Report } from './table.js';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    pods: { type: 'string' },
    runs: { type: 'string' },
    'steady-seconds': { type: 'string' },
    kills: { type: 'string' },
    rounds: { type: 'string' },
    scale: { type: 'string' },
    concurrency: { type: 'string' },
    replicas: { type: 'string' },
    'agent-args': { type: 'string' },
  },
});
const smoke = args.smoke || process.env.BENCH_SMOKE === '1';
const nums = (s: string | undefined, dflt: number[]): number[] => (s ? s.split(',').map(Number) : dflt);
const cfg = {
  pods: Number(args.pods ?? (smoke ? 10 : 100)),
  runs: Number(args.runs ?? (smoke ? 3 : 20)),
  steadySeconds: Number(args['steady-seconds'] ?? (smoke ? 10 : 60)),
  kills: Number(args.kills ?? (smoke ? 2 : 8)),
  rounds: Number(args.rounds ?? (smoke ? 1 : 3)),
  scale: nums(args.scale, smoke ? [5, 10] : [10, 50, 100, 200]),
  concurrency: nums(args.concurrency, [1, 2, 4, 8]),
  // The cluster figure's Deployment (and its paired static burst); its single API pods are --runs.
  replicas: Number(args.replicas ?? (smoke ? 5 : 100)),
  clusterIdleSeconds: smoke ? 5 : 30,
  agentArgs: args['agent-args']?.split(' ').filter(Boolean) ?? [],
};
const k8sBin = process.env.MINI_KUBELET_K8S_BIN;
const figures = new Set((args.only ?? `floor,startup,burst,teardown,scale,encode${k8sBin ? ',cluster' : ''}`).split(','));
// Said once, up front: why the cluster figure will not be in this run (it is also in the config line and the table).
let clusterSkipped: string | undefined;
if (figures.has('cluster')) clusterSkipped = clusterUnavailable();
else if (!args.only) clusterSkipped = 'MINI_KUBELET_K8S_BIN is not set (the directory holding kube-apiserver, kube-controller-manager and kube-scheduler)';
if (clusterSkipped) {
  figures.delete('cluster');
  process.stderr.write(`bench: cluster figures skipped: ${clusterSkipped}\n`);
}

const resultsDir = path.join(REPO, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const jsonl = path.join(resultsDir, 'latest.jsonl');
writeFileSync(jsonl, '');
const emit = (o: object): void => {
  const line = JSON.stringify(o);
  console.log(line);
  appendFileSync(jsonl, line + '\n');
};

cleanupOnSignals();
const rt = await connect();
try {
  const v = await rt.cri.version();
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const loadBefore = load();
  await ensureImage(rt.cri);
  buildAgent();
  const report: Report = { machine: '', floor: [], clusterSkipped };
  emit({ figure: 'config', ...cfg, figures: [...figures], agent: agentMode(), smoke, ...(clusterSkipped ? { clusterSkipped } : {}) });

  if (figures.has('floor') || figures.has('burst')) {
    for (const c of cfg.concurrency) {
      const f = await runFloor(rt, { pods: cfg.pods, concurrency: c });
      emit(f);
      report.floor.push(f);
    }
  }
  const best = bestFloor(report.floor);

  if (figures.has('startup')) {
    report.startup = await runStartup(rt, { runs: cfg.runs, extraArgs: cfg.agentArgs });
    emit(report.startup);
  }
  if (figures.has('burst')) {
    const concurrency = best?.concurrency ?? cfg.concurrency.at(-1) ?? 8;
    const burst: BurstResult = await runBurst(rt, { pods: cfg.pods, concurrency, rounds: cfg.rounds, extraArgs: cfg.agentArgs }, async (agent) => {
      if (cfg.steadySeconds > 0) report.steady = await runSteady(agent, { pods: cfg.pods, seconds: cfg.steadySeconds });
      if (cfg.kills > 0) report.reaction = await runReaction(rt, agent, { kills: cfg.kills });
    });
    report.burst = burst;
    emit(burst);
    if (report.steady) emit(report.steady);
    if (report.reaction) emit(report.reaction);
  }
  if (figures.has('teardown')) {
    // Host-network pods when the shared pod subnet could not hold them with room to spare (as scale).
    const prefix = podSubnetPrefix(rt.runtimeDir);
    const hostNetwork = prefix !== undefined && podAddresses(prefix) < 2 * cfg.pods;
    report.teardown = await runTeardown(rt, { pods: cfg.pods, rounds: cfg.rounds, hostNetwork, extraArgs: cfg.agentArgs });
    emit(report.teardown);
  }
  if (figures.has('scale')) {
    // Each pod takes an address from the CNI range, which every user of the dev runtime shares: on a
    // /24 (253 addresses) 200 networked pods would leave others almost none, so use host-network pods.
    const prefix = podSubnetPrefix(rt.runtimeDir);
    const most = Math.max(...cfg.scale);
    const hostNetwork = prefix !== undefined && podAddresses(prefix) < Math.max(most + 20, 2 * most);
    const note = hostNetwork ? `the dev runtime's pod subnet is a /${prefix} (${podAddresses(prefix!)} addresses, shared), too small for ${most} networked pods` : undefined;
    // The floor's best concurrency, or (without a floor figure) the last --concurrency given.
    const concurrency = best?.concurrency ?? cfg.concurrency.at(-1) ?? 8;
    report.scale = await runScale(rt, { sizes: cfg.scale, floorConcurrency: concurrency, hostNetwork, note, extraArgs: cfg.agentArgs });
    emit(report.scale);
  }
  if (figures.has('cluster')) {
    report.cluster = await runCluster(rt, { runs: cfg.runs, replicas: cfg.replicas, rounds: cfg.rounds, idleSeconds: cfg.clusterIdleSeconds, extraArgs: cfg.agentArgs });
    emit(report.cluster);
  }
  if (figures.has('encode')) {
    report.encode = [100, 200].map((n) => runEncode(n));
    for (const e of report.encode) emit(e);
  }

  const cpu = os.cpus();
  report.machine =
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, ` +
    `${v.runtimeName} ${v.runtimeVersion}, node ${process.version}, agent ${agentMode()}; load average ${loadBefore} before, ${load()} after` +
    `${smoke ? ' (SMOKE sizes)' : ''}`;
  const md = markdown(report);
  writeFileSync(path.join(resultsDir, 'latest.md'), md + '\n');
  console.log(`\n${md}`);
} finally {
  await cleanupAll();
  rt.cri.close();
}
