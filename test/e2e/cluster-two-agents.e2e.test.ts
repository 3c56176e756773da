// Two agents with different node names on one machine and one containerd, joined to one control plane: a deployment spreads over both, and each runs only its own pods.
//
// Each agent has its own --port, --read-only-port, --root-dir and --pod-logs-dir (startAgent) and
// only touches sandboxes labelled with its node name. Skipped, with one line saying why, without
// the control-plane binaries.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { NODE_NAME_LABEL } from '../../src/runtime/labels.js';
import { clusterTest, uniqueName } from '../support/cluster.js';
import { createDeployment, inRuntime, isRunning, joinAgent, kubectlOk, listPods } from '../support/cluster-agent.js';

clusterTest('a deployment of 4 with a hard spread over host names lands 2 and 2 on two agents of one machine; each agent runs its own pods only; deleting it clears both', async (cluster, t: TestContext) => {
  const group = uniqueName('pair');
  const label: [string, string] = ['example.com/e2e-group', group];
  const [a, b] = await Promise.all(['pair-a', 'pair-b'].map((n) => joinAgent(cluster, t, n, ['--node-labels', `${label[0]}=${label[1]}`])));
  assert.notEqual(a!.nodeName, b!.nodeName);
  const ns = await cluster.namespace(t, 'e2e-pair');
  await cluster.waitForServiceAccount(ns);
  await createDeployment(cluster, ns, 'spread', { replicas: 4, nodeLabel: label, grace: 2, spread: true });
  const pods = await cluster.waitFor('4 replicas Running', async () => {
    const ps = await listPods(cluster, ns, 'app=spread');
    return ps.length === 4 && ps.every(isRunning) ? ps : undefined;
  }, 180_000);
  const byNode = new Map<string, string[]>();
  for (const p of pods) byNode.set(p.spec!.nodeName!, [...(byNode.get(p.spec!.nodeName!) ?? []), p.metadata!.uid!]);
  t.diagnostic(`placement: ${[...byNode].map(([n, uids]) => `${n}: ${uids.length}`).join(', ')}`);
  assert.deepEqual([...byNode.keys()].sort(), [a!.nodeName, b!.nodeName].sort());
  assert.deepEqual([...byNode.values()].map((u) => u.length), [2, 2]);
  // Each pod runs once, made by the agent of its node (sandboxes are labelled with the node name).
  for (const [agent, other] of [[a!, b!], [b!, a!]] as const) {
    for (const uid of byNode.get(agent.nodeName)!) {
      const rt = await inRuntime(agent, uid);
      assert.deepEqual([rt.readySandboxes.length, rt.running.length], [1, 1], `pod ${uid} on ${agent.nodeName}`);
      assert.equal(rt.sandboxes[0]!.labels[NODE_NAME_LABEL], agent.nodeName);
    }
    const seen = (await other.pods()).map((p) => p.metadata?.uid);
    for (const uid of byNode.get(agent.nodeName)!) assert.ok(!seen.includes(uid), `${other.nodeName} does not run ${uid}`);
  }
  // kubectl exec reaches a pod on each node (each agent's node API on its own port).
  for (const p of pods.filter((x, i, all) => all.findIndex((y) => y.spec!.nodeName === x.spec!.nodeName) === i)) {
    assert.equal(await kubectlOk(cluster, ['exec', '-n', ns, p.metadata!.name!, '--', 'hostname']), `${p.metadata!.name}\n`);
  }
  await kubectlOk(cluster, ['delete', '-n', ns, 'deployment/spread', '--wait=false']);
  await cluster.waitFor('every pod gone', async () => (await listPods(cluster, ns)).length === 0, 90_000);
  for (const p of pods) {
    const agent = p.spec!.nodeName === a!.nodeName ? a! : b!;
    assert.equal((await inRuntime(agent, p.metadata!.uid!)).sandboxes.length, 0);
  }
}, { timeout: 360_000 });
