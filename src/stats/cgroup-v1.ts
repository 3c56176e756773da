// Reads one cgroup's CPU and memory usage from cgroup v1 hierarchies (cpuacct, memory), as cAdvisor does for the kubelet.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CgroupName } from '../node/cgroups.js';

/** The mount point of each v1 controller the stats read; a missing one leaves its fields out. */
export interface CgroupHierarchies {
  cpuacct?: string;
  memory?: string;
}

/** One cgroup at one moment: cumulative CPU time and the memory figures the Summary carries. */
export interface CgroupSample {
  /** cpuacct.usage: nanoseconds of CPU, all cores, since the cgroup was made. */
  cpuUsageNs?: number;
  memory?: CgroupMemory;
  /** The oldest modification time of the cgroup's directories (cAdvisor's Spec.CreationTime). */
  startMs?: number;
}

export interface CgroupMemory {
  usageBytes: number;
  workingSetBytes: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
  /** memory.limit_in_bytes; undefined when unlimited. */
  limitBytes?: number;
}

/** Above this a v1 limit means "unlimited" (the kernel rounds 2^63−1 down to a page); the kubelet's isMemoryUnlimited. */
const UNLIMITED = 2 ** 62;

/** Each v1 hierarchy by controller, from the mount points (a mount may carry several, "cpu,cpuacct"). */
export function v1Hierarchies(mounts: string[]): CgroupHierarchies {
  const out: CgroupHierarchies = {};
  for (const mount of mounts) {
    const controllers = path.basename(mount).split(',');
    if (controllers.includes('cpuacct')) out.cpuacct ??= mount;
    if (controllers.includes('memory')) out.memory ??= mount;
  }
  return out;
}

/** memory.stat and the like: "key value" per line. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

async function readNumber(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Working set as cAdvisor computes it for cgroup v1: usage minus the inactive file cache (which the
 * kernel reclaims first), never below 0. The hierarchical total_* keys, so child cgroups count.
 */
export function memoryFromV1(usageBytes: number, stat: Map<string, number>, limit: number | undefined): CgroupMemory {
  const inactiveFile = stat.get('total_inactive_file') ?? 0;
  return {
    usageBytes,
    workingSetBytes: Math.max(0, usageBytes - inactiveFile),
    rssBytes: stat.get('total_rss'),
    // cAdvisor's ContainerData faults: this cgroup's own counters (pgfault), as the kubelet reports them.
    pageFaults: stat.get('pgfault'),
    majorPageFaults: stat.get('pgmajfault'),
    limitBytes: limit !== undefined && limit <= UNLIMITED ? limit : undefined,
  };
}

async function readMemory(dir: string): Promise<CgroupMemory | undefined> {
  const usage = await readNumber(path.join(dir, 'memory.usage_in_bytes'));
  if (usage === undefined) return undefined;
  const stat = parseFlatKeyed(await readFile(path.join(dir, 'memory.stat'), 'utf8').catch(() => ''));
  return memoryFromV1(usage, stat, await readNumber(path.join(dir, 'memory.limit_in_bytes')));
}

/** The cgroup `name` in every hierarchy given; undefined when it exists in none of them. */
export async function readCgroup(h: CgroupHierarchies, name: CgroupName): Promise<CgroupSample | undefined> {
  const cpuDir = h.cpuacct && path.join(h.cpuacct, ...name);
  const memDir = h.memory && path.join(h.memory, ...name);
  const [cpuUsageNs, memory, startMs] = await Promise.all([
    cpuDir ? readNumber(path.join(cpuDir, 'cpuacct.usage')) : undefined,
    memDir ? readMemory(memDir) : undefined,
    oldestMtime([cpuDir, memDir]),
  ]);
  if (cpuUsageNs === undefined && memory === undefined) return undefined;
  return { cpuUsageNs, memory, startMs };
}

async function oldestMtime(dirs: Array<string | undefined>): Promise<number | undefined> {
  const times = await Promise.all(dirs.map((d) => (d ? stat(d).then((s) => s.mtimeMs, () => undefined) : undefined)));
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.min(...known) : undefined;
}

/** The pids in one cgroup (cgroup.procs: its own processes, not its children's). */
export async function cgroupProcs(dir: string): Promise<number[]> {
  const text = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
}

/** The child cgroups of a cgroup directory, by name. */
export async function childCgroups(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}
