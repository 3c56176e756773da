// Deployments end to end against the REAL control plane and containerd: `kubectl create deployment` lands on the agent's node through the scheduler, runs, scales down, replaces a deleted pod, and goes away within its grace period.
//
// One agent for the file, joined with its node's own credentials. The deployment's pods carry a
// nodeSelector on a label only this agent's node has (the shared control plane holds other
// tests' nodes); the scheduler still does the placing. Skipped, with one line saying why,
// without the control-plane binaries.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../support/agent.js';
import { clusterTest, uniqueName, type Cluster } from '../support/cluster.js';
import { createDeployment, fileScope, inRuntime, isRunning, joinAgent, kubectlOk, listPods, readPod } from '../support/cluster-agent.js';

const scope = fileScope();
after(() => scope.run());

const GRACE = 5;
const group = uniqueName('deploy');
const LABEL: [string, string] = ['example.com/e2e-group', group];
let shared: Promise<{ agent: Agent; ns: string }> | undefined;

function setup(cluster: Cluster) {
  shared ??= (async () => {
    const agent = await joinAgent(cluster, scope, 'deploy', ['--node-labels', `${LABEL[0]}=${LABEL[1]}`]);
    const ns = uniqueName('e2e-deploy');
    await kubectlOk(cluster, ['create', 'namespace', ns]);
    scope.after(() => cluster.kubectl(['delete', 'namespace', ns, '--wait=false']));
    await cluster.waitForServiceAccount(ns);
    return { agent, ns };
  })();
  return shared;
}

/** The pods of deployment `app` that are not being deleted. */
const live = async (cluster: Cluster, ns: string, app: string) =>
  (await listPods(cluster, ns, `app=${app}`)).filter((p) => !p.metadata?.deletionTimestamp);

/** Waits until `pods` are gone from the API and from the runtime; the time it took. */
async function waitGone(cluster: Cluster, agent: Agent, ns: string, pods: V1Pod[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  await cluster.waitFor(`${pods.map((p) => p.metadata!.name).join(', ')} gone from the API`, async () => {
    for (const p of pods) if (await readPod(cluster, ns, p.metadata!.name!)) return false;
    return true;
  }, timeoutMs);
  const took = Date.now() - started;
  for (const p of pods) {
    const rt = await inRuntime(agent, p.metadata!.uid!);
    assert.equal(rt.running.length, 0, `nothing of ${p.metadata!.name} runs`);
    assert.equal(rt.sandboxes.length, 0, `nothing of ${p.metadata!.name} is left in the runtime`);
  }
  return took;
}

clusterTest('kubectl create deployment --replicas=3: the scheduler places them on the agent\'s node, they run once each, Running in the API with their podIPs; rollout status, describe, logs and exec work', async (cluster, t) => {
  const { agent, ns } = await setup(cluster);
  await createDeployment(cluster, ns, 'web', { replicas: 3, nodeLabel: LABEL, grace: GRACE, command: ['sh', '-c', 'echo hello from $(hostname); exec sleep 3600'] });
  const pods = await cluster.waitFor('3 replicas Running in the API', async () => {
    const ps = await live(cluster, ns, 'web');
    return ps.length === 3 && ps.every(isRunning) ? ps : undefined;
  }, 120_000);
  const ips = new Set(pods.map((p) => p.status!.podIP));
  assert.equal(ips.size, 3, `three pod IPs: ${[...ips]}`);
  for (const p of pods) {
    assert.equal(p.spec!.nodeName, agent.nodeName);
    const rt = await inRuntime(agent, p.metadata!.uid!);
    assert.equal(rt.sandboxes.length, 1, `one sandbox for ${p.metadata!.name}`);
    assert.equal(rt.containers.length, 1, `one container for ${p.metadata!.name}`);
    assert.equal(`containerd://${rt.running[0]?.id}`, p.status!.containerStatuses![0]!.containerID);
    assert.equal(p.status!.containerStatuses![0]!.restartCount, 0);
  }
  const rollout = await cluster.kubectl(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=60s']);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /successfully rolled out/);
  const wide = await kubectlOk(cluster, ['get', 'pods', '-n', ns, '-o', 'wide', '--no-headers']);
  t.diagnostic(`kubectl get pods -o wide:\n${wide.trim()}`);
  for (const p of pods) assert.match(wide, new RegExp(`^${p.metadata!.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.status!.podIP!.replace(/\./g, '\\.')}\\s+${agent.nodeName}\\s`, 'm'));

  const name = pods[0]!.metadata!.name!;
  await cluster.waitFor('describe pod shows the scheduler\'s and the kubelet\'s events', async () => {
    const out = await kubectlOk(cluster, ['describe', 'pod', '-n', ns, name]);
    return /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned/.test(out) && /Normal\s+Started\s+.*kubelet\s+Started container busybox/.test(out);
  }, 30_000);
  // The node API through the API server, for a pod the scheduler placed.
  assert.equal(await kubectlOk(cluster, ['logs', '-n', ns, name]), `hello from ${name}\n`);
  assert.equal(await kubectlOk(cluster, ['exec', '-n', ns, name, '--', 'hostname']), `${name}\n`);
}, { timeout: 300_000 });

clusterTest('scaling down to 1 stops two pods within their grace period, from the API and the runtime; the one left is untouched', async (cluster) => {
  const { agent, ns } = await setup(cluster);
  const before = await live(cluster, ns, 'web');
  assert.equal(before.length, 3);
  const started = Date.now();
  await kubectlOk(cluster, ['scale', '-n', ns, 'deployment/web', '--replicas=1']);
  const doomed = await cluster.waitFor('two pods being deleted', async () => {
    const ps = (await listPods(cluster, ns, 'app=web')).filter((p) => p.metadata?.deletionTimestamp);
    return ps.length === 2 ? ps : undefined;
  }, 30_000);
  await waitGone(cluster, agent, ns, doomed, 60_000);
  const took = Date.now() - started;
  // sleep as PID 1 ignores SIGTERM: each had its whole grace period, and no more than a little slack.
  assert.ok(took >= (GRACE - 0.5) * 1000, `gone after ${took} ms, before the ${GRACE} s grace period`);
  assert.ok(took < (GRACE + 15) * 1000, `gone after ${took} ms: within the grace period and a little slack`);
  const [kept] = await live(cluster, ns, 'web');
  const old = before.find((p) => p.metadata!.uid === kept!.metadata!.uid);
  assert.ok(old, 'the one left is one of the three');
  assert.equal(kept!.status!.containerStatuses![0]!.containerID, old.status!.containerStatuses![0]!.containerID);
  assert.equal(kept!.status!.containerStatuses![0]!.restartCount, 0);
  assert.ok(isRunning(kept));
}, { timeout: 180_000 });

clusterTest('kubectl delete pod of a deployment: it stops within its grace period and the ReplicaSet\'s replacement runs on the node', async (cluster) => {
  const { agent, ns } = await setup(cluster);
  const [victim] = await live(cluster, ns, 'web');
  const started = Date.now();
  await kubectlOk(cluster, ['delete', 'pod', '-n', ns, victim!.metadata!.name!, '--wait=false']);
  const replacement = await cluster.waitFor('the replacement Running', async () => {
    const ps = await live(cluster, ns, 'web');
    return ps.length === 1 && ps[0]!.metadata!.uid !== victim!.metadata!.uid && isRunning(ps[0]) ? ps[0] : undefined;
  }, 90_000);
  assert.equal(replacement.spec!.nodeName, agent.nodeName);
  await waitGone(cluster, agent, ns, [victim!], 60_000);
  const took = Date.now() - started;
  assert.ok(took >= (GRACE - 0.5) * 1000 && took < (GRACE + 15) * 1000, `the deleted pod gone after ${took} ms (grace ${GRACE} s)`);
  const rt = await inRuntime(agent, replacement.metadata!.uid!);
  assert.deepEqual([rt.sandboxes.length, rt.running.length], [1, 1]);
}, { timeout: 180_000 });

clusterTest('kubectl delete deployment: its pods go within their grace period (the garbage collector deletes them), from the runtime too', async (cluster) => {
  const { agent, ns } = await setup(cluster);
  await kubectlOk(cluster, ['scale', '-n', ns, 'deployment/web', '--replicas=3']);
  const pods = await cluster.waitFor('3 Running again', async () => {
    const ps = await live(cluster, ns, 'web');
    return ps.length === 3 && ps.every(isRunning) ? ps : undefined;
  }, 120_000);
  const started = Date.now();
  await kubectlOk(cluster, ['delete', '-n', ns, 'deployment/web', '--wait=false']);
  await waitGone(cluster, agent, ns, pods, 90_000);
  const took = Date.now() - started;
  assert.ok(took < (GRACE + 20) * 1000, `gone after ${took} ms`);
  assert.deepEqual(await listPods(cluster, ns), []);
}, { timeout: 240_000 });
