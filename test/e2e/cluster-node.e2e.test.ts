// Cluster mode, the node side, against the REAL control plane and containerd: the agent (with its node's own credentials) registers a Ready Node, renews its Lease, keeps mirror pods of its static pods, and writes events.
//
// Skipped, with one line saying why, when no kube-apiserver is found (MINI_KUBELET_K8S_BIN).
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { CoordinationV1Api, type CoreV1Event, type V1Node } from '@kubernetes/client-node';
import { freePort, podYaml, startAgent, type Agent } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';

const ready = (n: V1Node | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

/** One agent for the file, joined as its own node; the first test starts it and measures the time to Ready. */
let shared: Promise<{ agent: Agent; nodeName: string; port: number; readyMs: number; spawnedAt: number }> | undefined;
let cleanup: (() => Promise<void>) | undefined;
after(async () => cleanup?.());

function joinedAgent(cluster: Cluster) {
  shared ??= (async () => {
    // The credentials live as long as the file's agent, not one test: their clean-up runs with the agent's.
    const removeCredentials: Array<() => unknown> = [];
    const port = await freePort();
    const started = Date.now();
    const agent = await startAgent({
      name: 'cluster-node',
      extraArgs: async (name) => [
        '--kubeconfig', await cluster.mintNodeKubeconfig({ after: (fn: () => unknown) => removeCredentials.push(fn) } as never, name),
        '--port', String(port), '--node-labels', 'example.com/pool=e2e', '--node-lease-duration-seconds', '12',
      ],
    });
    const nodeName = agent.nodeName;
    cleanup = async () => {
      await agent.cleanup();
      await cluster.core.deleteNode({ name: nodeName }).catch(() => undefined);
      for (const fn of removeCredentials) await fn();
    };
    let readyMs = 0;
    const spawnedAt = started;
    for (;;) {
      const n = await cluster.core.readNode({ name: nodeName }).catch(() => undefined);
      if (ready(n)) {
        readyMs = Date.now() - started;
        break;
      }
      if (Date.now() - started > 90_000) throw new Error(`node ${nodeName} not Ready in 90 s:\n${agent.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { agent, nodeName, port, readyMs, spawnedAt };
  })();
  return shared;
}

clusterTest('the agent registers its Node, Ready, with the kubelet\'s status; kubectl get nodes -o wide and describe node show it', async (cluster, t) => {
  const { agent, nodeName, port, readyMs, spawnedAt } = await joinedAgent(cluster);
  // Where the time went, from the agent's own log (JSON lines with a ms "time").
  const logAt = (msg: string) => agent.output().split('\n').map((l) => {
    try {
      return JSON.parse(l) as { time: number; msg: string };
    } catch {
      return undefined;
    }
  }).find((l) => l?.msg === msg)?.time;
  const since = (msg: string) => ((logAt(msg) ?? NaN) - spawnedAt);
  const joining = since('cluster mode: joining the API server');
  t.diagnostic(`node Ready ${readyMs} ms after the agent process was started: its first log line (connected to the runtime) at ` +
    `${since('connected to the container runtime')} ms, cluster mode at ${joining} ms, so Ready ${readyMs - joining} ms after joining`);
  const node = await cluster.core.readNode({ name: nodeName });
  const s = node.status!;
  assert.deepEqual(s.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`), [
    'MemoryPressure=False:KubeletHasSufficientMemory', 'DiskPressure=False:KubeletHasNoDiskPressure',
    'PIDPressure=False:KubeletHasSufficientPID', 'Ready=True:KubeletReady',
  ]);
  assert.equal(s.addresses?.find((a) => a.type === 'Hostname')?.address, nodeName);
  const ip = s.addresses?.find((a) => a.type === 'InternalIP')?.address;
  assert.match(ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(s.daemonEndpoints?.kubeletEndpoint?.Port, port);
  assert.match(s.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\/\d+\.\d+/);
  assert.match(s.nodeInfo?.kubeletVersion ?? '', /^v1\.28\.\d+\+mini-kubelet/);
  assert.ok(s.nodeInfo?.bootID && s.nodeInfo.machineID && s.nodeInfo.osImage && s.nodeInfo.kernelVersion);
  for (const r of ['cpu', 'memory', 'pods', 'ephemeral-storage']) assert.ok(s.capacity?.[r] && s.allocatable?.[r], r);
  assert.equal(node.metadata?.labels?.['example.com/pool'], 'e2e');
  assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], nodeName);

  const wide = await cluster.kubectl(['get', 'node', nodeName, '-o', 'wide', '--no-headers']);
  assert.equal(wide.code, 0, wide.stderr);
  const cols = wide.stdout.trim().split(/\s{2,}/);
  t.diagnostic(`kubectl get nodes -o wide: ${wide.stdout.trim()}`);
  assert.equal(cols[0], nodeName);
  assert.equal(cols[1], 'Ready');
  assert.ok(cols.includes(ip!), 'INTERNAL-IP');
  assert.ok(cols.includes(s.nodeInfo!.osImage), 'OS-IMAGE');
  assert.ok(cols.includes(s.nodeInfo!.kernelVersion), 'KERNEL-VERSION');
  assert.ok(cols.includes(s.nodeInfo!.containerRuntimeVersion), 'CONTAINER-RUNTIME');

  const describe = await cluster.kubectl(['describe', 'node', nodeName]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /Ready\s+True\s.*KubeletReady\s+kubelet is posting ready status/);
  assert.match(describe.stdout, new RegExp(`HolderIdentity:\\s+${nodeName}`));
  await cluster.waitFor('the Starting and condition events in describe node', async () => {
    const out = (await cluster.kubectl(['describe', 'node', nodeName])).stdout;
    return /Starting\s+.*kubelet\s+Starting kubelet\./.test(out) && /NodeHasSufficientMemory\s+.*Node \S+ status is now: NodeHasSufficientMemory/.test(out);
  });
});

clusterTest('the Lease in kube-node-lease is held by the node, owned by its Node, and renewed every quarter of its duration', async (cluster) => {
  const { nodeName } = await joinedAgent(cluster);
  const coordination = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  const node = await cluster.core.readNode({ name: nodeName });
  const lease = await cluster.waitFor('the lease', () => coordination.readNamespacedLease({ namespace: 'kube-node-lease', name: nodeName }));
  assert.equal(lease.spec?.holderIdentity, nodeName);
  assert.equal(lease.spec?.leaseDurationSeconds, 12);
  assert.deepEqual(lease.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [['Node', nodeName, node.metadata?.uid]]);
  const renewals = new Set<string>();
  await cluster.waitFor('three renewals', async () => {
    const l = await coordination.readNamespacedLease({ namespace: 'kube-node-lease', name: nodeName });
    renewals.add(String(l.spec?.renewTime));
    return renewals.size >= 3;
  }, 20_000);
});

clusterTest('a static pod gets its mirror pod (config.mirror, the Node as owner) showing its status, made again when kubectl deletes it, removed with the manifest', async (cluster) => {
  const { agent, nodeName } = await joinedAgent(cluster);
  const name = `mirror-${nodeName}`;
  agent.writeManifest('mirror.yaml', podYaml('mirror', `
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
  const read = () => cluster.core.readNamespacedPod({ namespace: 'default', name }).catch(() => undefined);
  const node = await cluster.core.readNode({ name: nodeName });
  const mirror = await cluster.waitFor('the mirror pod', read);
  const a = mirror.metadata!.annotations!;
  assert.equal(a['kubernetes.io/config.mirror'], a['kubernetes.io/config.hash']);
  assert.equal(a['kubernetes.io/config.source'], 'file');
  assert.deepEqual(mirror.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [['Node', nodeName, node.metadata?.uid, true]]);
  assert.equal(mirror.spec?.nodeName, nodeName);
  assert.equal(mirror.spec?.containers[0]?.image, 'busybox:1.36');

  // The pods side's status writer sends the static pod's status to its mirror pod.
  const withStatus = await cluster.waitFor('the mirror pod Running with the static pod\'s status', async () => {
    const p = await read();
    return p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
  });
  assert.match(withStatus.status?.containerStatuses?.[0]?.containerID ?? '', /^containerd:\/\//);
  assert.equal(withStatus.status?.hostIP, (await cluster.core.readNode({ name: nodeName })).status?.addresses?.find((x) => x.type === 'InternalIP')?.address);
  const del = await cluster.kubectl(['delete', 'pod', name, '--wait=true', '--timeout=60s']);
  assert.equal(del.code, 0, del.stderr);
  const again = await cluster.waitFor('the mirror pod made again', async () => {
    const p = await read();
    return p && p.metadata?.uid !== mirror.metadata?.uid && !p.metadata?.deletionTimestamp ? p : undefined;
  });
  assert.equal(again.metadata?.annotations?.['kubernetes.io/config.mirror'], a['kubernetes.io/config.hash']);
  const running = await agent.waitPod('mirror', 'still Running in the agent', (p) => p.status?.phase === 'Running');
  assert.equal(running.metadata?.uid, a['kubernetes.io/config.hash'], 'deleting the mirror pod does not touch the static pod');

  agent.removeManifest('mirror.yaml');
  await cluster.waitFor('the mirror pod gone with its manifest', async () => !(await read()));
});

clusterTest('events are in the API as the kubelet writes them: source kubelet on the node, repeats counted', async (cluster) => {
  const { agent, nodeName } = await joinedAgent(cluster);
  const podName = `crash-${nodeName}`;
  agent.writeManifest('crash.yaml', podYaml('crash', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["false"]
`));
  const events = async (fieldSelector: string) => (await cluster.core.listNamespacedEvent({ namespace: 'default', fieldSelector })).items as CoreV1Event[];
  const started = await cluster.waitFor('a Started event of the static pod', async () =>
    (await events(`involvedObject.name=${podName}`)).find((e) => e.reason === 'Started'));
  assert.deepEqual({ ...started.source }, { component: 'kubelet', host: nodeName });
  assert.equal(started.reportingComponent, 'kubelet');
  assert.equal(started.reportingInstance, nodeName);
  assert.equal(started.involvedObject.kind, 'Pod');
  assert.equal(started.involvedObject.fieldPath, 'spec.containers{main}');
  const backOff = await cluster.waitFor('BackOff counted, not repeated', async () => {
    const list = (await events(`involvedObject.name=${podName}`)).filter((e) => e.reason === 'BackOff');
    return list.length === 1 && (list[0]!.count ?? 0) >= 2 ? list[0] : undefined;
  }, 90_000);
  assert.equal(backOff.type, 'Warning');
  const nodeEvents = await events(`involvedObject.kind=Node,involvedObject.name=${nodeName}`);
  assert.ok(nodeEvents.some((e) => e.reason === 'Starting' && e.message === 'Starting kubelet.' && e.involvedObject.uid === nodeName));
  const describe = await cluster.kubectl(['describe', 'pod', podName]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /Warning\s+BackOff\s+.*kubelet\s+Back-off restarting failed container main/);
  agent.removeManifest('crash.yaml');
});
