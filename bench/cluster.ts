// Cluster mode figures: Node Ready after start, API pod create → Running in the API (p50), an N-replica Deployment → all Running in the API beside the same burst in static mode, and the agent's API requests per second.
//
// Run: MINI_KUBELET_K8S_BIN=<dir> node --import tsx bench/cluster.ts [--pods 20] [--replicas 50] [--rounds 3]
// It starts (or reuses) the local control plane with scripts/cluster/up.sh, as the e2e tests do.
// The agent runs compiled with its default flags, joined with its node's own credentials. Each
// round runs the static burst and the Deployment one after the other (alternating which goes
// first), so the ratio compares runs minutes apart, not hours. The agent's requests are read off
// the API server's own metrics: API priority and fairness files every request of a node under the
// `system-node-high` (heartbeats) or `system-nodes` flow schema, and this is the only node making
// requests.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { ensureCluster, uniqueName, type Cluster } from '../test/support/cluster.js';
import { createDeployment, isRunning as isRunningInApi, listPods, readPod } from '../test/support/cluster-agent.js';
import { BenchAgent, isRunning, REPO } from './lib/agent.js';
import { cleanupAll, cleanupOnSignals, onCleanup } from './lib/cleanup.js';
import { podManifest } from './lib/pods.js';
import { connect, ensureImage, type BenchRuntime } from './lib/runtime.js';
import { round, sleep, summarize } from './lib/stats.js';

const { values: args } = parseArgs({ options: { pods: { type: 'string' }, replicas: { type: 'string' }, rounds: { type: 'string' } } });
const cfg = { pods: Number(args.pods ?? 20), replicas: Number(args.replicas ?? 50), rounds: Number(args.rounds ?? 3) };

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

async function joinedAgent(cluster: Cluster, rt: BenchRuntime): Promise<{ agent: BenchAgent; readyMs: number }> {
  const nodeName = uniqueName('bench-node');
  const kubeconfig = execFileSync('bash', [path.join(REPO, 'scripts/cluster/node-credentials.sh'), nodeName], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  const t0 = Date.now();
  const agent = await BenchAgent.start({
    name: 'cluster', nodeName, endpoint: rt.endpoint,
    extraArgs: ['--kubeconfig', kubeconfig, '--node-ip', '127.0.0.1', '--client-ca-file', path.join(cluster.dir, 'pki', 'ca.crt')],
  });
  onCleanup(async () => {
    await agent.cleanup(rt.cri);
    await cluster.core.deleteNode({ name: nodeName }).catch(() => undefined);
  });
  const readyMs = Date.now() - t0 + (await waitUntil('Node Ready', async () => {
    const node = await cluster.core.readNode({ name: nodeName }).catch(() => undefined);
    return !!node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  }, 100));
  return { agent, readyMs };
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

async function staticBurst(rt: BenchRuntime, n: number): Promise<number> {
  const agent = await BenchAgent.start({ name: 'static', endpoint: rt.endpoint });
  try {
    const t0 = Date.now();
    agent.writeManifests(Array.from({ length: n }, (_, i) => ({ file: `burst-${i}.yaml`, content: podManifest(`burst-${i}`) })));
    await waitUntil(`${n} static pods Running`, async () => (await agent.pods()).filter(isRunning).length >= n, 250);
    return Date.now() - t0;
  } finally {
    await agent.cleanup(rt.cri);
  }
}

async function main(): Promise<void> {
  cleanupOnSignals();
  const cluster = await ensureCluster();
  const rt = await connect();
  await ensureImage(rt.cri);
  const { agent, readyMs } = await joinedAgent(cluster, rt);
  const ns = uniqueName('bench');
  await cluster.core.createNamespace({ body: { metadata: { name: ns } } });
  onCleanup(async () => void (await cluster.core.deleteNamespace({ name: ns }).catch(() => undefined)));
  await waitUntil('default ServiceAccount', async () => !!(await cluster.core.readNamespacedServiceAccount({ namespace: ns, name: 'default' }).catch(() => undefined)), 200);

  const idle0 = await nodeRequests(cluster);
  await sleep(30_000);
  const idlePerSec = round(((await nodeRequests(cluster)) - idle0) / 30, 2);
  console.log(JSON.stringify({ figure: 'cluster-node', nodeReadyFromStartMs: readyMs, agentApiRequestsPerSecIdle: idlePerSec }));
  const startups = summarize(await podStartups(cluster, ns, agent.nodeName, cfg.pods));
  console.log(JSON.stringify({ figure: 'cluster-pod-startup', ...startups }));
  const rounds: Array<{ deploymentMs: number; staticMs: number; requestsPerSec: number; teardownMs: number }> = [];
  for (let r = 0; r < cfg.rounds; r++) {
    const order = r % 2 === 0 ? ['deployment', 'static'] : ['static', 'deployment'];
    let d = { wallMs: 0, requestsPerSec: 0, teardownMs: 0 };
    let s = 0;
    for (const which of order) {
      if (which === 'deployment') d = await deploymentBurst(cluster, ns, agent.nodeName, cfg.replicas);
      else s = await staticBurst(rt, cfg.replicas);
    }
    rounds.push({ deploymentMs: d.wallMs, staticMs: s, requestsPerSec: d.requestsPerSec, teardownMs: d.teardownMs });
    console.log(JSON.stringify({ figure: 'cluster-burst-round', round: r, ...rounds.at(-1) }));
  }
  const med = (xs: number[]) => summarize(xs).p50;
  const result = {
    figure: 'cluster',
    nodeReadyFromStartMs: readyMs,
    apiPodStartupMs: { p50: startups.p50, p99: startups.p99, min: startups.min, max: startups.max, n: cfg.pods },
    replicas: cfg.replicas,
    deploymentAllRunningMs: { median: med(rounds.map((x) => x.deploymentMs)), all: rounds.map((x) => x.deploymentMs) },
    staticBurstAllRunningMs: { median: med(rounds.map((x) => x.staticMs)), all: rounds.map((x) => x.staticMs) },
    ratioMedian: round(med(rounds.map((x) => x.deploymentMs / x.staticMs)), 2),
    agentApiRequestsPerSec: { idle: idlePerSec, duringDeployment: med(rounds.map((x) => x.requestsPerSec)) },
    deploymentDeletedAllGoneMs: med(rounds.map((x) => x.teardownMs)),
  };
  console.log(JSON.stringify(result));
}

main().then(cleanupAll, async (err) => {
  console.error(err instanceof Error ? err.stack : err);
  await cleanupAll();
  process.exitCode = 1;
});
