// An API pod's downward API and DNS from the REAL control plane: status.hostIP, spec.nodeName, spec.serviceAccountName, node allocatable for limits it does not set, and cluster DNS in /etc/resolv.conf.
//
// The pod is placed by the scheduler (a nodeSelector on the agent's host name), as a user's pod
// would be, and read from inside the container. Skipped, with one line saying why, when no
// kube-apiserver is found (MINI_KUBELET_K8S_BIN).
import assert from 'node:assert/strict';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../../src/runtime/labels.js';
import { fileScope, isRunning, joinAgent, readPod } from '../support/cluster-agent.js';
import { clusterTest } from '../support/cluster.js';
import { exec } from '../support/in-pod.js';

const WAIT = 120_000;

/** A Node quantity (as the agent writes allocatable: plain, or with a binary suffix) in bytes or units. */
function quantity(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  assert.ok(m, `unexpected quantity ${q}`);
  return Number(m[1]) * ({ Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] as 'Ki'] ?? 1);
}

clusterTest('downward API and DNS of a scheduled API pod: hostIP, nodeName, serviceAccountName, node allocatable as unset limits, cluster DNS', async (cluster, t) => {
  const scope = fileScope();
  t.after(() => scope.run());
  const ns = await cluster.namespace(t, 'e2e-down');
  await cluster.waitForServiceAccount(ns);
  await cluster.waitForConfigMap(ns, 'kube-root-ca.crt');
  const agent = await joinAgent(cluster, scope, 'down', ['--cluster-dns', '10.96.0.10', '--cluster-domain', 'cluster.local']);

  const field = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  const limit = (resource: string, divisor?: string) => ({ valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}) } } });
  await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'down' },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': agent.nodeName },
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: 'main', image: 'busybox:1.36', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
        env: [
          { name: 'HOST_IP', ...field('status.hostIP') },
          { name: 'POD_IP', ...field('status.podIP') },
          { name: 'NODE', ...field('spec.nodeName') },
          { name: 'SA', ...field('spec.serviceAccountName') },
          { name: 'CPU_LIMIT', ...limit('limits.cpu') },
          { name: 'MEM_LIMIT', ...limit('limits.memory') },
          { name: 'MEM_LIMIT_MI', ...limit('limits.memory', '1Mi') },
        ],
      }],
    },
  } });
  const pod = await cluster.waitFor('pod Running in the API', async () => {
    const p = await readPod(cluster, ns, 'down');
    return isRunning(p) ? p : undefined;
  }, WAIT);
  assert.equal(pod.spec?.nodeName, agent.nodeName, 'placed on the agent by the scheduler');
  assert.equal(pod.status?.hostIP, '127.0.0.1');

  const [c] = await agent.cri.listContainers({ labelSelector: { [POD_UID_LABEL]: pod.metadata!.uid!, [CONTAINER_NAME_LABEL]: 'main' } });
  const env = new Map((await exec(agent, c!.id, ['env'])).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.get('HOST_IP'), '127.0.0.1');
  assert.equal(env.get('POD_IP'), pod.status?.podIP);
  assert.equal(env.get('NODE'), agent.nodeName);
  assert.equal(env.get('SA'), 'default', 'the ServiceAccount admission fills it in');

  // No limits: resourceFieldRef gives the Node's allocatable, rounded up to the divisor.
  const node = await cluster.core.readNode({ name: agent.nodeName });
  const allocatable = node.status!.allocatable!;
  assert.equal(Number(env.get('CPU_LIMIT')), Math.ceil(quantity(allocatable.cpu!)));
  assert.equal(Number(env.get('MEM_LIMIT')), quantity(allocatable.memory!));
  assert.equal(Number(env.get('MEM_LIMIT_MI')), Math.ceil(quantity(allocatable.memory!) / 1024 ** 2));

  // ClusterFirst (the API's default dnsPolicy) with --cluster-dns: only the cluster's nameserver,
  // the namespace's search path first, ndots:5.
  const resolv = await exec(agent, c!.id, ['cat', '/etc/resolv.conf']);
  const lines = resolv.trim().split('\n');
  assert.deepEqual(lines.filter((l) => l.startsWith('nameserver')), ['nameserver 10.96.0.10']);
  const search = lines.find((l) => l.startsWith('search '))!.split(' ').slice(1);
  assert.deepEqual(search.slice(0, 3), [`${ns}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local']);
  assert.ok(lines.some((l) => l.startsWith('options') && l.includes('ndots:5')), resolv);
});
