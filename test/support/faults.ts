// The fault and hostile-input suites' shared parts: the size (CI or full), the figures each test records for the README table, and control-plane faults (kill a component, bring it back).
//
// `MINI_KUBELET_FAULTS_FULL=1` (or `MINI_KUBELET_FAULTS=full`; `npm run faults` sets it) runs every
// test at its full size; otherwise the CI size. A test records what it tried, how often, and what
// was lost with recordFault(); with MINI_KUBELET_FAULTS_OUT set, each record is one JSON line there
// (scripts/faults-table.ts makes the table from them).
import type { V1Pod } from '@kubernetes/client-node';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ownershipSelector } from '../../src/runtime/labels.js';
import { runClusterUp, type Cluster } from './cluster.js';
import type { Agent } from './agent.js';

export const FULL = process.env.MINI_KUBELET_FAULTS === 'full' || process.env.MINI_KUBELET_FAULTS_FULL === '1';

/** The CI size, or the full one under MINI_KUBELET_FAULTS_FULL=1. */
export const size = <T>(ci: T, full: T): T => (FULL ? full : ci);

export interface FaultRecord {
  /** The table's group: "fault" or "hostile input". */
  kind: 'fault' | 'hostile input';
  /** What was tried, in a few words. */
  what: string;
  /** How many times (kill moments, pods, requests, ...) and of what. */
  times: number;
  unit: string;
  /** What was lost or went wrong, counted (0 is the goal), and in words when not nothing. */
  lost: number;
  lostWhat?: string;
  /** Timings or other figures worth a column. */
  notes?: string;
}

/** Prints the record in the test's output and appends it to MINI_KUBELET_FAULTS_OUT, if set. */
export function recordFault(r: FaultRecord): void {
  const line = JSON.stringify({ ...r, size: FULL ? 'full' : 'ci', at: new Date().toISOString() });
  process.stdout.write(`# fault record: ${line}\n`);
  const out = process.env.MINI_KUBELET_FAULTS_OUT;
  if (out) appendFileSync(out, line + '\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A random integer in [lo, hi]. */
export const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

function pidOf(cluster: Cluster, name: Component): number {
  return Number(readFileSync(path.join(cluster.dir, 'run', `${name}.pid`), 'utf8').trim());
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Kills one control-plane process (SIGKILL: nothing graceful) and waits until it is gone. */
export async function killComponent(cluster: Cluster, name: Component, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const pid = pidOf(cluster, name);
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`${name} (pid ${pid}) still alive 30 s after ${signal}`);
    await sleep(50);
  }
}

/**
 * up.sh again: it restarts what is dead and waits for the API server's /readyz. Other test files
 * share this control plane, so every test that kills a component calls this in a finally.
 */
export async function restoreControlPlane(cluster: Cluster): Promise<number> {
  const started = Date.now();
  await runClusterUp();
  await cluster.waitFor('the API server /readyz', async () => {
    const res = await cluster.kubectl(['get', '--raw', '/readyz']);
    return res.code === 0 && res.stdout.trim() === 'ok';
  }, 120_000);
  return Date.now() - started;
}

/**
 * Writes (and removes) a key outside /registry straight into etcd, `times` times: etcd's revision
 * moves on as it would with other API servers of an HA control plane writing, which no API server
 * object shows (etcd v3's JSON gateway).
 */
export async function advanceEtcdRevision(cluster: Cluster, times = 10): Promise<number> {
  const key = Buffer.from('mini-kubelet-e2e/fault').toString('base64');
  let revision = 0;
  for (let i = 0; i < times; i++) {
    const res = await fetch(`http://127.0.0.1:${cluster.ports.ETCD_PORT}/v3/kv/${i % 2 ? 'deleterange' : 'put'}`, {
      method: 'POST', body: JSON.stringify(i % 2 ? { key } : { key, value: Buffer.from(String(i)).toString('base64') }),
    });
    if (!res.ok) throw new Error(`etcd answered ${res.status}: ${await res.text()}`);
    revision = Number(((await res.json()) as { header: { revision: string } }).header.revision);
  }
  return revision;
}

/** Runs `fn` with the API server killed (or etcd), bringing the control plane back afterwards whatever happens. */
export async function withComponentDown<T>(cluster: Cluster, name: Component, fn: () => Promise<T>): Promise<T> {
  await killComponent(cluster, name);
  try {
    return await fn();
  } finally {
    await restoreControlPlane(cluster);
  }
}

/** A pod bound to `nodeName` (no scheduler), one busybox container that sleeps and leaves at once on SIGTERM. */
export function boundPod(name: string, namespace: string, nodeName: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { name, namespace, labels: { fault: 'yes' } },
    spec: {
      nodeName,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"] }],
      ...extra,
    },
  };
}

/** What the runtime holds of the agent's node: sandboxes and containers by pod UID. */
export async function runtimeByPod(a: Agent) {
  const selector = ownershipSelector(a.nodeName);
  const sandboxes = await a.cri.listPodSandbox({ labelSelector: selector });
  const containers = await a.cri.listContainers({ labelSelector: selector });
  const byPod = new Map<string, { sandboxes: typeof sandboxes; containers: typeof containers }>();
  const entry = (uid: string) => byPod.get(uid) ?? byPod.set(uid, { sandboxes: [], containers: [] }).get(uid)!;
  for (const s of sandboxes) entry(s.labels?.['io.kubernetes.pod.uid'] ?? '?').sandboxes.push(s);
  for (const c of containers) entry(c.labels?.['io.kubernetes.pod.uid'] ?? '?').containers.push(c);
  return { sandboxes, containers, byPod };
}

/** The running container of each pod: uid → container id (to show nothing was restarted). */
export async function runningContainers(a: Agent): Promise<Map<string, string>> {
  const { containers } = await runtimeByPod(a);
  return new Map(containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => [c.labels?.['io.kubernetes.pod.uid'] ?? '?', c.id]));
}

export const isRunningReady = (p: V1Pod | undefined) => p?.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready);
