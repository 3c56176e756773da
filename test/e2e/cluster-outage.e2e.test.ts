// The API server stopped (SIGSTOP) for 30 s under a joined agent, against the REAL control plane and containerd: nothing restarts, and the watch, the statuses, the Lease and the mirror pods recover.
//
// The control plane is shared by every cluster test file of a run: the API server is resumed
// (SIGCONT) in a finally, and the test ends only once /readyz answers again. Skipped, with one
// line saying why, without the control-plane binaries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CoordinationV1Api, type V1Pod } from '@kubernetes/client-node';
import { podYaml } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';
import { inRuntime, isRunning, joinAgent, readPod } from '../support/cluster-agent.js';

const STOP_MS = 30_000;

/** Our kube-apiserver's pid (up.sh's pid file), checked against its command line. */
function apiServerPid(cluster: Cluster): number {
  const pid = Number(readFileSync(path.join(cluster.dir, 'run', 'kube-apiserver.pid'), 'utf8').trim());
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes('kube-apiserver') && cmdline.some((a) => a.includes(cluster.dir)), `pid ${pid} is not this cluster's kube-apiserver: ${cmdline.join(' ').slice(0, 300)}`);
  return pid;
}

/** Until /readyz answers ok, so the files after this one find a working control plane. */
async function waitReady(cluster: Cluster): Promise<void> {
  await cluster.waitFor('the API server /readyz', async () => (await cluster.kubectl(['get', '--raw', '/readyz', '--request-timeout=5s'])).stdout.trim() === 'ok', 120_000);
}

const pod = (name: string, nodeName: string, command: string, restartPolicy = 'Always', grace = 2): V1Pod => ({
  metadata: { name },
  spec: {
    nodeName, restartPolicy, terminationGracePeriodSeconds: grace,
    containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', command] }],
  },
});
const SLEEPER = "trap 'exit 0' TERM; sleep 3600 & wait";

clusterTest('the API server stopped for 30 s: no pod restarts; afterwards a status change made during the stop reaches the API, new and deleted pods are handled, the Lease is renewed, nothing is duplicated', async (cluster, t) => {
  const agent = await joinAgent(cluster, t, 'outage');
  const ns = await cluster.namespace(t, 'e2e-outage');
  await cluster.waitForServiceAccount(ns);
  const nodeName = agent.nodeName;
  for (const p of [pod('steady', nodeName, SLEEPER), pod('doomed', nodeName, SLEEPER),
    // Exits 3 once /tmp/go exists: a status change the test causes while the API server is stopped.
    pod('flip', nodeName, 'while [ ! -e /tmp/go ]; do sleep 0.2; done; exit 3', 'Never')]) {
    await cluster.core.createNamespacedPod({ namespace: ns, body: p });
  }
  agent.writeManifest('static.yaml', podYaml('static', `
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "${SLEEPER}"]
`));
  const mirrorName = `static-${nodeName}`;
  const before = new Map<string, V1Pod>();
  await cluster.waitFor('every pod Running in the API, the mirror pod too', async () => {
    for (const [n, space] of [['steady', ns], ['doomed', ns], ['flip', ns], [mirrorName, 'default']] as const) {
      const p = await readPod(cluster, space, n);
      if (!isRunning(p)) return false;
      before.set(n, p!);
    }
    return true;
  }, 120_000);
  const runtimeBefore = await Promise.all([...before.values()].map((p) => inRuntime(agent, p.metadata!.annotations?.['kubernetes.io/config.mirror'] ?? p.metadata!.uid!)));
  const flipContainer = (await inRuntime(agent, before.get('flip')!.metadata!.uid!)).running[0]!.id;

  const readyBefore = (await cluster.core.readNode({ name: nodeName })).status!.conditions!.find((c) => c.type === 'Ready')!;
  const pid = apiServerPid(cluster);
  let resumedAt = 0;
  let stoppedAt = 0;
  try {
    process.kill(pid, 'SIGSTOP');
    stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 5000));
    // Inside the stop: the flip container exits; the agent sees it (its own /pods) though the API cannot hear it yet.
    await agent.cri.execSync(flipContainer, ['touch', '/tmp/go'], 10);
    await agent.waitPod('flip', 'Failed in the agent', (p) => p.status?.phase === 'Failed', 20_000);
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + STOP_MS - Date.now())));
  } finally {
    process.kill(pid, 'SIGCONT');
    resumedAt = Date.now();
    await waitReady(cluster);
  }
  t.diagnostic(`API server stopped for ${resumedAt - stoppedAt} ms; /readyz ok ${Date.now() - resumedAt} ms after SIGCONT`);

  // The status made during the stop reaches the API.
  const flip = await cluster.waitFor('flip Failed in the API', async () => {
    const p = await readPod(cluster, ns, 'flip');
    return p?.status?.phase === 'Failed' ? p : undefined;
  }, 60_000);
  t.diagnostic(`flip's Failed status in the API ${Date.now() - resumedAt} ms after SIGCONT`);
  assert.equal(flip.status!.containerStatuses![0]!.state?.terminated?.exitCode, 3);
  // The watch works: a pod created after the stop runs, a pod deleted after it goes within its grace.
  const t0 = Date.now();
  await cluster.core.createNamespacedPod({ namespace: ns, body: pod('late', nodeName, SLEEPER) });
  await cluster.core.deleteNamespacedPod({ namespace: ns, name: 'doomed' });
  await cluster.waitFor('late Running in the API', async () => isRunning(await readPod(cluster, ns, 'late')), 60_000);
  await cluster.waitFor('doomed gone', async () => !(await readPod(cluster, ns, 'doomed')), 60_000);
  t.diagnostic(`after the stop: a new pod Running and a deleted one gone in ${Date.now() - t0} ms`);
  assert.equal((await inRuntime(agent, before.get('doomed')!.metadata!.uid!)).sandboxes.length, 0);

  // The Lease is renewed again, and the Node is Ready.
  const coordination = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  await cluster.waitFor('a renewal after the stop', async () => {
    const l = await coordination.readNamespacedLease({ namespace: 'kube-node-lease', name: nodeName });
    return new Date(l.spec!.renewTime as unknown as string).getTime() > resumedAt;
  }, 30_000);
  const node = await cluster.waitForNodeReady(nodeName, 60_000);
  const readyAfter = node.status!.conditions!.find((c) => c.type === 'Ready')!;
  // The node lifecycle controller never marked it Unknown: the Lease came back within its grace period.
  assert.equal(new Date(readyAfter.lastTransitionTime!).getTime(), new Date(readyBefore.lastTransitionTime!).getTime(),
    `the Ready condition did not change: ${JSON.stringify(readyAfter)}`);

  // Nothing restarted: the same containers, restart counts unchanged; the same mirror pod.
  for (const n of ['steady', mirrorName]) {
    const space = n === 'steady' ? ns : 'default';
    const now = await cluster.waitFor(`${n} Running and Ready in the API`, async () => {
      const p = await readPod(cluster, space, n);
      return isRunning(p) && p!.status!.conditions!.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
    }, 60_000);
    const was = before.get(n)!;
    assert.equal(now.metadata!.uid, was.metadata!.uid, `${n}: the same object`);
    assert.equal(now.status!.containerStatuses![0]!.containerID, was.status!.containerStatuses![0]!.containerID, `${n}: the same container`);
    assert.equal(now.status!.containerStatuses![0]!.restartCount, 0, `${n}: no restart`);
  }
  for (const [i, p] of [...before.values()].entries()) {
    if (p.metadata!.name === 'doomed') continue;
    const uid = p.metadata!.annotations?.['kubernetes.io/config.mirror'] ?? p.metadata!.uid!;
    const rt = await inRuntime(agent, uid);
    assert.equal(rt.sandboxes.length, 1, `${p.metadata!.name}: one sandbox`);
    assert.deepEqual(rt.containers.map((c) => c.id), runtimeBefore[i]!.containers.map((c) => c.id), `${p.metadata!.name}: the same containers`);
  }
  const mirrors = (await cluster.core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${nodeName}` })).items;
  assert.deepEqual(mirrors.map((m) => m.metadata!.name), [mirrorName], 'one mirror pod');
  agent.removeManifest('static.yaml');
}, { timeout: 420_000 });
