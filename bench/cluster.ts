// The cluster figure: Node Ready after start, API pod create → Running in the API, an N-replica Deployment → all Running in the API beside the same burst in static mode, and the agent's API requests per second.
//
// A figure of bench/run.ts (`--only cluster`; in the default set when MINI_KUBELET_K8S_BIN is set).
// Also runnable alone: MINI_KUBELET_K8S_BIN=<dir> node --import tsx bench/cluster.ts [--runs 20] [--replicas 100] [--rounds 3] [--smoke]
// It starts (or reuses) the local control plane with scripts/cluster/up.sh, as the e2e tests do,
// and leaves it running (`npm run cluster:down` stops it).
// The agent runs compiled with its default flags, joined with its node's own credentials. Each
// round runs the static burst and the Deployment one after the other (alternating which goes
// first), so the ratio compares runs minutes apart, not hours. The agent's requests are read off
// the API server's own metrics: API priority and fairness files every request of a node under the
// `system-node-high` (heartbeats) or `system-nodes` flow schema, and this is the only node making
// requests.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { ensureCluster, uniqueName, type Cluster } from '../test/support/cluster.js';
import { createDeployment, isRunning as isRunningInApi, listPods, readPod } from '../test/support/cluster-agent.js';
import { BenchAgent, buildAgent, isRunning, REPO } from './lib/agent.js';
import { cleanupAll, cleanupOnSignals, onCleanup } from './lib/cleanup.js';
import { podManifest } from './lib/pods.js';
import { connect, ensureImage, type BenchRuntime } from './lib/runtime.js';
import { round, sleep, summarize, type Summary } from './lib/stats.js';

export interface ClusterOptions {
  /** API pods created one at a time for the startup p50. */
  runs: number;
  /** The Deployment's replicas, and the static burst's pods. */
  replicas: number;
  /** Rounds of (Deployment, static burst), alternating which goes first. */
  rounds: number;
  /** How long the idle agent's API requests are counted. */
  idleSeconds: number;
  /** Flags for both agents (the joined one and the static one), as --agent-args gives the static figures. */
  extraArgs?: string[];
}

/** A median over rounds with its spread, and every round's value in order. */
export interface Spread {
  p50: number;
  min: number;
  max: number;
  all: number[];
}

export interface ClusterResult {
  figure: 'cluster';
  /** Agent process started → its Node Ready in the API. */
  nodeReadyFromStartMs: number;
  /** API pod created → Running in the API with its IP and ready containers, one pod at a time. */
  apiPodStartupMs: Summary;
  replicas: number;
  rounds: number;
  /** Deployment created → every replica Running in the API. */
  deploymentAllRunningMs: Spread;
  /** The same number of pods as static manifests → all Running in a static agent's /pods (paired, same round). */
  staticBurstAllRunningMs: Spread;
  /** Each round's Deployment / its paired static burst. */
  ratio: Spread;
  /** Node requests per second dispatched by the API server: idle, and while the Deployment starts. */
  agentApiRequestsPerSec: { idle: number; idleSeconds: number; duringDeployment: Spread };
  /** Deployment deleted → no replica left in the API. */
  deploymentDeletedAllGoneMs: Spread;
  /** Error lines in the joined agent's log over the whole figure. */
  agentErrors: number;
}

const spread = (xs: number[]): Spread => (({ p50, min, max }) => ({ p50, min, max, all: xs }))(summarize(xs));

/** Why no cluster can be started here (up.sh --check's one line), or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  try {
    execFileSync('bash', [path.join(REPO, 'scripts/cluster/up.sh'), '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return undefined;
  } catch (err) {
    return String((err as { stdout?: string }).stdout || err).trim().split('\n')[0];
  }
}

/** Requests the API server dispatched for nodes so far: flow schemas system-node-high (Node and Lease heartbeats) and system-nodes (the rest). */
async function nodeRequests(cluster: Cluster): Promise<number> {
  const r = await cluster.kubectl(['get', '--raw', '/metrics']);
  let n = 0;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('apiserver_flowcontrol_dispatched_requests_total{') && /flow_schema="system-node(s|-high)"/.test(line)) n += Number(line.split(' ').at(-1));
  }
  return n;
}

async function waitUntil(what: string, fn: () => Promise<boolean>, pollMs: number, timeoutMs = 600_000): Promise<number> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
  return Date.now() - t0;
}

/** An agent joined as its own node; the returned clean-up stops it, removes its pods, its Node and its credentials. */
async function joinedAgent(cluster: Cluster, rt: BenchRuntime, extraArgs: string[]): Promise<{ agent: BenchAgent; readyMs: number; cleanup: () => Promise<void> }> {
  const nodeName = uniqueName('bench-node');
  const kubeconfig = execFileSync('bash', [path.join(REPO, 'scripts/cluster/node-credentials.sh'), nodeName], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  // Minted files go with the node, as the e2e support's mintNodeKubeconfig does.
  const forget = () => ['.crt', '.key'].map((ext) => path.join(cluster.dir, 'pki/nodes', nodeName + ext)).concat(kubeconfig).forEach((f) => rmSync(f, { force: true }));
  const t0 = Date.now();
  let agent: BenchAgent;
  try {
    agent = await BenchAgent.start({
      name: 'cluster', nodeName, endpoint: rt.endpoint,
      extraArgs: ['--kubeconfig', kubeconfig, '--node-ip', '127.0.0.1', '--client-ca-file', path.join(cluster.dir, 'pki', 'ca.crt'), ...extraArgs],
    });
  } catch (err) {
    forget();
    throw err;
  }
  const cleanup = onCleanup(async () => {
    await agent.cleanup(rt.cri);
    await cluster.core.deleteNode({ name: nodeName }).catch(() => undefined);
    forget();
  });
  const readyMs = Date.now() - t0 + (await waitUntil('Node Ready', async () => {
    const node = await cluster.core.readNode({ name: nodeName }).catch(() => undefined);
    return !!node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  }, 100));
  return { agent, readyMs, cleanup };
}

/** One API pod at a time, placed by the scheduler: create → Running (with its IP, ready) in the API. */
async function podStartups(cluster: Cluster, ns: string, nodeName: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = `one-${i}`;
    const pod: V1Pod = {
      metadata: { name, namespace: ns },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': nodeName },
        terminationGracePeriodSeconds: 2,
        containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] }],
      },
    };
    const t0 = Date.now();
    await cluster.core.createNamespacedPod({ namespace: ns, body: pod });
    await waitUntil(`pod ${name} Running`, async () => isRunningInApi(await readPod(cluster, ns, name)), 20);
    times.push(Date.now() - t0);
    await cluster.core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
  }
  return times;
}

async function deploymentBurst(cluster: Cluster, ns: string, nodeName: string, replicas: number) {
  const name = uniqueName('burst');
  const req0 = await nodeRequests(cluster);
  const t0 = Date.now();
  await createDeployment(cluster, ns, name, { replicas, nodeLabel: ['kubernetes.io/hostname', nodeName], grace: 2 });
  await waitUntil(`${replicas} replicas Running`, async () => (await listPods(cluster, ns, `app=${name}`)).filter(isRunningInApi).length >= replicas, 250);
  const wallMs = Date.now() - t0;
  const requests = (await nodeRequests(cluster)) - req0;
  await cluster.kubectl(['-n', ns, 'delete', 'deployment', name, '--wait=false']);
  const teardownMs = await waitUntil('replicas gone', async () => (await listPods(cluster, ns, `app=${name}`)).length === 0, 250);
  return { wallMs, requestsPerSec: round(requests / (wallMs / 1000), 1), teardownMs };
}

/** The same pods as static manifests on a fresh static-only agent, until all Running in its /pods (polled every 250 ms, as the burst figure). */
async function staticBurst(rt: BenchRuntime, n: number, extraArgs: string[]): Promise<number> {
  const agent = await BenchAgent.start({ name: 'static', endpoint: rt.endpoint, extraArgs });
  const cleanup = onCleanup(() => agent.cleanup(rt.cri));
  try {
    const t0 = Date.now();
    agent.writeManifests(Array.from({ length: n }, (_, i) => ({ file: `burst-${i}.yaml`, content: podManifest(`burst-${i}`) })));
    await waitUntil(`${n} static pods Running`, async () => (await agent.pods()).filter(isRunning).length >= n, 250);
    return Date.now() - t0;
  } finally {
    await cleanup();
  }
}

/**
 * The cluster figure against the control plane of this checkout (started or reused by up.sh).
 * Everything it makes (the joined agent, its Node, a namespace) is removed before it returns;
 * progress goes to stdout as one JSON line per round.
 */
export async function runCluster(rt: BenchRuntime, opts: ClusterOptions): Promise<ClusterResult> {
  const extraArgs = opts.extraArgs ?? [];
  const cluster = await ensureCluster();
  const { agent, readyMs, cleanup } = await joinedAgent(cluster, rt, extraArgs);
  const ns = uniqueName('bench');
  // The namespace goes before the agent: its last pods are then deleted by a live node.
  const dropNamespace = onCleanup(async () => void (await cluster.core.deleteNamespace({ name: ns }).catch(() => undefined)));
  try {
    await cluster.core.createNamespace({ body: { metadata: { name: ns } } });
    await waitUntil('default ServiceAccount', async () => !!(await cluster.core.readNamespacedServiceAccount({ namespace: ns, name: 'default' }).catch(() => undefined)), 200);

    const idle0 = await nodeRequests(cluster);
    const idleT0 = Date.now();
    await sleep(opts.idleSeconds * 1000);
    const idlePerSec = round(((await nodeRequests(cluster)) - idle0) / ((Date.now() - idleT0) / 1000), 2);
    const startups = summarize(await podStartups(cluster, ns, agent.nodeName, opts.runs));

    const rounds: Array<{ deploymentMs: number; staticMs: number; requestsPerSec: number; teardownMs: number }> = [];
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? ['deployment', 'static'] : ['static', 'deployment'];
      let d = { wallMs: 0, requestsPerSec: 0, teardownMs: 0 };
      let s = 0;
      for (const which of order) {
        if (which === 'deployment') d = await deploymentBurst(cluster, ns, agent.nodeName, opts.replicas);
        else s = await staticBurst(rt, opts.replicas, extraArgs);
      }
      rounds.push({ deploymentMs: d.wallMs, staticMs: s, requestsPerSec: d.requestsPerSec, teardownMs: d.teardownMs });
      console.log(JSON.stringify({ figure: 'cluster-round', round: r, first: order[0], ...rounds.at(-1) }));
    }
    return {
      figure: 'cluster',
      nodeReadyFromStartMs: readyMs,
      apiPodStartupMs: startups,
      replicas: opts.replicas,
      rounds: opts.rounds,
      deploymentAllRunningMs: spread(rounds.map((x) => x.deploymentMs)),
      staticBurstAllRunningMs: spread(rounds.map((x) => x.staticMs)),
      ratio: spread(rounds.map((x) => round(x.deploymentMs / x.staticMs))),
      agentApiRequestsPerSec: { idle: idlePerSec, idleSeconds: opts.idleSeconds, duringDeployment: spread(rounds.map((x) => x.requestsPerSec)) },
      deploymentDeletedAllGoneMs: spread(rounds.map((x) => x.teardownMs)),
      agentErrors: agent.errorCount(),
    };
  } finally {
    await dropNamespace();
    await cleanup();
  }
}

/** Sizes when run alone, the same as bench/run.ts gives: --runs, --replicas, --rounds, --smoke. */
async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { runs: { type: 'string' }, replicas: { type: 'string' }, rounds: { type: 'string' }, smoke: { type: 'boolean', default: false } } });
  const smoke = args.smoke || process.env.BENCH_SMOKE === '1';
  const why = clusterUnavailable();
  if (why) throw new Error(`cluster figures skipped: ${why}`);
  cleanupOnSignals();
  const rt = await connect();
  try {
    await ensureImage(rt.cri);
    buildAgent();
    const result = await runCluster(rt, {
      runs: Number(args.runs ?? (smoke ? 3 : 20)),
      replicas: Number(args.replicas ?? (smoke ? 5 : 100)),
      rounds: Number(args.rounds ?? (smoke ? 1 : 3)),
      idleSeconds: smoke ? 5 : 30,
    });
    console.log(JSON.stringify(result));
  } finally {
    rt.cri.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(cleanupAll, async (err) => {
    console.error(err instanceof Error ? err.stack : err);
    await cleanupAll();
    process.exitCode = 1;
  });
}
