// Agents joined to the test control plane as their own nodes, and the helpers the cluster e2e files share (API pod reads, what the runtime holds for a pod, deployments).
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../../src/runtime/labels.js';
import { startAgent, type Agent } from './agent.js';
import type { Cluster } from './cluster.js';

/** Where clean-ups go: a test's context, or a file-wide list run in the file's `after`. */
export type Scope = Pick<TestContext, 'after'>;

/** A scope whose clean-ups run when `run()` is called (for what lives as long as a test file). */
export function fileScope(): Scope & { run(): Promise<void> } {
  const fns: Array<() => unknown> = [];
  return {
    after: (fn: () => unknown) => void fns.push(fn),
    async run() {
      for (const fn of fns.splice(0).reverse()) await fn();
    },
  } as Scope & { run(): Promise<void> };
}

/**
 * An agent joined to the cluster with its node's own credentials, registered by itself and Ready.
 * --node-ip 127.0.0.1 and the cluster's CA as --client-ca-file: the API server reaches its node
 * API (kubectl logs/exec) on loopback with its kubelet client certificate. Its Node is deleted
 * after it (a node that is gone for good, so the scheduler never picks it again).
 */
export async function joinAgent(cluster: Cluster, scope: Scope, name: string, extra: string[] = []): Promise<Agent> {
  const agent = await startAgent({
    name,
    extraArgs: async (nodeName) => [
      '--kubeconfig', await cluster.mintNodeKubeconfig(scope as TestContext, nodeName),
      '--node-ip', '127.0.0.1',
      '--client-ca-file', path.join(cluster.dir, 'pki', 'ca.crt'),
      ...extra,
    ],
  });
  scope.after(async () => {
    await agent.cleanup();
    await cluster.core.deleteNode({ name: agent.nodeName }).catch(() => undefined);
  });
  await cluster.waitForNodeReady(agent.nodeName);
  return agent;
}

/** The pod as the API has it, or undefined once it is gone. */
export async function readPod(cluster: Cluster, namespace: string, name: string): Promise<V1Pod | undefined> {
  return cluster.core.readNamespacedPod({ namespace, name }).catch((err: { code?: number }) => {
    if (err.code === 404) return undefined;
    throw err;
  });
}

export async function listPods(cluster: Cluster, namespace: string, labelSelector?: string): Promise<V1Pod[]> {
  return (await cluster.core.listNamespacedPod({ namespace, labelSelector })).items;
}

/** Running in the API with its IP and every container ready. */
export function isRunning(p: V1Pod | undefined): boolean {
  return p?.status?.phase === 'Running' && !!p.status.podIP && (p.status.containerStatuses ?? []).length > 0 &&
    p.status.containerStatuses!.every((c) => c.ready);
}

/** The runtime's sandboxes and containers of a pod UID (everything an agent made for it). */
export async function inRuntime(a: Agent, uid: string) {
  const selector = { [POD_UID_LABEL]: uid };
  const sandboxes = await a.cri.listPodSandbox({ labelSelector: selector });
  const containers = await a.cri.listContainers({ labelSelector: selector });
  return {
    sandboxes,
    containers,
    readySandboxes: sandboxes.filter((s) => s.state === 'SANDBOX_READY'),
    running: containers.filter((c) => c.state === 'CONTAINER_RUNNING'),
  };
}

/**
 * `kubectl create deployment NAME --image=busybox:1.36 --replicas=N -- sleep 3600`, as a user
 * types it, with the pod template narrowed before it is sent: a nodeSelector on `nodeLabel`
 * (the shared cluster holds other tests' nodes), a grace period, and optionally a hard spread
 * over host names.
 */
export async function createDeployment(cluster: Cluster, ns: string, name: string, opts: {
  replicas: number;
  nodeLabel: [string, string];
  grace?: number;
  spread?: boolean;
  command?: string[];
}): Promise<V1Deployment> {
  const gen = await cluster.kubectl(['create', 'deployment', name, '-n', ns, '--image=busybox:1.36', `--replicas=${opts.replicas}`,
    '--dry-run=client', '-o', 'json', '--', ...(opts.command ?? ['sleep', '3600'])]);
  if (gen.code !== 0) throw new Error(`kubectl create deployment --dry-run: ${gen.stderr}`);
  const d = JSON.parse(gen.stdout) as V1Deployment;
  const spec = d.spec!.template.spec!;
  spec.nodeSelector = { [opts.nodeLabel[0]]: opts.nodeLabel[1] };
  if (opts.grace !== undefined) spec.terminationGracePeriodSeconds = opts.grace;
  if (opts.spread) {
    spec.topologySpreadConstraints = [{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: name } },
    }];
  }
  const res = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(d) });
  if (res.code !== 0) throw new Error(`kubectl create -f (deployment ${name}): ${res.stderr}`);
  return d;
}

/** kubectl as the admin; throws with its stderr on a non-zero exit. */
export async function kubectlOk(cluster: Cluster, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The p-th percentile (0..100) of a list of numbers, by linear interpolation. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = (s.length - 1) * (p / 100);
  const lo = Math.floor(i);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (i - lo);
}

/** The id of an API pod's running container, once the agent has started it. */
export function runningContainer(agent: Agent, pod: V1Pod, container = 'main', timeoutMs = 120_000): Promise<string> {
  return agent.waitFor(`${pod.metadata!.name}/${container} running`, async () => {
    const cs = await agent.cri.listContainers({ labelSelector: { [POD_UID_LABEL]: pod.metadata!.uid!, [CONTAINER_NAME_LABEL]: container } });
    return cs.find((c) => c.state === 'CONTAINER_RUNNING')?.id;
  }, timeoutMs);
}
