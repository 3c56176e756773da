// API pods end to end against the REAL control plane and containerd: a pod bound to the agent's node runs and its status reaches the API; deletion, rejection, kill -9.
//
// The agent runs with a kubeconfig minted for its node name (the node's own credentials: the Node
// authorizer and NodeRestriction decide). Pods are created with spec.nodeName set, so no scheduler
// is involved. Skipped, with one line saying why, without the control-plane binaries.
import assert from 'node:assert/strict';
import { after, type TestContext } from 'node:test';
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { startAgent, type Agent } from '../support/agent.js';
import { clusterTest, uniqueName, type Cluster } from '../support/cluster.js';

let agent: Agent | undefined;
/** Clean-ups of what lives as long as the file's agent (its kubeconfig is read again at a restart). */
const fileScope: Array<() => unknown> = [];

after(async () => {
  await agent?.cleanup();
  for (const fn of fileScope) await fn();
});

/**
 * The agent for this file, started once, with its node's own kubeconfig. It registers its own
 * Node and renews its Lease (without them the pod garbage collector would delete pods bound to the
 * node, and the node lifecycle controller would mark their Ready condition False).
 */
async function theAgent(cluster: Cluster): Promise<Agent> {
  if (agent) return agent;
  const scope = { after: (fn: () => unknown) => void fileScope.push(fn) } as unknown as TestContext;
  agent = await startAgent({ name: 'apipods', extraArgs: async (nodeName) => ['--kubeconfig', await cluster.mintNodeKubeconfig(scope, nodeName)] });
  const nodeName = agent.nodeName;
  fileScope.unshift(() => cluster.core.deleteNode({ name: nodeName }).catch(() => undefined));
  await cluster.waitForNodeReady(nodeName);
  return agent;
}

/** A pod bound to the agent's node; the container exits at once on SIGTERM unless `ignoreTerm`. */
function podSpec(name: string, namespace: string, nodeName: string, opts: { grace?: number; ignoreTerm?: boolean; cpu?: string } = {}): V1Pod {
  const script = opts.ignoreTerm ? "trap '' TERM; while true; do sleep 1; done" : "trap 'exit 0' TERM; while true; do sleep 1; done";
  return {
    metadata: { name, namespace },
    spec: {
      nodeName,
      // The kube-api-access volume is another part's work; these pods do without it.
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: opts.grace ?? 5,
      containers: [{
        name: 'app', image: 'busybox:1.36', command: ['sh', '-c', script],
        ...(opts.cpu ? { resources: { requests: { cpu: opts.cpu } } } : {}),
      }],
    },
  };
}

const readPod = (cluster: Cluster, namespace: string, name: string) =>
  cluster.core.readNamespacedPod({ namespace, name }).catch((err: { code?: number }) => {
    if (err.code === 404) return undefined;
    throw err;
  });

const isRunning = (p: V1Pod | undefined) => p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready === true;

/** The runtime's sandboxes and containers of a pod UID (everything this agent made for it). */
async function inRuntime(a: Agent, uid: string) {
  const selector = { 'io.kubernetes.pod.uid': uid };
  const sandboxes = await a.cri.listPodSandbox({ labelSelector: selector });
  const containers = await a.cri.listContainers({ labelSelector: selector });
  return { sandboxes, containers, running: containers.filter((c) => c.state === 'CONTAINER_RUNNING') };
}

clusterTest('an API pod bound to the node runs, and the API shows it Running with podIP, hostIP, conditions and container statuses', async (cluster, t) => {
  const a = await theAgent(cluster);
  const ns = await cluster.namespace(t, 'apipods');
  await cluster.core.createNamespacedPod({ namespace: ns, body: podSpec('web', ns, a.nodeName) });
  const pod = await cluster.waitFor('web Running in the API', async () => {
    const p = await readPod(cluster, ns, 'web');
    return isRunning(p) ? p : undefined;
  }, 90_000);
  const s = pod!.status!;
  assert.match(s.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.deepEqual(s.podIPs?.map((x) => x.ip), [s.podIP]);
  assert.match(s.hostIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.ok(s.startTime);
  assert.equal(s.qosClass, 'BestEffort');
  const conditions = Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.status]));
  for (const type of ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) assert.equal(conditions[type], 'True', `${type} in ${JSON.stringify(s.conditions)}`);
  const c = s.containerStatuses![0]!;
  assert.equal(c.name, 'app');
  assert.equal(c.ready, true);
  assert.equal(c.started, true);
  assert.equal(c.restartCount, 0);
  assert.ok(c.state?.running?.startedAt);
  assert.match(c.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
  assert.match(c.imageID ?? '', /sha256:/);
  // The pod really runs, once.
  const rt = await inRuntime(a, pod!.metadata!.uid!);
  assert.equal(rt.sandboxes.length, 1);
  assert.equal(rt.running.length, 1);
  assert.equal(`containerd://${rt.running[0]!.id}`, c.containerID);
  // The status went out with the node's own credentials, and nothing keeps writing it.
  const rv = pod!.metadata!.resourceVersion;
  await new Promise((r) => setTimeout(r, 12_000));
  assert.equal((await readPod(cluster, ns, 'web'))!.metadata!.resourceVersion, rv, 'no status write after the sync period when nothing changed');
}, { timeout: 180_000 });

clusterTest('kubectl delete stops the pod within its grace period, then the object disappears', async (cluster, t) => {
  const a = await theAgent(cluster);
  const ns = await cluster.namespace(t, 'apipods');
  await cluster.core.createNamespacedPod({ namespace: ns, body: podSpec('stubborn', ns, a.nodeName, { ignoreTerm: true, grace: 30 }) });
  const pod = await cluster.waitFor('Running', async () => (isRunning(await readPod(cluster, ns, 'stubborn')) ? readPod(cluster, ns, 'stubborn') : undefined), 90_000);
  const uid = pod!.metadata!.uid!;
  const started = Date.now();
  // A shorter grace than the spec's: the deletion's deletionGracePeriodSeconds is what counts.
  const del = await cluster.kubectl(['delete', 'pod', '-n', ns, 'stubborn', '--grace-period=4', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  await cluster.waitFor('the object gone', async () => (await readPod(cluster, ns, 'stubborn')) === undefined, 60_000);
  const took = Date.now() - started;
  assert.ok(took >= 3500, `gone after ${took} ms: the container ignores SIGTERM, so it must have had its 4 s`);
  assert.ok(took < 4000 + 10_000, `gone after ${took} ms: within the grace period and a little slack`);
  const rt = await inRuntime(a, uid);
  assert.equal(rt.running.length, 0, 'nothing of it runs');
  assert.equal(rt.sandboxes.length, 0, 'and nothing of it is left in the runtime');
  assert.match(a.output(), /"gracePeriodSeconds":4[,}][^\n]*killing pod/);
}, { timeout: 180_000 });

clusterTest('a pod the agent rejects at admission becomes Failed in the API with the kubelet\'s reason; deleting it removes it', async (cluster, t) => {
  const a = await theAgent(cluster);
  const ns = await cluster.namespace(t, 'apipods');
  await cluster.core.createNamespacedPod({ namespace: ns, body: podSpec('huge', ns, a.nodeName, { cpu: '4000' }) });
  const pod = await cluster.waitFor('Failed in the API', async () => {
    const p = await readPod(cluster, ns, 'huge');
    return p?.status?.phase === 'Failed' ? p : undefined;
  }, 60_000);
  assert.equal(pod!.status!.reason, 'OutOfcpu');
  assert.match(pod!.status!.message ?? '', /^Pod was rejected: Node didn't have enough resource: cpu, requested: 4000000, used: \d+, capacity: \d+$/);
  assert.equal((await inRuntime(a, pod!.metadata!.uid!)).sandboxes.length, 0, 'it never ran');
  const del = await cluster.kubectl(['delete', 'pod', '-n', ns, 'huge', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  await cluster.waitFor('the rejected pod gone', async () => (await readPod(cluster, ns, 'huge')) === undefined, 30_000);
}, { timeout: 120_000 });

clusterTest('an agent killed with -9 and restarted adopts its API pods (no duplicate sandbox or container) and finishes a deletion made while it was down', async (cluster, t) => {
  const a = await theAgent(cluster);
  const ns = await cluster.namespace(t, 'apipods');
  await cluster.core.createNamespacedPod({ namespace: ns, body: podSpec('keep', ns, a.nodeName) });
  await cluster.core.createNamespacedPod({ namespace: ns, body: podSpec('drop', ns, a.nodeName, { grace: 3 }) });
  for (const name of ['keep', 'drop']) await cluster.waitFor(`${name} Running`, async () => isRunning(await readPod(cluster, ns, name)), 90_000);
  const before = (await readPod(cluster, ns, 'keep'))!;
  const keepUid = before.metadata!.uid!;
  const dropUid = (await readPod(cluster, ns, 'drop'))!.metadata!.uid!;

  await a.stop('SIGKILL');
  const del = await cluster.kubectl(['delete', 'pod', '-n', ns, 'drop', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  await a.restart();

  await cluster.waitFor('drop finished by the restarted agent', async () => (await readPod(cluster, ns, 'drop')) === undefined, 60_000);
  assert.equal((await inRuntime(a, dropUid)).sandboxes.length, 0);
  // Give the restarted agent a few sync rounds to do anything it would wrongly do.
  await new Promise((r) => setTimeout(r, 8000));
  const after = (await readPod(cluster, ns, 'keep'))!;
  assert.ok(isRunning(after));
  const c0 = before.status!.containerStatuses![0]!;
  const c1 = after.status!.containerStatuses![0]!;
  assert.equal(c1.containerID, c0.containerID, 'the same container, adopted');
  assert.equal(c1.restartCount, 0);
  assert.equal(new Date(after.status!.startTime!).getTime(), new Date(before.status!.startTime!).getTime());
  const rt = await inRuntime(a, keepUid);
  assert.equal(rt.sandboxes.length, 1, 'one sandbox');
  assert.equal(rt.containers.length, 1, 'one container');
}, { timeout: 240_000 });

clusterTest('API pod create → Running in the API: p50 over 20 pods created one after another', async (cluster, t) => {
  const a = await theAgent(cluster);
  const ns = await cluster.namespace(t, 'apipods-burst');
  const runningAt = new Map<string, number>();
  const watch = await new Watch(cluster.kubeConfig).watch(`/api/v1/namespaces/${ns}/pods`, {}, (_type, obj: V1Pod) => {
    if (isRunning(obj) && !runningAt.has(obj.metadata!.name!)) runningAt.set(obj.metadata!.name!, Date.now());
  }, () => undefined);
  t.after(() => watch.abort());
  const took: number[] = [];
  for (let i = 0; i < 20; i++) {
    const name = uniqueName(`p${i}`);
    const t0 = Date.now();
    await cluster.core.createNamespacedPod({ namespace: ns, body: podSpec(name, ns, a.nodeName, { grace: 1 }) });
    await cluster.waitFor(`${name} Running`, () => runningAt.has(name), 60_000);
    took.push(runningAt.get(name)! - t0);
  }
  const sorted = [...took].sort((x, y) => x - y);
  const p50 = sorted[Math.floor(sorted.length / 2) - 1]! / 2 + sorted[Math.floor(sorted.length / 2)]! / 2;
  t.diagnostic(`API pod create → Running in the API over 20 pods: p50 ${Math.round(p50)} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms (${took.join(', ')})`);
  assert.ok(p50 < 10_000, `p50 ${p50} ms`);
  const del = await cluster.kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=1', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  await cluster.waitFor('every pod gone', async () => (await cluster.core.listNamespacedPod({ namespace: ns })).items.length === 0, 120_000);
}, { timeout: 300_000 });
