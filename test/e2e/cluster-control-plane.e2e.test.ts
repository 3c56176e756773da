// The local control plane from scripts/cluster against the REAL binaries: admin access, the controller manager's work, node and bootstrap identities, loopback only, cheap reruns.
//
// Skipped, with one line saying why, when no kube-apiserver is found (MINI_KUBELET_K8S_BIN).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { clusterTest, runClusterUp, uniqueName, type Cluster } from '../support/cluster.js';
import { REPO_DIR } from '../support/runtime.js';

const whoami = async (cluster: Cluster, kubeconfig: string) => {
  const res = await cluster.kubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig });
  assert.equal(res.code, 0, res.stderr);
  return (JSON.parse(res.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
};
const nodeJson = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
/** GET over TLS without verifying the server (the controller manager's and scheduler's certs are self-signed). */
const insecureGet = (url: string) => new Promise<number>((resolve, reject) => {
  https.get(url, { rejectUnauthorized: false }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject);
});
const pids = (cluster: Cluster) => Object.fromEntries(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']
  .map((c) => [c, readFileSync(path.join(cluster.dir, 'run', `${c}.pid`), 'utf8').trim()]));

clusterTest('as the admin, kubectl lists the system namespaces of a server at least v1.28', async (cluster) => {
  assert.ok(path.isAbsolute(cluster.adminKubeconfig));
  const ns = await cluster.kubectl(['get', 'namespaces', '-o', 'name']);
  assert.equal(ns.code, 0, ns.stderr);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(ns.stdout, new RegExp(`^namespace/${name}$`, 'm'));
  const version = JSON.parse((await cluster.kubectl(['version', '-o', 'json'])).stdout) as { serverVersion: { major: string; minor: string } };
  assert.ok(Number(version.serverVersion.major) === 1 && parseInt(version.serverVersion.minor, 10) >= 28, JSON.stringify(version.serverVersion));
});

/** Every listening TCP socket of process `pid`, as `address:port` in /proc/net/tcp's hex form (0100007F is 127.0.0.1). */
const listeners = (pid: string) => {
  const inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
    } catch {
      return undefined; // closed meanwhile
    }
  }));
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => readFileSync(file, 'utf8').trim().split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && inodes.has(f[9]))
    .map((f) => `${f[1].split(':')[0]}:${parseInt(f[1].split(':')[1], 16)}`)).sort();
};

clusterTest('every component listens on 127.0.0.1 only, on its ports, and answers its health check', async (cluster) => {
  const p = cluster.ports;
  const running = pids(cluster);
  assert.deepEqual(listeners(running.etcd), [`0100007F:${p.ETCD_PORT}`, `0100007F:${p.ETCD_PEER_PORT}`].sort());
  assert.deepEqual(listeners(running['kube-apiserver']), [`0100007F:${p.APISERVER_PORT}`]);
  assert.deepEqual(listeners(running['kube-controller-manager']), [`0100007F:${p.CONTROLLER_MANAGER_PORT}`]);
  assert.deepEqual(listeners(running['kube-scheduler']), [`0100007F:${p.SCHEDULER_PORT}`]);
  assert.equal((await fetch(`http://127.0.0.1:${cluster.ports.ETCD_PORT}/health`)).status, 200);
  assert.equal((await cluster.kubectl(['get', '--raw', '/readyz'])).stdout, 'ok');
  assert.equal(await insecureGet(`https://127.0.0.1:${cluster.ports.CONTROLLER_MANAGER_PORT}/healthz`), 200);
  assert.equal(await insecureGet(`https://127.0.0.1:${cluster.ports.SCHEDULER_PORT}/healthz`), 200);
});

clusterTest('a new namespace gets its default ServiceAccount and kube-root-ca.crt (the cluster CA); sidecars are kept', async (cluster, t) => {
  const ns = await cluster.namespace(t, 'e2e-cp');
  await cluster.waitForServiceAccount(ns);
  const rootCa = await cluster.waitForConfigMap(ns, 'kube-root-ca.crt');
  assert.equal(rootCa.data?.['ca.crt'], readFileSync(path.join(cluster.dir, 'pki/ca.crt'), 'utf8'));
  // --feature-gates=SidecarContainers=true: without it the API server drops restartPolicy here.
  await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'sidecar' },
    spec: { initContainers: [{ name: 'side', image: 'busybox:1.36', restartPolicy: 'Always' }], containers: [{ name: 'main', image: 'busybox:1.36' }] },
  } });
  const pod = await cluster.core.readNamespacedPod({ namespace: ns, name: 'sidecar' });
  assert.equal(pod.spec?.initContainers?.[0].restartPolicy, 'Always');
});

clusterTest('node credentials are system:node:<name> in system:nodes; the Node authorizer lets the node make its own Node only, and read no Secret', async (cluster, t) => {
  const name = uniqueName('e2e-node');
  const kubeconfig = await cluster.mintNodeKubeconfig(t, name);
  const minted = readFileSync(kubeconfig, 'utf8');
  assert.equal(await cluster.mintNodeKubeconfig(t, name), kubeconfig);
  assert.equal(readFileSync(kubeconfig, 'utf8'), minted, 'a second mint reissued the certificate');
  const user = await whoami(cluster, kubeconfig);
  assert.equal(user.username, `system:node:${name}`);
  assert.ok(user.groups.includes('system:nodes'), user.groups.join(','));

  const other = uniqueName('e2e-other');
  t.after(() => cluster.kubectl(['delete', 'node', name, other, '--ignore-not-found', '--wait=false']));
  const own = await cluster.kubectl(['create', '-f', '-'], { kubeconfig, input: nodeJson(name) });
  assert.equal(own.code, 0, own.stderr);
  const foreign = await cluster.kubectl(['create', '-f', '-'], { kubeconfig, input: nodeJson(other) });
  assert.notEqual(foreign.code, 0);
  assert.match(foreign.stderr, /forbidden/i);

  const ns = await cluster.namespace(t, 'e2e-secret');
  assert.equal((await cluster.kubectl(['-n', ns, 'create', 'secret', 'generic', 'private', '--from-literal=k=v'])).code, 0);
  const secret = await cluster.kubectl(['-n', ns, 'get', 'secret', 'private'], { kubeconfig });
  assert.notEqual(secret.code, 0);
  assert.match(secret.stderr, /forbidden/i);

  const bad = await promisify(execFile)('bash', [path.join(REPO_DIR, 'scripts/cluster/node-credentials.sh'), 'Not_A_Node']).catch((e: { stderr: string }) => e);
  assert.match(bad.stderr, /invalid node name 'Not_A_Node'/);
});

clusterTest('a bootstrap token authenticates as system:bootstrap:<id> and its node client CSR is approved and signed by the cluster CA', async (cluster, t) => {
  const kubeconfig = await cluster.mintBootstrapKubeconfig(t);
  const user = await whoami(cluster, kubeconfig);
  assert.match(user.username, /^system:bootstrap:[a-z0-9]{6}$/);
  assert.ok(user.groups.includes('system:bootstrappers'), user.groups.join(','));

  const node = uniqueName('e2e-boot');
  const { stdout: request } = await promisify(execFile)('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', '/dev/null', '-subj', `/O=system:nodes/CN=system:node:${node}`]);
  const csr = uniqueName('e2e-csr');
  t.after(() => cluster.kubectl(['delete', 'csr', csr, '--ignore-not-found']));
  const created = await cluster.kubectl(['create', '-f', '-'], { kubeconfig, input: JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: csr },
    spec: { request: Buffer.from(request).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
  }) });
  assert.equal(created.code, 0, created.stderr);
  const pem = await cluster.waitFor(`CSR ${csr} to be signed`, async () => {
    const res = await cluster.kubectl(['get', 'csr', csr, '-o', 'jsonpath={.status.certificate}']);
    return res.stdout && Buffer.from(res.stdout, 'base64').toString();
  }, 30_000);
  const cert = new X509Certificate(pem);
  assert.match(cert.subject, new RegExp(`CN=system:node:${node}`));
  assert.ok(cert.verify(new X509Certificate(readFileSync(path.join(cluster.dir, 'pki/ca.crt'))).publicKey), 'not signed by the cluster CA');
});

clusterTest('a rerun of up.sh reuses every running component, prints the same kubeconfig, and is quick', async (cluster) => {
  const before = pids(cluster);
  const rerun = await runClusterUp();
  assert.equal(rerun.kubeconfig, cluster.adminKubeconfig);
  assert.deepEqual(pids(cluster), before);
  for (const c of Object.keys(before)) assert.match(rerun.stderr, new RegExp(`${c}: running \\(pid ${before[c]}\\), reused`));
  // About a second when idle; a restarted API server alone would take several.
  assert.ok(rerun.ms < 15_000, `warm up.sh took ${rerun.ms}ms`);
});
