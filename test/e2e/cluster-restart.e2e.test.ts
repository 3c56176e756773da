// A joined agent killed with -9 and started again, against the REAL control plane and containerd: it adopts its Node, Lease, mirror pods, sandboxes and containers (no duplicates), finishes what changed while it was away, and the statuses converge.
//
// Skipped, with one line saying why, without the control-plane binaries.
import assert from 'node:assert/strict';
import { CoordinationV1Api, type V1Pod } from '@kubernetes/client-node';
import { podYaml } from '../support/agent.js';
import { clusterTest, uniqueName, type Cluster } from '../support/cluster.js';
import { createDeployment, inRuntime, isRunning, joinAgent, kubectlOk, listPods, readPod } from '../support/cluster-agent.js';

const SLEEPER = "trap 'exit 0' TERM; sleep 3600 & wait";

/** This node's pods in every namespace, as the API has them. */
const nodePods = async (cluster: Cluster, nodeName: string) =>
  (await cluster.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` })).items;

const containerIDs = (p: V1Pod) => (p.status?.containerStatuses ?? []).map((c) => `${c.name}=${c.containerID}/${c.restartCount}`);

clusterTest('kill -9 and restart in cluster mode: the same Node, Lease, mirror pod, sandboxes and containers; a scale-down and a container exit made while it was down are handled; statuses converge', async (cluster, t) => {
  const group = uniqueName('restart');
  const label: [string, string] = ['example.com/e2e-group', group];
  const agent = await joinAgent(cluster, t, 'restart', ['--node-labels', `${label[0]}=${label[1]}`]);
  const nodeName = agent.nodeName;
  const ns = await cluster.namespace(t, 'e2e-restart');
  await cluster.waitForServiceAccount(ns);
  await createDeployment(cluster, ns, 'app', { replicas: 3, nodeLabel: label, grace: 2, command: ['sh', '-c', SLEEPER] });
  // Exits once /tmp/go exists; restartPolicy Always: the restarted agent must restart it, once.
  await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'flip' },
    spec: { nodeName, terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.2; done; exit 3'] }] },
  } });
  agent.writeManifest('static.yaml', podYaml('static', `
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "${SLEEPER}"]
`));
  const mirrorName = `static-${nodeName}`;
  const before = await cluster.waitFor('3 replicas, flip and the mirror pod Running in the API', async () => {
    const ps = await nodePods(cluster, nodeName);
    return ps.length === 5 && ps.every(isRunning) ? ps : undefined;
  }, 180_000);
  const coordination = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  const nodeBefore = await cluster.core.readNode({ name: nodeName });
  const leaseBefore = await coordination.readNamespacedLease({ namespace: 'kube-node-lease', name: nodeName });
  const runtimeUid = (p: V1Pod) => p.metadata!.annotations?.['kubernetes.io/config.mirror'] ?? p.metadata!.uid!;
  const flipBefore = before.find((p) => p.metadata!.name === 'flip')!;
  const flipContainer = (await inRuntime(agent, flipBefore.metadata!.uid!)).running[0]!.id;

  await agent.stop('SIGKILL');
  // While it is away: one replica less (its pod gets a deletionTimestamp) and the flip container exits.
  await kubectlOk(cluster, ['scale', '-n', ns, 'deployment/app', '--replicas=2']);
  const doomed = await cluster.waitFor('a replica being deleted', async () =>
    (await listPods(cluster, ns, 'app=app')).find((p) => p.metadata?.deletionTimestamp));
  await agent.cri.execSync(flipContainer, ['touch', '/tmp/go'], 10);
  const restartedAt = Date.now();
  await agent.restart();

  await cluster.waitFor('the scaled-down replica gone', async () => !(await readPod(cluster, ns, doomed.metadata!.name!)), 60_000);
  assert.equal((await inRuntime(agent, doomed.metadata!.uid!)).sandboxes.length, 0);
  const flip = await cluster.waitFor('flip restarted once and Running', async () => {
    const p = await readPod(cluster, ns, 'flip');
    return isRunning(p) && p!.status!.containerStatuses![0]!.restartCount === 1 ? p : undefined;
  }, 60_000);
  assert.equal(flip.status!.containerStatuses![0]!.lastState?.terminated?.exitCode, 3);
  t.diagnostic(`converged ${Date.now() - restartedAt} ms after the restart began (agent start included)`);

  // A few sync rounds for anything the restarted agent would wrongly do.
  await new Promise((r) => setTimeout(r, 8000));
  const after = await nodePods(cluster, nodeName);
  const names = (ps: V1Pod[]) => ps.map((p) => p.metadata!.name!).sort();
  assert.deepEqual(names(after), names(before.filter((p) => p.metadata!.uid !== doomed.metadata!.uid)), 'no pod added, none lost');
  assert.equal(after.filter((p) => p.metadata!.name === mirrorName).length, 1, 'one mirror pod');
  for (const p of after) {
    const was = before.find((b) => b.metadata!.name === p.metadata!.name)!;
    assert.ok(isRunning(p), `${p.metadata!.name} Running`);
    assert.equal(p.metadata!.uid, was.metadata!.uid, `${p.metadata!.name}: the same object (a mirror pod is not made again)`);
    assert.equal(new Date(p.status!.startTime!).getTime(), new Date(was.status!.startTime!).getTime(), `${p.metadata!.name}: the same startTime`);
    const rt = await inRuntime(agent, runtimeUid(p));
    assert.equal(rt.sandboxes.length, 1, `${p.metadata!.name}: one sandbox`);
    if (p.metadata!.name === 'flip') {
      assert.equal(rt.running.length, 1, 'flip: one running container');
      assert.equal(rt.containers.length, 2, 'flip: the exited one and its replacement');
      continue;
    }
    assert.deepEqual(containerIDs(p), containerIDs(was), `${p.metadata!.name}: the same containers, no restart`);
    assert.deepEqual([rt.containers.length, `containerd://${rt.running[0]?.id}`], [1, p.status!.containerStatuses![0]!.containerID]);
  }
  // The statuses settled: nothing keeps rewriting them.
  const rvs = after.map((p) => p.metadata!.resourceVersion);
  await new Promise((r) => setTimeout(r, 11_000));
  const later = await nodePods(cluster, nodeName);
  assert.deepEqual(later.map((p) => p.metadata!.resourceVersion), rvs, 'no status write once converged');

  const nodeAfter = await cluster.waitForNodeReady(nodeName);
  assert.equal(nodeAfter.metadata!.uid, nodeBefore.metadata!.uid, 'the Node adopted, not made again');
  const leaseAfter = await coordination.readNamespacedLease({ namespace: 'kube-node-lease', name: nodeName });
  assert.equal(leaseAfter.metadata!.uid, leaseBefore.metadata!.uid, 'the same Lease');
  assert.ok(new Date(leaseAfter.spec!.renewTime as unknown as string).getTime() > restartedAt, 'renewed by the restarted agent');
  const readyWas = nodeBefore.status!.conditions!.find((c) => c.type === 'Ready')!;
  const readyNow = nodeAfter.status!.conditions!.find((c) => c.type === 'Ready')!;
  t.diagnostic(`Ready before ${JSON.stringify(readyWas)}; after ${JSON.stringify(readyNow)}`);
  agent.removeManifest('static.yaml');
}, { timeout: 420_000 });
