// Which dead containers, sandboxes and pod log directories to remove: the pure half of the kubelet's containerGC.
//
// Works on the raw CRI list entries (as kuberuntime_gc.go does), already narrowed to what this agent
// owns. `isLive(uid)` says whether a pod still exists (a source or a pod worker has it).
import type { Container, PodSandbox } from '../cri/types.js';
import { CONTAINER_NAME_LABEL } from '../runtime/labels.js';
import { podUidOf } from '../runtime/inspect.js';

/** kubelet: GCPolicy. */
export interface GCPolicy {
  /** --minimum-container-ttl-duration: a dead container younger than this (since creation) is kept. */
  minAgeMs: number;
  /** --maximum-dead-containers-per-container: dead instances kept per pod and container name; negative: no limit. */
  maxPerPodContainer: number;
  /** --maximum-dead-containers: dead instances kept on the whole node; negative (the default): no limit. */
  maxContainers: number;
}

/** The kubelet's defaults: MinAge 0, MaxPerPodContainer 1, MaxContainers -1. */
export const DEFAULT_GC_POLICY: GCPolicy = { minAgeMs: 0, maxPerPodContainer: 1, maxContainers: -1 };

const nsToMs = (ns: number): number => Math.round(ns / 1e6);

/** Newest first: by creation, then by attempt, then by id so the order is total. */
function newestFirst<T extends { createdAt: number; id: string }>(attempt: (x: T) => number) {
  return (a: T, b: T): number => b.createdAt - a.createdAt || attempt(b) - attempt(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
const containersNewestFirst = newestFirst<Container>((c) => c.metadata?.attempt ?? 0);
const sandboxesNewestFirst = newestFirst<PodSandbox>((s) => s.metadata?.attempt ?? 0);

function containerName(c: Container): string {
  return c.labels?.[CONTAINER_NAME_LABEL] ?? c.metadata?.name ?? '';
}

/** Groups by a key, keeping insertion order. */
function groupBy<T>(items: T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
}

/**
 * kubelet: evictContainers (evictableContainers, then removeOldestN per evict unit). Running
 * containers are never evictable, nor dead ones younger than minAge. A removed pod loses every
 * evictable container. A live pod keeps the newest maxPerPodContainer per container name; then,
 * if more than maxContainers dead ones are left on the node, every evict unit is cut to an equal
 * share (at least 1) and, if that is not enough, the oldest go first, whichever pod they are in.
 * A live pod never loses the newest instance of a name (running or not): the planner and the
 * status read it for restartCount, lastState, and whether an init container already succeeded.
 */
export function containersToEvict(containers: Container[], isLive: (uid: string) => boolean, policy: GCPolicy, now: number): Container[] {
  const out: Container[] = [];
  // What each live evict unit keeps for now, newest first, and the instance it must never lose.
  const kept: { keep: Container[]; newest: Container }[] = [];
  const units = groupBy(containers, (c) => `${podUidOf(c) ?? ''}\u0000${containerName(c)}`);
  for (const unit of units.values()) {
    const uid = podUidOf(unit[0]!);
    if (!uid) continue;
    const all = [...unit].sort(containersNewestFirst);
    const evictable = all.filter((c) => c.state !== 'CONTAINER_RUNNING' && now - nsToMs(c.createdAt) >= policy.minAgeMs);
    if (!isLive(uid)) {
      out.push(...evictable);
      continue;
    }
    // kubelet: evictableContainers only makes a unit of a name that has something evictable.
    if (evictable.length === 0) continue;
    kept.push({ keep: evictable, newest: all[0]! });
  }
  // enforceMaxContainersPerEvictUnit; a negative limit disables it.
  const cut = (limit: number) => {
    for (const u of kept) {
      out.push(...u.keep.slice(limit).filter((c) => c !== u.newest));
      u.keep = u.keep.slice(0, limit).concat(u.keep.slice(limit).filter((c) => c === u.newest));
    }
  };
  if (policy.maxPerPodContainer >= 0) cut(policy.maxPerPodContainer);
  const total = () => kept.reduce((n, u) => n + u.keep.length, 0);
  if (policy.maxContainers >= 0 && total() > policy.maxContainers) {
    cut(Math.max(Math.floor(policy.maxContainers / kept.length), 1));
    const excess = total() - policy.maxContainers;
    if (excess > 0) {
      const newest = new Set(kept.map((u) => u.newest));
      const oldestFirst = kept.flatMap((u) => u.keep).sort(containersNewestFirst).reverse();
      out.push(...oldestFirst.filter((c) => !newest.has(c)).slice(0, excess));
    }
  }
  return out;
}

/**
 * kubelet: evictSandboxes. A sandbox is active while it is ready or still holds a container
 * (`containers` is what is left after container eviction). Inactive sandboxes of removed pods
 * go; a live pod keeps its newest sandbox whatever its state, and loses its older inactive ones.
 */
export function sandboxesToEvict(sandboxes: PodSandbox[], containers: Container[], isLive: (uid: string) => boolean): PodSandbox[] {
  const holding = new Set(containers.map((c) => c.podSandboxId));
  const out: PodSandbox[] = [];
  for (const [uid, pods] of groupBy(sandboxes, (s) => podUidOf(s) ?? '')) {
    if (!uid) continue;
    const sorted = [...pods].sort(sandboxesNewestFirst);
    const candidates = isLive(uid) ? sorted.slice(1) : sorted;
    out.push(...candidates.filter((s) => s.state !== 'SANDBOX_READY' && !holding.has(s.id)));
  }
  return out;
}

/**
 * kubelet: parsePodUIDFromLogsDirectory. A pod log directory is `<namespace>_<name>_<uid>`; none
 * of the three may hold an underscore, so anything else is not a pod's and is left alone.
 */
export function podUidFromLogsDirectory(name: string): string | undefined {
  const parts = name.split('_');
  return parts.length === 3 && parts.every((p) => p !== '') ? parts[2] : undefined;
}

/**
 * kubelet: evictPodLogsDirectories. A pod's log directory goes when the pod is not live and the
 * runtime holds no sandbox for its UID (`inRuntime`): while a sandbox is left, its logs may still
 * be read, and a sandbox of another client with that UID means the directory is not ours.
 */
export function logDirectoriesToEvict(names: string[], isLive: (uid: string) => boolean, inRuntime: ReadonlySet<string>): string[] {
  return names.filter((name) => {
    const uid = podUidFromLogsDirectory(name);
    return uid !== undefined && !isLive(uid) && !inRuntime.has(uid);
  });
}
