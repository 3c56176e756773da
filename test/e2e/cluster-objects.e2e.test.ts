// What an API pod gets from the REAL control plane through the node's own credentials: env from ConfigMaps and Secrets (a CreateContainerConfigError that recovers), configMap and secret volumes updated in place, service links.
//
// Each test runs a real agent joined with a node kubeconfig (Node authorizer + NodeRestriction)
// and looks from inside the container. Skipped, with one line saying why, when no kube-apiserver
// is found (MINI_KUBELET_K8S_BIN).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../../src/runtime/labels.js';
import { startAgent, type Agent } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';
import { exec } from '../support/in-pod.js';

const WAIT = 120_000;
const sleeper = { name: 'main', image: 'busybox:1.36', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] };
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function namespace(cluster: Cluster, t: TestContext): Promise<string> {
  const ns = await cluster.namespace(t, 'e2e-obj');
  await cluster.waitForServiceAccount(ns);
  await cluster.waitForConfigMap(ns, 'kube-root-ca.crt');
  return ns;
}

/** An agent joined with its node's own credentials; it registers its Node itself. */
async function joinedAgent(cluster: Cluster, t: TestContext, name: string, extra: string[] = []): Promise<Agent> {
  const agent = await startAgent({ name, extraArgs: async (nodeName) => ['--kubeconfig', await cluster.mintNodeKubeconfig(t, nodeName), ...extra] });
  t.after(() => agent.cleanup());
  await cluster.waitFor(`node ${agent.nodeName} registered`, async () =>
    cluster.core.readNode({ name: agent.nodeName }).then(() => true, () => false), WAIT);
  return agent;
}

function runningContainer(agent: Agent, pod: V1Pod, container = 'main'): Promise<string> {
  return agent.waitFor(`${pod.metadata!.name}/${container} running`, async () => {
    const cs = await agent.cri.listContainers({ labelSelector: { [POD_UID_LABEL]: pod.metadata!.uid!, [CONTAINER_NAME_LABEL]: container } });
    return cs.find((c) => c.state === 'CONTAINER_RUNNING')?.id;
  }, WAIT);
}

/** The container's waiting state as the API shows it. */
async function apiWaiting(cluster: Cluster, ns: string, name: string) {
  const p = await cluster.core.readNamespacedPod({ namespace: ns, name });
  return p.status?.containerStatuses?.find((s) => s.name === 'main')?.state?.waiting;
}

async function envOf(agent: Agent, id: string): Promise<Map<string, string>> {
  const out = await exec(agent, id, ['env']);
  return new Map(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

clusterTest('env from a ConfigMap and a Secret: each missing object is a CreateContainerConfigError with the kubelet\'s message in the API; once both exist the pod runs with them', async (cluster, t) => {
  const ns = await namespace(cluster, t);
  const agent = await joinedAgent(cluster, t, 'obj-env');
  const pod = await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'env-pod' },
    spec: {
      nodeName: agent.nodeName,
      containers: [{
        ...sleeper,
        envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }, { configMapRef: { name: 'app-config' } }, { secretRef: { name: 'maybe', optional: true } }],
        env: [
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'password' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
          { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'absent', optional: true } } },
        ],
      }],
    },
  } });
  const waitFor = (message: string) => cluster.waitFor(`CreateContainerConfigError "${message}"`, async () => {
    const w = await apiWaiting(cluster, ns, 'env-pod');
    return w?.reason === 'CreateContainerConfigError' && w.message === message;
  }, WAIT);
  await waitFor('configmap "app-config" not found');
  await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'app-config' }, data: { mode: 'prod', 'log.level': 'debug', '1st': 'x' } } });
  await waitFor('secret "db-creds" not found');
  await cluster.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'db-creds' }, data: { password: b64('s3cret') } } });
  const id = await runningContainer(agent, pod);
  const env = await envOf(agent, id);
  assert.equal(env.get('DB_PASSWORD'), 's3cret');
  assert.equal(env.get('MODE'), 'prod');
  assert.equal(env.get('CFG_mode'), 'prod');
  assert.equal(env.get('CFG_log.level'), 'debug');
  assert.equal(env.get('CFG_1st'), 'x');
  assert.ok(!env.has('OPT') && !env.has('1st'));
  // The skipped key is reported as the kubelet does.
  await cluster.waitFor('the InvalidEnvironmentVariableNames event', async () => {
    const evs = await cluster.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=InvalidEnvironmentVariableNames' });
    return evs.items.some((e) => e.message === `Keys [1st] from the EnvFrom configMap ${ns}/app-config were skipped since they are considered invalid environment variable names.`);
  }, WAIT);
  await cluster.waitFor('the pod Running in the API', async () =>
    (await cluster.core.readNamespacedPod({ namespace: ns, name: 'env-pod' })).status?.phase === 'Running', WAIT);
}, { timeout: 360_000 });

clusterTest('service links: KUBERNETES_SERVICE_* and the namespace\'s services in the kubelet\'s format; none of them with enableServiceLinks false but the master\'s', async (cluster, t) => {
  const ns = await namespace(cluster, t);
  const svc = await cluster.core.createNamespacedService({ namespace: ns, body: {
    metadata: { name: 'my-db' }, spec: { ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }], selector: { app: 'db' } },
  } });
  const master = await cluster.core.readNamespacedService({ namespace: 'default', name: 'kubernetes' });
  const agent = await joinedAgent(cluster, t, 'obj-svc');
  const make = (name: string, enableServiceLinks?: boolean) => cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name }, spec: { nodeName: agent.nodeName, containers: [sleeper], ...(enableServiceLinks === undefined ? {} : { enableServiceLinks }) },
  } });
  const [linked, unlinked] = await Promise.all([make('linked'), make('unlinked', false)]);
  const env = await envOf(agent, await runningContainer(agent, linked));
  const mip = master.spec!.clusterIP!;
  const mport = master.spec!.ports![0]!.port;
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), mip);
  assert.equal(env.get('KUBERNETES_SERVICE_PORT'), String(mport));
  assert.equal(env.get('KUBERNETES_PORT'), `tcp://${mip}:${mport}`);
  assert.equal(env.get(`KUBERNETES_PORT_${mport}_TCP_ADDR`), mip);
  const ip = svc.spec!.clusterIP!;
  assert.equal(env.get('MY_DB_SERVICE_HOST'), ip);
  assert.equal(env.get('MY_DB_SERVICE_PORT'), '5432');
  assert.equal(env.get('MY_DB_SERVICE_PORT_PG'), '5432');
  assert.equal(env.get('MY_DB_PORT_5432_TCP'), `tcp://${ip}:5432`);
  assert.equal(env.get('MY_DB_PORT_5432_TCP_PROTO'), 'tcp');
  const env2 = await envOf(agent, await runningContainer(agent, unlinked));
  assert.equal(env2.get('KUBERNETES_SERVICE_HOST'), mip);
  assert.ok(!env2.has('MY_DB_SERVICE_HOST'));
}, { timeout: 300_000 });

clusterTest('configMap and secret volumes: files as the kubelet writes them; ConfigMap updates reach the running container in place (p50 over 10 logged), a subPath mount stays', async (cluster, t) => {
  const ns = await namespace(cluster, t);
  // A 10 s sync period: the remount that carries the update runs on each sync of the running pod.
  const agent = await joinedAgent(cluster, t, 'obj-vol', ['--sync-frequency', '10s']);
  await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'live' }, data: { 'app.conf': 'v=0' } } });
  await cluster.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'tls' }, data: { 'tls.key': b64('KEY'), 'tls.crt': b64('CRT') } } });
  const pod = await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'vol-pod' },
    spec: {
      nodeName: agent.nodeName,
      containers: [{ ...sleeper, volumeMounts: [
        { name: 'conf', mountPath: '/etc/app' },
        { name: 'conf', mountPath: '/etc/pinned.conf', subPath: 'app.conf' },
        { name: 'certs', mountPath: '/etc/tls' },
      ] }],
      volumes: [
        { name: 'conf', configMap: { name: 'live' } },
        { name: 'certs', secret: { secretName: 'tls', defaultMode: 0o400, items: [{ key: 'tls.key', path: 'private/key' }] } },
      ],
    },
  } });
  const id = await runningContainer(agent, pod);
  assert.equal(await exec(agent, id, ['cat', '/etc/app/app.conf']), 'v=0');
  assert.equal((await exec(agent, id, ['readlink', '/etc/app/app.conf'])).trim(), '..data/app.conf');
  assert.equal(await exec(agent, id, ['cat', '/etc/tls/private/key']), 'KEY');
  assert.equal((await exec(agent, id, ['stat', '-L', '-c', '%a', '/etc/tls/private/key'])).trim(), '400');
  // The secret volume is a tmpfs (never on the node's disk).
  assert.match(await exec(agent, id, ['sh', '-c', 'grep " /etc/tls " /proc/mounts']), /^tmpfs \/etc\/tls tmpfs /);

  const delays: number[] = [];
  for (let i = 1; i <= 10; i++) {
    // A random moment within the sync period: an update made just after a seen one would always wait a full period.
    await new Promise((r) => setTimeout(r, Math.random() * 10_000));
    const started = Date.now();
    await cluster.core.replaceNamespacedConfigMap({ namespace: ns, name: 'live', body: { metadata: { name: 'live' }, data: { 'app.conf': `v=${i}` } } });
    await agent.waitFor(`update ${i} in the container`, async () => (await exec(agent, id, ['cat', '/etc/app/app.conf'])) === `v=${i}`, 60_000);
    delays.push(Date.now() - started);
  }
  const sorted = [...delays].sort((a, b) => a - b);
  const p50 = (sorted[4]! + sorted[5]!) / 2;
  t.diagnostic(`ConfigMap update → container file, --sync-frequency 10s: p50 ${p50} ms, max ${sorted[9]} ms (${delays.join(', ')})`);
  // Within the sync period plus the watch's delivery and a loaded machine's slack.
  assert.ok(sorted[9]! < 30_000, `an update took ${sorted[9]} ms`);
  // subPath mounts do not update, as in the kubelet.
  assert.equal(await exec(agent, id, ['cat', '/etc/pinned.conf']), 'v=0');
  assert.equal(await exec(agent, id, ['cat', '/etc/app/app.conf']), 'v=10');
}, { timeout: 600_000 });
