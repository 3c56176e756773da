// The node's own objects taken away, against the REAL control plane and containerd: the Node deleted (registered again, pods kept), the Lease deleted or taken over by another holder (taken back).
//
// The agent runs with its node's own credentials; the admin does the damage. CI size: once each;
// full (MINI_KUBELET_FAULTS_FULL=1): three times each.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { podYaml, startAgent, type Agent } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';
import { boundPod, isRunningReady, recordFault, runningContainers, size, sleep } from '../support/faults.js';

let agent: Agent | undefined;
after(async () => agent?.cleanup());

async function theAgent(cluster: Cluster): Promise<Agent> {
  if (agent) return agent;
  const scope = { after: () => undefined } as never;
  const a = (agent = await startAgent({ name: 'fault-node', extraArgs: async (nodeName) => ['--kubeconfig', await cluster.mintNodeKubeconfig(scope, nodeName)] }));
  a.writeManifest('static.yaml', podYaml('static', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
  await nodeReady(cluster, a.nodeName);
  return a;
}

const nodeReady = (cluster: Cluster, name: string, timeoutMs = 90_000) => cluster.waitFor(`Node ${name} Ready`, async () => {
  const node = await cluster.core.readNode({ name });
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? node : undefined;
}, timeoutMs);

const leases = (cluster: Cluster) => cluster.kubeConfig.makeApiClient(CoordinationV1Api);
const readLease = (cluster: Cluster, name: string) =>
  leases(cluster).readNamespacedLease({ namespace: 'kube-node-lease', name }).catch((err: { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)));

clusterTest('the Node deleted while the agent runs: it registers again within seconds, its pods keep running (past the pod GC\'s 40 s quarantine), the Lease and mirror pod follow the new Node', async (cluster, t) => {
  const a = await theAgent(cluster);
  const ns = await cluster.namespace(t, 'fault-node');
  await cluster.waitForServiceAccount(ns);
  await cluster.core.createNamespacedPod({ namespace: ns, body: boundPod('app', ns, a.nodeName) });
  await cluster.waitFor('app Running', async () => isRunningReady(await cluster.core.readNamespacedPod({ namespace: ns, name: 'app' })), 90_000);
  const mirrorName = `static-${a.nodeName}`;
  await cluster.waitFor('the mirror pod', () => cluster.core.readNamespacedPod({ namespace: 'default', name: mirrorName }), 60_000);
  const times = size(1, 3);
  const backMs: number[] = [];
  let lost = 0;
  for (let i = 0; i < times; i++) {
    const before = await runningContainers(a);
    const oldUid = (await cluster.core.readNode({ name: a.nodeName })).metadata!.uid!;
    const deleted = Date.now();
    await cluster.core.deleteNode({ name: a.nodeName });
    const node = await cluster.waitFor('the Node registered again', async () => {
      const n = await cluster.core.readNode({ name: a.nodeName }).catch(() => undefined);
      return n && n.metadata!.uid !== oldUid && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    }, 60_000);
    backMs.push(Date.now() - deleted);
    // The pod GC deletes pods bound to a missing Node after 40 s (checked every 20 s): wait past that.
    await sleep(Math.max(0, 65_000 - (Date.now() - deleted)));
    const newUid = node.metadata!.uid!;
    const pod = await cluster.core.readNamespacedPod({ namespace: ns, name: 'app' }).catch(() => undefined);
    const lease = await cluster.waitFor('the Lease owned by the new Node', async () => {
      const l = await readLease(cluster, a.nodeName);
      return l?.metadata?.ownerReferences?.[0]?.uid === newUid ? l : undefined;
    }, 30_000).catch(() => undefined);
    const mirror = await cluster.waitFor('the mirror pod owned by the new Node', async () => {
      const m = await cluster.core.readNamespacedPod({ namespace: 'default', name: mirrorName }).catch(() => undefined);
      return m?.metadata?.ownerReferences?.[0]?.uid === newUid ? m : undefined;
    }, 30_000).catch(() => undefined);
    const after = await runningContainers(a);
    const changed = [...before].filter(([uid, id]) => after.get(uid) !== id).length;
    const problems = [
      !isRunningReady(pod) && 'the API pod is gone or not Running',
      pod?.status?.containerStatuses?.[0]?.restartCount !== 0 && 'the API pod restarted',
      changed > 0 && `${changed} containers replaced`,
      !lease && 'no Lease owned by the new Node',
      !mirror && 'no mirror pod owned by the new Node',
    ].filter(Boolean);
    t.diagnostic(`round ${i}: registered again ${backMs.at(-1)} ms after the deletion; ${problems.length ? problems.join(', ') : 'nothing lost'}`);
    lost += problems.length;
    assert.deepEqual(problems, []);
  }
  recordFault({
    kind: 'fault', what: 'Node object deleted by the admin while the agent runs', times, unit: 'deletions', lost,
    notes: `registered again after ${backMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; the API pod, its container, the Lease and the mirror pod kept 65 s on`,
  });
}, { timeout: 600_000 });

clusterTest('the Lease deleted, or rewritten by the admin for another holder: the agent takes it back at its next renewal, and the Node stays Ready', async (cluster) => {
  const a = await theAgent(cluster);
  const times = size(1, 3);
  const backMs: number[] = [];
  let lost = 0;
  const api = leases(cluster);
  for (let i = 0; i < times; i++) {
    for (const how of ['deleted', 'taken over'] as const) {
      const started = Date.now();
      if (how === 'deleted') {
        await api.deleteNamespacedLease({ namespace: 'kube-node-lease', name: a.nodeName });
      } else {
        const l = (await readLease(cluster, a.nodeName))!;
        const intruder: V1Lease = { ...l, spec: { ...l.spec, holderIdentity: 'intruder', leaseDurationSeconds: 1 } };
        await api.replaceNamespacedLease({ namespace: 'kube-node-lease', name: a.nodeName, body: intruder });
      }
      const back = await cluster.waitFor(`the Lease ${how}: taken back`, async () => {
        const l = await readLease(cluster, a.nodeName);
        const renewed = l?.spec?.renewTime ? new Date(l.spec.renewTime as unknown as string).getTime() : 0;
        return l?.spec?.holderIdentity === a.nodeName && l.spec.leaseDurationSeconds === 40 && renewed >= started - 1000 ? l : undefined;
      }, 30_000).catch(() => undefined);
      backMs.push(Date.now() - started);
      if (!back) lost++;
      assert.ok(back, `the Lease ${how} was taken back`);
      assert.equal(back.metadata?.ownerReferences?.[0]?.name, a.nodeName, 'owned by the Node');
    }
  }
  const node = await nodeReady(cluster, a.nodeName, 5000).catch(() => undefined);
  if (!node) lost++;
  recordFault({
    kind: 'fault', what: 'node Lease deleted, or rewritten by the admin for another holder and a 1 s duration', times: 2 * times, unit: 'takeovers', lost,
    notes: `taken back after ${backMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s (renewal every 10 s); the Node stayed Ready`,
  });
  assert.ok(node, 'the Node is still Ready');
}, { timeout: 300_000 });
