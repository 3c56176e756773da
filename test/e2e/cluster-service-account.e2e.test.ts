// The service-account volume against the REAL control plane: a pod-bound token (TokenReview), the cluster CA from kube-root-ca.crt and the namespace, read with the node's own credentials.
//
// The first test drives the volume code directly with the node's credentials (no containerd);
// the others run API pods through a real agent (--kubeconfig) and look from inside the container.
// Skipped, with one line saying why, when no kube-apiserver is found (MINI_KUBELET_K8S_BIN).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { V1Pod, V1TokenReviewStatus } from '@kubernetes/client-node';
import pino from 'pino';
import { createClusterVolumes } from '../../src/cli/run-cluster-volumes.js';
import { createKubeClient } from '../../src/kubeclient/client.js';
import { HostVolumeManager } from '../../src/volumes/manager.js';
import { startAgent, type Agent } from '../support/agent.js';
import { runningContainer } from '../support/cluster-agent.js';
import { clusterTest, uniqueName, type Cluster } from '../support/cluster.js';
import { exec } from '../support/in-pod.js';
import { SERVICE_ACCOUNT_MOUNT } from '../support/kube-api-access.js';
import { reviewToken, tokenClaims } from '../support/tokens.js';

const WAIT = 120_000;

/** A namespace with its default ServiceAccount and kube-root-ca.crt (made by the controller manager). */
async function namespace(cluster: Cluster, t: TestContext): Promise<string> {
  const ns = await cluster.namespace(t, 'e2e-sa');
  await cluster.waitForServiceAccount(ns);
  await cluster.waitForConfigMap(ns, 'kube-root-ca.crt');
  return ns;
}

/**
 * The Node object for `name` when no agent runs (the first test drives the volume code alone):
 * made with the node's own credentials, as its kubelet would register it, so the pod garbage
 * collector leaves pods bound to it alone (it deletes pods of nodes that do not exist).
 */
async function registerNode(cluster: Cluster, t: TestContext, name: string, kubeconfig: string): Promise<void> {
  const res = await cluster.kubectl(['create', '-f', '-'], { kubeconfig, input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name } }) });
  assert.equal(res.code, 0, res.stderr);
  t.after(() => cluster.kubectl(['delete', 'node', name, '--ignore-not-found', '--wait=false']));
}

function assertBoundToPod(r: V1TokenReviewStatus, ns: string, pod: V1Pod): void {
  assert.equal(r.authenticated, true, r.error);
  assert.equal(r.user?.username, `system:serviceaccount:${ns}:default`);
  assert.deepEqual(r.user?.extra?.['authentication.kubernetes.io/pod-name'], [pod.metadata!.name]);
  assert.deepEqual(r.user?.extra?.['authentication.kubernetes.io/pod-uid'], [pod.metadata!.uid]);
}

const sleeper = { name: 'main', image: 'busybox:1.36', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] };

clusterTest('with the node\'s own credentials: a token bound to a pod on the node, kube-root-ca.crt and the namespace are written; TokenReview accepts the token', async (cluster, t) => {
  const ns = await namespace(cluster, t);
  const nodeName = uniqueName('e2e-sa-node');
  const kubeconfig = await cluster.mintNodeKubeconfig(t, nodeName);
  await registerNode(cluster, t, nodeName, kubeconfig);
  const pod = await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'direct' },
    spec: {
      nodeName,
      containers: [sleeper],
      volumes: [{ name: 'short', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] } }],
    },
  } });
  // The ServiceAccount admission gave the pod its kube-api-access-<suffix> volume.
  const access = pod.spec!.volumes!.find((v) => v.name.startsWith('kube-api-access-'));
  assert.ok(access, JSON.stringify(pod.spec!.volumes));

  const client = await createKubeClient({ kubeconfig, qps: 0, burst: 0 });
  t.after(() => client.close());
  const root = mkdtempSync(path.join(tmpdir(), 'mk-e2e-sa-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const vm = new HostVolumeManager(root, { nodeName, cluster: createClusterVolumes(client, pino({ level: 'silent' })).sources });
  await vm.setUpPod(pod);

  const dir = (v: string) => path.join(root, 'pods', pod.metadata!.uid!, 'volumes/kubernetes.io~projected', v);
  const file = (v: string, f: string) => readFileSync(path.join(dir(v), f), 'utf8');
  assert.equal(file(access.name, 'ca.crt'), readFileSync(path.join(cluster.dir, 'pki/ca.crt'), 'utf8'));
  assert.equal(file(access.name, 'namespace'), ns);
  for (const f of ['token', 'ca.crt', 'namespace']) assert.equal(statSync(path.join(dir(access.name), f)).mode & 0o777, 0o644, f);
  assertBoundToPod(await reviewToken(cluster, file(access.name, 'token')), ns, pod);

  const short = file('short', 'token');
  assertBoundToPod(await reviewToken(cluster, short), ns, pod);
  const c = tokenClaims(short);
  assert.equal(c.exp - c.iat, 600, 'the token lives as long as the projection asked');
  assert.deepEqual([c['kubernetes.io'].namespace, c['kubernetes.io'].pod.uid], [ns, pod.metadata!.uid]);
  assert.match(readlinkSync(path.join(dir('short'), '..data')), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);

  // A remount within the token's life writes nothing new.
  const data = readlinkSync(path.join(dir('short'), '..data'));
  const failures: string[] = [];
  await vm.remountPod(pod, (m) => failures.push(m));
  assert.deepEqual(failures, []);
  assert.equal(readlinkSync(path.join(dir('short'), '..data')), data);
  await vm.tearDownPod(pod.metadata!.uid!);
});

/** An agent joined to the cluster with its node's own credentials; it registers its Node itself. */
async function joinedAgent(cluster: Cluster, t: TestContext, name: string): Promise<Agent> {
  const agent = await startAgent({
    name,
    extraArgs: async (nodeName) => ['--kubeconfig', await cluster.mintNodeKubeconfig(t, nodeName)],
  });
  t.after(async () => {
    await agent.cleanup();
    await cluster.core.deleteNode({ name: agent.nodeName }).catch(() => undefined);
  });
  await cluster.waitForNodeReady(agent.nodeName);
  return agent;
}


clusterTest('an API pod on the agent\'s node runs with its service-account volume: a valid token bound to it, the cluster CA, the namespace, written through ..data', async (cluster, t) => {
  const ns = await namespace(cluster, t);
  const agent = await joinedAgent(cluster, t, 'sa');
  const pod = await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'api-pod' },
    spec: {
      nodeName: agent.nodeName,
      containers: [{ ...sleeper, volumeMounts: [{ name: 'short', mountPath: '/var/run/short' }] }],
      volumes: [{ name: 'short', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] } }],
    },
  } });
  const id = await runningContainer(agent, pod);
  await cluster.waitFor('the pod Running in the API', async () =>
    (await cluster.core.readNamespacedPod({ namespace: ns, name: 'api-pod' })).status?.phase === 'Running', WAIT);

  assert.deepEqual((await exec(agent, id, ['ls', SERVICE_ACCOUNT_MOUNT])).trim().split('\n'), ['ca.crt', 'namespace', 'token']);
  const token = await exec(agent, id, ['cat', `${SERVICE_ACCOUNT_MOUNT}/token`]);
  assertBoundToPod(await reviewToken(cluster, token), ns, pod);
  assert.equal(await exec(agent, id, ['cat', `${SERVICE_ACCOUNT_MOUNT}/ca.crt`]), readFileSync(path.join(cluster.dir, 'pki/ca.crt'), 'utf8'));
  assert.equal(await exec(agent, id, ['cat', `${SERVICE_ACCOUNT_MOUNT}/namespace`]), ns);
  // Read-only, as the API server's admission mounts it.
  const write = await agent.cri.execSync(id, ['sh', '-c', `echo x > ${SERVICE_ACCOUNT_MOUNT}/x`], 10);
  assert.notEqual(write.exitCode, 0);

  // The short-lived token: what the container sees goes through ..data, which the writer swaps atomically.
  assert.equal((await exec(agent, id, ['readlink', '/var/run/short/token'])).trim(), '..data/token');
  assert.match((await exec(agent, id, ['readlink', '/var/run/short/..data'])).trim(), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
  const short = await exec(agent, id, ['cat', '/var/run/short/token']);
  assertBoundToPod(await reviewToken(cluster, short), ns, pod);
  const c = tokenClaims(short);
  assert.equal(c.exp - c.iat, 600);
}, { timeout: 240_000 });

clusterTest('a missing ConfigMap in a projected volume holds the API pod in ContainerCreating with the kubelet\'s message; it starts once the ConfigMap exists; an optional one may be absent', async (cluster, t) => {
  const ns = await namespace(cluster, t);
  const agent = await joinedAgent(cluster, t, 'sa-cm');
  const pod = await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'needs-cm' },
    spec: {
      nodeName: agent.nodeName,
      containers: [{ ...sleeper, volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }] }],
      volumes: [{ name: 'cfg', projected: { sources: [{ configMap: { name: 'later' } }, { configMap: { name: 'maybe', optional: true } }] } }],
    },
  } });
  const message = 'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found';
  await cluster.waitFor('the API pod waiting on its ConfigMap', async () => {
    const p = await cluster.core.readNamespacedPod({ namespace: ns, name: 'needs-cm' });
    const w = p.status?.containerStatuses?.find((s) => s.name === 'main')?.state?.waiting;
    return w?.reason === 'ContainerCreating' && w.message === message;
  }, WAIT);
  await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'later' }, data: { 'app.conf': 'answer=42\n' } } });
  const id = await runningContainer(agent, pod);
  assert.equal(await exec(agent, id, ['cat', '/etc/cfg/app.conf']), 'answer=42\n');
  assert.deepEqual((await exec(agent, id, ['ls', '/etc/cfg'])).trim().split('\n'), ['app.conf']);
}, { timeout: 240_000 });
