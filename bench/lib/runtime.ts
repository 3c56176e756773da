// The bench's side of the dev runtime: connect, make sure the image is there, count running pods, and remove what a node name owns.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import type { Container } from '../../src/cri/types.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL, ownershipSelector } from '../../src/runtime/labels.js';
import { ensureRuntime } from '../../test/support/runtime.js';
import { IMAGE } from './pods.js';
import { sleep } from './stats.js';

export interface BenchRuntime {
  endpoint: string;
  runtimeDir: string;
  cri: CriClient;
}

/** The dev runtime (started by scripts/runtime/up.sh when its socket is silent) and a CRI client on it. */
export async function connect(): Promise<BenchRuntime> {
  const { endpoint, runtimeDir } = await ensureRuntime();
  const cri = createCriClient({ runtimeEndpoint: endpoint, timeoutMs: 60_000 });
  return { endpoint, runtimeDir, cri };
}

/** Pulls the bench image once, so no figure includes a pull. */
export async function ensureImage(cri: CriClient): Promise<void> {
  if (!(await cri.imageStatus({ image: IMAGE }))) await cri.pullImage({ image: IMAGE });
}

/** The prefix length of the pod subnet the runtime's CNI config hands out (24 for a /24), or undefined. */
export function podSubnetPrefix(runtimeDir: string): number | undefined {
  const dir = path.join(runtimeDir, 'etc', 'cni');
  try {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.conflist')).sort()) {
      const m = /"subnet"\s*:\s*"[\d.]+\/(\d+)"/.exec(readFileSync(path.join(dir, f), 'utf8'));
      if (m) return Number(m[1]);
    }
  } catch {
    /* no CNI config: unknown */
  }
  return undefined;
}

/** How many addresses a subnet of this prefix gives pods (network, gateway and broadcast excluded). */
export const podAddresses = (prefix: number): number => 2 ** (32 - prefix) - 3;

/** The owned containers in the given state, by pod UID (one entry per pod; the newest attempt wins). */
export async function containersByPod(cri: CriClient, nodeName: string, state?: Container['state']): Promise<Map<string, Container>> {
  const list = await cri.listContainers({ labelSelector: ownershipSelector(nodeName), ...(state ? { state: { state } } : {}) });
  const byPod = new Map<string, Container>();
  for (const c of list) {
    const uid = c.labels[POD_UID_LABEL] ?? '';
    const prev = byPod.get(uid);
    if (!prev || c.metadata.attempt > prev.metadata.attempt) byPod.set(uid, c);
  }
  return byPod;
}

/** The newest containerd start time among the owned running containers, unix ms (no polling bias). */
export async function lastStartedAt(cri: CriClient, nodeName: string): Promise<number> {
  const running = await containersByPod(cri, nodeName, 'CONTAINER_RUNNING');
  let last = 0;
  await forEachLimit([...running.values()], 8, async (c) => {
    const s = await cri.containerStatus(c.id);
    last = Math.max(last, s.startedAt / 1e6);
  });
  return last;
}

/**
 * Stops and removes every sandbox (and so every container) the node name owns, a few at a time,
 * and looks again until nothing is left: a removal can fail on a loaded runtime, and a
 * RunPodSandbox still in flight when its agent was killed lands after the first look.
 */
export async function removeOwned(cri: CriClient, nodeName: string, parallel = 4): Promise<number> {
  const selector = ownershipSelector(nodeName);
  let removed = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const sandboxes = await cri.listPodSandbox({ labelSelector: selector }).catch(() => []);
    // Containers whose sandbox is already gone would otherwise linger.
    const containers = await cri.listContainers({ labelSelector: selector }).catch(() => []);
    if (sandboxes.length === 0 && containers.length === 0) {
      if (attempt > 0) return removed;
      await sleep(1000); // one more look, for calls still in flight
      continue;
    }
    await forEachLimit(sandboxes, parallel, async (s) => {
      await cri.stopPodSandbox(s.id).catch(() => undefined);
      await cri.removePodSandbox(s.id).catch(() => undefined);
    });
    for (const c of containers) await cri.removeContainer(c.id).catch(() => undefined);
    removed += sandboxes.length;
    await sleep(1000); // then look again, for calls still in flight
  }
  process.stderr.write(`bench: objects of node ${nodeName} are still in the runtime after 5 attempts\n`);
  return removed;
}

export const CONTAINER_NAME = 'app';
export const containerSelector = (nodeName: string) => ({ ...ownershipSelector(nodeName), [CONTAINER_NAME_LABEL]: CONTAINER_NAME });

/** Runs fn over items with at most `limit` in flight. */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
}
