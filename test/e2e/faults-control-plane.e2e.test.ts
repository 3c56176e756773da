// Faults of the control plane against the REAL API server, etcd and containerd: the API server killed while pods start and are deleted; etcd restarted under the agent's watch.
//
// Each kill is SIGKILL (nothing graceful) and up.sh brings the component back in a finally, since
// other test files share the control plane. CI size: a 20 s outage; full (MINI_KUBELET_FAULTS_FULL=1):
// 60 s, twice. The agent runs with its node's own credentials.
import assert from 'node:assert/strict';
import { after, type TestContext } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { startAgent, type Agent } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';
import {
  advanceEtcdRevision, boundPod, isRunningReady, killComponent, recordFault, restoreControlPlane, runningContainers, runtimeByPod, size, sleep, withComponentDown,
} from '../support/faults.js';

let agent: Agent | undefined;
after(async () => agent?.cleanup());

async function theAgent(cluster: Cluster): Promise<Agent> {
  if (agent) return agent;
  const scope = { after: () => undefined } as never;
  agent = await startAgent({ name: 'fault-cp', extraArgs: async (nodeName) => ['--kubeconfig', await cluster.mintNodeKubeconfig(scope, nodeName)] });
  const a = agent;
  await cluster.waitFor('the agent\'s Node Ready', async () => {
    const node = await cluster.core.readNode({ name: a.nodeName });
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  }, 90_000);
  return a;
}

const podsIn = async (cluster: Cluster, ns: string): Promise<V1Pod[]> => (await cluster.core.listNamespacedPod({ namespace: ns })).items;

/** The pods the agent serves on its read-only port, by name (it hears the API server's watch). */
async function agentView(a: Agent): Promise<Map<string, V1Pod>> {
  return new Map((await a.pods()).map((p) => [p.metadata!.name!, p]));
}

/**
 * The controller manager's informers come back on their own back-off after an outage (up to 30 s
 * between lists): the next test needs its service account controller, so a test that stopped the
 * API server waits until a new namespace gets its default ServiceAccount (once over 60 s after
 * two 60 s outages). Returns how long that took.
 */
async function controllersCaughtUp(cluster: Cluster, t: TestContext): Promise<number> {
  const from = Date.now();
  await cluster.waitForServiceAccount(await cluster.namespace(t, 'fault-settle'), 'default', 240_000);
  return Date.now() - from;
}

clusterTest('the API server killed while 20 pods start and 5 are deleted: running containers untouched, statuses and deletions complete when it returns, no pod left behind', async (cluster, t) => {
  const a = await theAgent(cluster);
  const outageMs = size(20_000, 60_000);
  const rounds = size(1, 2);
  let lost = 0;
  const notes: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const ns = await cluster.namespace(t, `fault-api${round}`);
    await cluster.waitForServiceAccount(ns);
    const keep = ['keep-0', 'keep-1', 'keep-2'];
    const old = ['old-0', 'old-1', 'old-2', 'old-3', 'old-4'];
    const fresh = Array.from({ length: 20 }, (_, i) => `new-${i}`);
    await Promise.all([...keep, ...old].map((name) => cluster.core.createNamespacedPod({ namespace: ns, body: boundPod(name, ns, a.nodeName) })));
    await cluster.waitFor('keep and old pods Running in the API', async () => (await podsIn(cluster, ns)).filter(isRunningReady).length === 8, 120_000);
    const uidOf = new Map((await podsIn(cluster, ns)).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    const before = await runningContainers(a);

    await Promise.all(fresh.map((name) => cluster.core.createNamespacedPod({ namespace: ns, body: boundPod(name, ns, a.nodeName) })));
    await Promise.all(old.map((name) => cluster.core.deleteNamespacedPod({ namespace: ns, name })));
    // Once the agent has heard of all of it (its watch), the API server goes: the pods start and
    // the deletions are carried out on the node with no API server to write to.
    await a.waitFor('the agent to hear the 20 pods and the 5 deletions', async () => {
      const view = await agentView(a);
      return fresh.every((n) => view.has(n)) && old.every((n) => !view.has(n) || view.get(n)!.metadata?.deletionTimestamp);
    }, 30_000);

    let restartedAt = 0;
    const during = await withComponentDown(cluster, 'kube-apiserver', async () => {
      const started = Date.now();
      let touched = 0;
      while (Date.now() - started < outageMs) {
        const now = await runningContainers(a);
        touched = Math.max(touched, keep.filter((n) => now.get(uidOf.get(n)!) !== before.get(uidOf.get(n)!)).length);
        assert.ok(a.pid(), `the agent is alive ${Date.now() - started} ms into the outage`);
        await sleep(1000);
      }
      const rt = await runtimeByPod(a);
      const now = await runningContainers(a);
      restartedAt = Date.now();
      return {
        touched,
        freshRunning: [...rt.byPod.values()].filter((p) => p.containers.some((c) => c.state === 'CONTAINER_RUNNING') && p.sandboxes[0]?.labels?.['io.kubernetes.pod.namespace'] === ns && p.sandboxes[0]?.labels?.['io.kubernetes.pod.name']?.startsWith('new-')).length,
        oldStillRunning: old.filter((n) => now.has(uidOf.get(n)!)).length,
      };
    });
    const readyzMs = Date.now() - restartedAt;
    // Statuses and deletions flush once the API server answers (the reflector's back-off is at most 30 s).
    let settled = true;
    await cluster.waitFor('every new pod Running in the API and every deleted pod gone', async () => {
      const pods = await podsIn(cluster, ns);
      return pods.length === 23 && pods.filter(isRunningReady).length === 23 && !pods.some((p) => old.includes(p.metadata!.name!));
    }, 90_000).catch(() => (settled = false));
    const settleMs = Date.now() - restartedAt;
    const pods = await podsIn(cluster, ns);
    const rt = await runtimeByPod(a);
    const apiUids = new Set(pods.map((p) => p.metadata!.uid!));
    const nsUids = new Set([...uidOf.values(), ...pods.map((p) => p.metadata!.uid!)]);
    const leftBehind = [...rt.byPod.keys()].filter((uid) => nsUids.has(uid) && !apiUids.has(uid));
    const duplicates = [...rt.byPod.entries()].filter(([uid, p]) => apiUids.has(uid) && (p.sandboxes.length !== 1 || p.containers.length !== 1));
    const after = await runningContainers(a);
    const keepChanged = keep.filter((n) => after.get(uidOf.get(n)!) !== before.get(uidOf.get(n)!));
    const restarts = pods.flatMap((p) => p.status?.containerStatuses ?? []).filter((c) => c.restartCount > 0).length;
    const notRunning = pods.filter((p) => !isRunningReady(p)).map((p) => p.metadata!.name);
    const oldInApi = pods.filter((p) => old.includes(p.metadata!.name!)).map((p) => p.metadata!.name);
    t.diagnostic(`round ${round}: outage ${outageMs} ms; during it ${during.freshRunning}/20 new pods ran, ${5 - during.oldStillRunning}/5 deleted pods stopped; API server ready ${readyzMs} ms after its restart, every status and deletion written ${settleMs} ms after it`);
    notes.push(`${during.freshRunning}/20 started and ${5 - during.oldStillRunning}/5 stopped during the outage; all written ${(settleMs / 1000).toFixed(1)} s after the restart (/readyz at ${(readyzMs / 1000).toFixed(1)} s)`);
    const roundLost = during.touched + keepChanged.length + restarts + notRunning.length + oldInApi.length + leftBehind.length + duplicates.length;
    lost += roundLost;
    assert.equal(during.touched, 0, 'no running container touched during the outage');
    assert.deepEqual(keepChanged, [], 'the untouched pods keep their containers');
    assert.equal(restarts, 0, 'no restart');
    assert.deepEqual(notRunning, [], 'every pod Running and ready in the API');
    assert.deepEqual(oldInApi, [], 'every deleted pod gone from the API');
    assert.deepEqual(leftBehind, [], 'nothing of a deleted pod left in the runtime');
    assert.deepEqual(duplicates.map(([uid]) => uid), [], 'one sandbox and one container per pod');
    assert.ok(settled);
  }
  notes.push(`the controller manager made a new namespace's ServiceAccount ${(await controllersCaughtUp(cluster, t) / 1000).toFixed(1)} s after the last check`);
  recordFault({
    kind: 'fault', what: `API server killed (SIGKILL) for ${outageMs / 1000} s while 20 pods start and 5 are deleted`, times: rounds, unit: 'outages',
    lost, lostWhat: lost ? 'pods not Running, left behind, duplicated or restarted' : undefined, notes: notes.join('; '),
  });
}, { timeout: 900_000 });

clusterTest('etcd killed and restarted: the watch recovers (held by the API server\'s cache; 410 Gone → relist when the API server restarted and the store moved on) and sees new changes; no pod is restarted', async (cluster, t) => {
  const a = await theAgent(cluster);
  const ns = await cluster.namespace(t, 'fault-etcd');
  await cluster.waitForServiceAccount(ns);
  const times = size(1, 3);
  let lost = 0;
  const relisted = { etcd: 0, both: 0 };
  await Promise.all(['a', 'b', 'c'].map((name) => cluster.core.createNamespacedPod({ namespace: ns, body: boundPod(name, ns, a.nodeName) })));
  await cluster.waitFor('3 pods Running', async () => (await podsIn(cluster, ns)).filter(isRunningReady).length === 3, 120_000);
  // This namespace's pods only: the agent is shared, and the last test's namespace is still being
  // deleted (its 23 pods going away counted as 23 replaced containers).
  const mine = new Set((await podsIn(cluster, ns)).map((p) => p.metadata!.uid!));
  const before = new Map([...(await runningContainers(a))].filter(([uid]) => mine.has(uid)));
  let n = 0;
  /** A change made once the control plane is back reaches the agent: a new pod runs, and goes when deleted. */
  const watchIsLive = async () => {
    const name = `late-${n++}`;
    await cluster.core.createNamespacedPod({ namespace: ns, body: boundPod(name, ns, a.nodeName) });
    await cluster.waitFor(`${name} Running (the watch is live again)`, async () => isRunningReady(await cluster.core.readNamespacedPod({ namespace: ns, name })), 90_000);
    await cluster.core.deleteNamespacedPod({ namespace: ns, name });
    await cluster.waitFor(`${name} gone`, async () => !(await podsIn(cluster, ns)).some((p) => p.metadata!.name === name), 60_000);
  };
  for (let i = 0; i < times; i++) {
    for (const variant of ['etcd', 'both'] as const) {
      const logFrom = a.output().length;
      await killComponent(cluster, 'etcd');
      try {
        await sleep(5000);
      } finally {
        await restoreControlPlane(cluster);
      }
      // etcd alone: the API server's watch cache holds the agent's watch open over the gap. Then
      // the API server restarts while the store moves on (writes straight to etcd, as the other
      // API servers of an HA control plane would make): the agent's watch drops and resumes from a
      // resourceVersion older than the new watch cache holds, which answers 410 Gone: a relist.
      if (variant === 'both') {
        await killComponent(cluster, 'kube-apiserver');
        try {
          await advanceEtcdRevision(cluster);
        } finally {
          await restoreControlPlane(cluster);
        }
      }
      await watchIsLive();
      if (/watch resourceVersion too old; relisting/.test(a.output().slice(logFrom))) relisted[variant]++;
    }
  }
  const afterRun = await runningContainers(a);
  const changed = [...before].filter(([uid, id]) => afterRun.get(uid) !== id).length;
  const restarts = (await podsIn(cluster, ns)).flatMap((p) => p.status?.containerStatuses ?? []).filter((c) => c.restartCount > 0).length;
  lost += changed + restarts;
  const settleMs = await controllersCaughtUp(cluster, t);
  t.diagnostic(`the controller manager made a new namespace's ServiceAccount ${settleMs} ms after the last restart's check`);
  t.diagnostic(`${times}× etcd alone: ${relisted.etcd} relists; ${times}× the API server after it: ${relisted.both} relists after 410 Gone`);
  recordFault({
    kind: 'fault', what: 'etcd killed (SIGKILL) and restarted under the agent\'s pod watch; then the API server restarted while etcd\'s revision moved on', times: 2 * times, unit: 'restarts', lost,
    lostWhat: lost ? 'containers restarted or replaced' : undefined,
    notes: `etcd alone: the watch held by the API server's cache (${relisted.etcd}/${times} relists); API server restarted: ${relisted.both}/${times} resumed watches answered 410 Gone and relisted; new pods and deletions seen after each`,
  });
  assert.equal(changed, 0, 'the same containers run');
  assert.equal(restarts, 0, 'no restart');
  assert.equal(relisted.both, times, 'each resumed watch met 410 Gone and relisted');
}, { timeout: 900_000 });
