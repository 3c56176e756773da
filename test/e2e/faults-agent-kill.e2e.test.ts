// The agent killed with -9 at random moments while a 20-replica Deployment scales up and down, against the REAL control plane and containerd: no duplicate, no orphan, every status right at the end.
//
// The scheduler places the Deployment's pods (a nodeSelector pins them to the agent's node); the
// agent also runs one static pod, whose mirror pod must stay single. CI size: 2 kills; full
// (MINI_KUBELET_FAULTS_FULL=1): 10. Each kill is SIGKILL at a random moment of the scaling, and the
// agent is started again after a random 0–2 s.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { podYaml, startAgent, type Agent } from '../support/agent.js';
import { clusterTest, type Cluster } from '../support/cluster.js';
import { between, isRunningReady, recordFault, runtimeByPod, size, sleep } from '../support/faults.js';

let agent: Agent | undefined;
after(async () => agent?.cleanup());

function deployment(name: string, nodeName: string, replicas: number): object {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': nodeName },
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"] }],
        },
      },
    },
  };
}

async function kubectl(cluster: Cluster, args: string[], input?: string): Promise<string> {
  const res = await cluster.kubectl(args, { input });
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

clusterTest('the agent killed with -9 at random moments while a 20-replica Deployment scales up and down: no duplicate sandbox, container or mirror pod, no orphan, every status right', async (cluster, t) => {
  const scope = { after: () => undefined } as never;
  const a = (agent = await startAgent({ name: 'fault-kill', extraArgs: async (nodeName) => ['--kubeconfig', await cluster.mintNodeKubeconfig(scope, nodeName)] }));
  a.writeManifest('static.yaml', podYaml('static', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
  const mirrorName = `static-${a.nodeName}`;
  await cluster.waitFor('the Node Ready', async () => (await cluster.core.readNode({ name: a.nodeName })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 90_000);
  const ns = await cluster.namespace(t, 'fault-kill');
  await cluster.waitForServiceAccount(ns);
  await kubectl(cluster, ['-n', ns, 'apply', '-f', '-'], JSON.stringify(deployment('web', a.nodeName, 20)));

  const kills = size(2, 10);
  const moments: string[] = [];
  let scaling = true;
  const steps = [20, 4, 16, 0, 20, 9, 20, 2, 14];
  const scaler = (async () => {
    for (let i = 0; scaling; i++) {
      await kubectl(cluster, ['-n', ns, 'scale', 'deployment/web', `--replicas=${steps[i % steps.length]}`]);
      await sleep(between(3000, 7000));
    }
  })();
  try {
    for (let k = 0; k < kills; k++) {
      await sleep(between(2000, 8000));
      const rt = await runtimeByPod(a).catch(() => undefined);
      const pods = (await cluster.core.listNamespacedPod({ namespace: ns })).items;
      moments.push(`${pods.length} pods in the API, ${rt?.sandboxes.length ?? '?'} sandboxes`);
      await a.stop('SIGKILL');
      await sleep(between(0, 2000));
      await a.restart();
    }
  } finally {
    scaling = false;
    await scaler;
  }
  t.diagnostic(`killed at: ${moments.join('; ')}`);

  const replicas = 12;
  await kubectl(cluster, ['-n', ns, 'scale', 'deployment/web', `--replicas=${replicas}`]);
  const started = Date.now();
  const settled = await cluster.waitFor('12 pods Running and nothing else left, in the API and in the runtime', async () => {
    const pods = (await cluster.core.listNamespacedPod({ namespace: ns })).items;
    if (pods.length !== replicas || !pods.every(isRunningReady)) return false;
    const rt = await runtimeByPod(a);
    return rt.sandboxes.length === replicas + 1 ? pods : false;
  }, 240_000).catch(() => undefined);
  const settleMs = Date.now() - started;

  // What is left, counted whatever the wait said.
  const pods: V1Pod[] = settled ?? (await cluster.core.listNamespacedPod({ namespace: ns })).items;
  const rt = await runtimeByPod(a);
  const apiUids = new Set(pods.map((p) => p.metadata!.uid!));
  const staticUid = [...rt.byPod.entries()].find(([, p]) => p.sandboxes[0]?.labels?.['io.kubernetes.pod.name'] === mirrorName)?.[0];
  const orphans = [...rt.byPod.keys()].filter((uid) => !apiUids.has(uid) && uid !== staticUid);
  const duplicates = [...rt.byPod.entries()].filter(([, p]) => p.sandboxes.length !== 1 || p.containers.length !== 1).map(([uid, p]) => `${uid}: ${p.sandboxes.length} sandboxes, ${p.containers.length} containers`);
  const wrongStatus = pods.filter((p) => {
    const running = rt.byPod.get(p.metadata!.uid!)?.containers.find((c) => c.state === 'CONTAINER_RUNNING');
    const cs = p.status?.containerStatuses?.[0];
    return !isRunningReady(p) || !running || cs?.containerID !== `containerd://${running.id}` || !p.status?.podIP;
  }).map((p) => p.metadata!.name);
  const mirrors = (await cluster.core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${a.nodeName}` })).items
    .filter((p) => p.metadata?.annotations?.['kubernetes.io/config.mirror']);
  const lost = orphans.length + duplicates.length + wrongStatus.length + Math.abs(mirrors.length - 1) + (settled ? 0 : 1);
  recordFault({
    kind: 'fault', what: 'agent killed (SIGKILL) at random moments while a 20-replica Deployment scales 20↔0, restarted after 0–2 s', times: kills, unit: 'kills', lost,
    lostWhat: lost ? `${orphans.length} orphans, ${duplicates.length} duplicates, ${wrongStatus.length} wrong statuses, ${mirrors.length} mirror pods` : undefined,
    notes: `settled ${(settleMs / 1000).toFixed(1)} s after the last scale`,
  });
  assert.deepEqual(orphans, [], 'no sandbox of a pod the API does not have');
  assert.deepEqual(duplicates, [], 'one sandbox and one container per pod');
  assert.deepEqual(wrongStatus, [], 'every status Running, ready, with the container that runs and the pod IP');
  assert.equal(mirrors.length, 1, 'one mirror pod for the static pod');
  assert.ok(settled, `settled in time (${pods.length} pods, ${rt.sandboxes.length} sandboxes)`);
}, { timeout: 900_000 });
