// Joining as kubeadm and kind join nodes, against the REAL control plane: the TLS bootstrap from a bootstrap token, client certificate rotation, and kubeadm's and kind's flags and config files.
//
// Skipped, with one line saying why, when no kube-apiserver is found (MINI_KUBELET_K8S_BIN).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { podYaml, startAgent, type Agent } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';
import { x509 } from '../../src/certificate/x509.js';
import { testCa, testKey } from '../support/test-ca.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/join');

interface Csr {
  metadata: { name: string };
  spec: { signerName: string; username: string; usages: string[] };
  status?: { conditions?: Array<{ type: string }>; certificate?: string };
}

/** A scratch dir for one test: where --kubeconfig and --cert-dir go. */
function scratch(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-e2e-join-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function agentFor(t: TestContext, opts: Parameters<typeof startAgent>[0]): Promise<Agent> {
  const agent = await startAgent(opts);
  t.after(() => agent.cleanup());
  return agent;
}

const whoami = async (cluster: Cluster, kubeconfig: string) => {
  const res = await cluster.kubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig });
  assert.equal(res.code, 0, res.stderr);
  return (JSON.parse(res.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
};

/** The CSRs whose certificate is for `nodeName`, oldest first. */
async function csrsFor(cluster: Cluster, nodeName: string): Promise<Csr[]> {
  const res = await cluster.kubectl(['get', 'csr', '-o', 'json']);
  assert.equal(res.code, 0, res.stderr);
  const items = (JSON.parse(res.stdout) as { items: Array<Csr & { spec: { request: string } }> }).items;
  const subject = (c: { spec: { request: string } }) => new x509.Pkcs10CertificateRequest(Buffer.from(c.spec.request, 'base64').toString()).subject;
  return items.filter((c) => subject(c) === `O=system:nodes, CN=system:node:${nodeName}`);
}

const ready = (n: V1Node | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

/** Waits for the agent's Node to be Ready, and deletes it after the test. */
async function nodeReady(cluster: Cluster, t: TestContext, nodeName: string): Promise<V1Node> {
  t.after(() => cluster.kubectl(['delete', 'node', nodeName, '--ignore-not-found', '--wait=false']));
  return cluster.waitFor(`node ${nodeName} Ready`, async () => {
    const n = await cluster.core.readNode({ name: nodeName });
    return ready(n) && n;
  }, 90_000);
}

const SLEEPER = { name: 'app', image: 'busybox:1.36', command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"] };

/** The agent's JSON log lines with this message. */
const logLines = (agent: Agent, msg: string) => agent.output().split('\n').filter((l) => l.includes(`"msg":"${msg}`)).map((l) => JSON.parse(l) as Record<string, unknown>);

clusterTest('with only a bootstrap token: the agent gets a signed client certificate, writes its kubeconfig and is system:node:<name>; restarted, it keeps them', async (cluster, t) => {
  const dir = scratch(t);
  const kubeconfig = path.join(dir, 'kubelet.conf');
  const certDir = path.join(dir, 'pki');
  const bootstrap = await cluster.mintBootstrapKubeconfig(t);
  const spawnedAt = Date.now();
  const agent = await agentFor(t, { name: 'boot', extraArgs: ['--bootstrap-kubeconfig', bootstrap, '--kubeconfig', kubeconfig, '--cert-dir', certDir] });
  await agent.waitFor('the kubeconfig written from the bootstrap', () => existsSync(kubeconfig), 60_000);
  // The node it joined as registers and becomes Ready (polled every 250 ms: the time is a measure).
  await nodeReady(cluster, t, agent.nodeName);
  const readyAt = Date.now();
  const at = (msg: string) => (logLines(agent, msg)[0]?.time as number | undefined) ?? NaN;
  const firstLog = (JSON.parse(agent.output().split('\n').find((l) => l.startsWith('{'))!) as { time: number }).time;
  const csrCreated = at('waiting for the client certificate signing request to be approved and signed');
  const issued = at('client certificate issued (TLS bootstrap)');
  t.diagnostic(`bootstrap join: Node Ready ${readyAt - spawnedAt} ms after the agent process was started (first log line at ${firstLog - spawnedAt} ms); ` +
    `from the first log line: CSR created ${csrCreated - firstLog} ms, approved and signed ${issued - csrCreated} ms after that, Node Ready ${readyAt - issued} ms after the certificate`);

  const user = await whoami(cluster, kubeconfig);
  assert.equal(user.username, `system:node:${agent.nodeName}`);
  assert.ok(user.groups.includes('system:nodes'), user.groups.join(','));
  assert.equal(statSync(kubeconfig).mode & 0o777, 0o600);
  // The node API's serving pair (kubelet.crt, kubelet.key) lives there too, as in the kubelet's pki/.
  const files = readdirSync(certDir).filter((f) => f.startsWith('kubelet-client')).sort();
  assert.equal(files.length, 2, files.join(' '));
  assert.match(files[0], /^kubelet-client-\d{4}(-\d{2}){5}\.pem$/);
  assert.equal(files[1], 'kubelet-client-current.pem');
  assert.equal(statSync(path.join(certDir, files[0])).mode & 0o777, 0o600);
  // The controller manager approved it for the bootstrap token's identity.
  const [csr] = await csrsFor(cluster, agent.nodeName);
  assert.match(csr.metadata.name, /^node-csr-/);
  assert.equal(csr.spec.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
  assert.match(csr.spec.username, /^system:bootstrap:[a-z0-9]{6}$/);
  assert.deepEqual(csr.spec.usages, ['digital signature', 'client auth']);
  assert.ok(csr.status?.conditions?.some((c) => c.type === 'Approved'));
  assert.equal(logLines(agent, 'client certificate issued (TLS bootstrap)').length, 1);

  // It runs a Deployment's pods (scheduled to it), with their kube-api-access volume.
  const ns = await cluster.namespace(t, 'e2e-join');
  await cluster.waitForServiceAccount(ns);
  const deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': agent.nodeName },
          terminationGracePeriodSeconds: 2,
          containers: [SLEEPER],
        },
      },
    },
  };
  const created = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) });
  assert.equal(created.code, 0, created.stderr);
  await cluster.waitFor('the Deployment\'s 2 replicas available', async () => {
    const res = await cluster.kubectl(['-n', ns, 'get', 'deployment', 'web', '-o', 'json']);
    return res.code === 0 && (JSON.parse(res.stdout) as { status?: { availableReplicas?: number } }).status?.availableReplicas === 2;
  }, 120_000);
  const pods = (await cluster.core.listNamespacedPod({ namespace: ns })).items;
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.deepEqual([p.spec?.nodeName, p.status?.phase], [agent.nodeName, 'Running']);
    assert.ok(p.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-')), 'the pod mounts kube-api-access');
  }

  // A restart uses the kubeconfig it wrote: no second CSR.
  await agent.restart();
  await agent.waitFor('the restarted agent to find its kubeconfig valid', () => logLines(agent, 'kubeconfig exists and is valid, skipping bootstrap').length === 1, 30_000);
  assert.equal((await csrsFor(cluster, agent.nodeName)).length, 1);
  await nodeReady(cluster, t, agent.nodeName);
});

clusterTest('--rotate-certificates: a certificate near its end is replaced while the agent runs, through a CSR sent with the current certificate; the agent goes on with the new one', async (cluster, t) => {
  const dir = scratch(t);
  const ca = await testCa({ certPem: readFileSync(path.join(cluster.dir, 'pki/ca.crt'), 'utf8'), keyPem: readFileSync(path.join(cluster.dir, 'pki/ca.key'), 'utf8') });
  const kubeconfig = path.join(dir, 'kubelet.conf');
  const certDir = path.join(dir, 'pki');
  let certPem = '';
  const agent = await agentFor(t, {
    name: 'rotate',
    extraArgs: async (nodeName) => {
      // A 120 s certificate from the cluster CA, 80 s old: its rotation deadline (70-90 % of its
      // life) falls 4-28 s from now, its end 40 s from now.
      const key = testKey();
      const now = Date.now();
      certPem = await ca.issue({ keyPem: key, commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], notBefore: new Date(now - 80_000), notAfter: new Date(now + 40_000) });
      writeFileSync(path.join(dir, 'node.crt'), certPem);
      writeFileSync(path.join(dir, 'node.key'), key, { mode: 0o600 });
      writeFileSync(kubeconfig, stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'node',
        clusters: [{ name: 'local', cluster: { server: cluster.kubeConfig.getCurrentCluster()!.server, 'certificate-authority': path.join(cluster.dir, 'pki/ca.crt') } }],
        users: [{ name: 'node', user: { 'client-certificate': path.join(dir, 'node.crt'), 'client-key': path.join(dir, 'node.key') } }],
        contexts: [{ name: 'node', context: { cluster: 'local', user: 'node' } }],
      }));
      assert.equal((await whoami(cluster, kubeconfig)).username, `system:node:${nodeName}`);
      return ['--kubeconfig', kubeconfig, '--rotate-certificates', '--cert-dir', certDir];
    },
  });
  const nodeName = agent.nodeName;
  const current = path.join(certDir, 'kubelet-client-current.pem');
  await agent.waitFor('the rotated certificate', () => existsSync(current), 60_000);

  const [deadline] = logLines(agent, 'client certificate rotation deadline');
  assert.ok(deadline, 'the deadline was logged');
  const rotated = new X509Certificate(readFileSync(current));
  const old = new X509Certificate(certPem);
  assert.notEqual(rotated.serialNumber, old.serialNumber);
  assert.equal(rotated.subject, `O=system:nodes\nCN=system:node:${nodeName}`);
  assert.ok(Date.parse(rotated.validTo) > Date.now() + 300 * 86400_000, `a full-length certificate: ${rotated.validTo}`);
  const csrs = await csrsFor(cluster, nodeName);
  assert.equal(csrs.length, 1);
  assert.equal(csrs[0].spec.username, `system:node:${nodeName}`, 'asked for with the current certificate, not a bootstrap token');
  assert.match(csrs[0].metadata.name, /^csr-/);
  assert.equal(logLines(agent, 'client certificate rotated').length, 1);
  const [asked] = logLines(agent, 'waiting for the client certificate signing request to be approved and signed');
  t.diagnostic(`rotation: the CSR (sent with the current certificate) approved and signed ${(logLines(agent, 'client certificate rotated')[0].time as number) - (asked.time as number)} ms after it was created`);
  assert.equal(logLines(agent, 'client certificate issued (TLS bootstrap)').length, 0);
  const rotatedKc = path.join(dir, 'rotated.conf');
  writeFileSync(rotatedKc, readFileSync(kubeconfig, 'utf8').replaceAll(path.join(dir, 'node.crt'), current).replaceAll(path.join(dir, 'node.key'), current));
  assert.equal((await whoami(cluster, rotatedKc)).username, `system:node:${nodeName}`);

  // Once the old certificate has expired, the agent still renews its Lease (new requests) and,
  // once the old connections are closed (a request deadline, 30 s, after the swap), runs a pod
  // bound to it: its pod watch reconnected with the new certificate.
  await nodeReady(cluster, t, nodeName);
  const rotatedAt = logLines(agent, 'client certificate rotated')[0].time as number;
  const oldEnd = Date.parse(old.validTo);
  await cluster.waitFor('a Lease renewal after the old certificate expired', async () => {
    const res = await cluster.kubectl(['-n', 'kube-node-lease', 'get', 'lease', nodeName, '-o', 'jsonpath={.spec.renewTime}']);
    return res.code === 0 && Date.parse(res.stdout) > oldEnd + 1000;
  }, 90_000);
  const ns = await cluster.namespace(t, 'e2e-rotate');
  await cluster.waitForServiceAccount(ns);
  await new Promise((r) => setTimeout(r, Math.max(0, rotatedAt + 32_000 - Date.now())));
  const pod: V1Pod = { metadata: { name: 'after-rotation', namespace: ns }, spec: { nodeName, terminationGracePeriodSeconds: 2, containers: [SLEEPER] } };
  await cluster.core.createNamespacedPod({ namespace: ns, body: pod });
  await cluster.waitFor('the pod Running', async () => (await cluster.core.readNamespacedPod({ namespace: ns, name: 'after-rotation' })).status?.phase === 'Running', 90_000);
  assert.ok(!agent.output().includes('"level":50'), 'no error logged');
});

/**
 * The fixture config with this agent's manifest dir and read-only port (kubeadm's file sets
 * neither; a kubelet's read-only port is off by default), and the cluster's CA where kubeadm's
 * node has it (/etc/kubernetes/pki/ca.crt).
 */
const fixtureConfig = (cluster: Cluster, file: string) => ({ manifestDir, port }: { manifestDir: string; port: number }) =>
  `${readFileSync(path.join(FIXTURES, file), 'utf8')
    .replace('staticPodPath: /etc/kubernetes/manifests', `staticPodPath: ${manifestDir}`)
    .replace('/etc/kubernetes/pki/ca.crt', path.join(cluster.dir, 'pki/ca.crt'))}readOnlyPort: ${port}\n`;

clusterTest('kubeadm\'s flag set and config.yaml start the agent, which joins through the bootstrap token and lists what it ignores', async (cluster, t) => {
  const dir = scratch(t);
  const kubeconfig = path.join(dir, 'kubelet.conf');
  const bootstrap = await cluster.mintBootstrapKubeconfig(t);
  // The drop-in's and kubeadm-flags.env's flags as kubeadm writes them (=value); the runtime
  // endpoint is the harness's, the file paths this test's.
  const agent = await agentFor(t, {
    name: 'kubeadm',
    kubeletConfig: fixtureConfig(cluster, 'kubeadm-config.yaml'),
    extraArgs: [`--bootstrap-kubeconfig=${bootstrap}`, `--kubeconfig=${kubeconfig}`, '--pod-infra-container-image=registry.k8s.io/pause:3.9', `--cert-dir=${path.join(dir, 'pki')}`],
  });
  await agent.waitFor('the kubeconfig written from the bootstrap', () => existsSync(kubeconfig), 60_000);
  assert.equal((await whoami(cluster, kubeconfig)).username, `system:node:${agent.nodeName}`);
  const [ignored, ...more] = logLines(agent, 'ignored: not supported by mini-kubelet');
  assert.equal(more.length, 0, 'listed once');
  assert.deepEqual(ignored.flags, ['--pod-infra-container-image']);
  assert.deepEqual(ignored.fields, ['cgroupDriver', 'healthzBindAddress', 'healthzPort', 'logging.options']);
  // rotateCertificates: true in the file: the manager stays on, waiting for the new certificate's deadline.
  await agent.waitFor('the rotation deadline', () => logLines(agent, 'client certificate rotation deadline').length === 1, 30_000);
  await nodeReady(cluster, t, agent.nodeName);
});

clusterTest('a kind node\'s KubeletConfiguration and kubeletExtraArgs start the agent: its Node has the provider ID, and it runs a static pod under cgroupRoot /kubelet', async (cluster, t) => {
  const agent = await agentFor(t, {
    name: 'kind',
    kubeletConfig: fixtureConfig(cluster, 'kind-config.yaml'),
    extraArgs: async (nodeName) => [
      `--kubeconfig=${await cluster.mintNodeKubeconfig(t, nodeName)}`, `--cert-dir=${path.join(scratch(t), 'pki')}`,
      '--eviction-hard=nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%', '--fail-swap-on=false',
      '--node-ip=127.0.0.1', '--node-labels=', `--provider-id=kind://docker/kind/${nodeName}`,
    ],
  });
  const [ignored] = logLines(agent, 'ignored: not supported by mini-kubelet');
  assert.deepEqual(ignored.flags, ['--fail-swap-on', '--eviction-hard']);
  assert.ok((ignored.fields as string[]).includes('cgroupDriver'));
  assert.ok(agent.output().includes('cgroup driver systemd'), 'the systemd cgroup driver is warned about');
  const node = await nodeReady(cluster, t, agent.nodeName);
  assert.equal(node.spec?.providerID, `kind://docker/kind/${agent.nodeName}`);
  assert.deepEqual(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, '127.0.0.1');
  agent.writeManifest('web.yaml', podYaml('web', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
  const pod = await agent.waitPod('web', 'Running', (p) => p.status?.phase === 'Running');
  assert.equal(pod.status?.hostIP, '127.0.0.1');
});
