// How a ResourceConfig is spelled in cgroup v1 and v2 files (runc's fs and fs2 managers, as the kubelet drives them); pure apart from the last three functions, which read and write one hierarchy.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResourceConfig } from './pod-resource-config.js';

/** The controllers whose files we write. */
export type Controller = 'cpu' | 'memory';
const CONTROLLERS: readonly Controller[] = ['cpu', 'memory'];

/** One mounted hierarchy: a v1 hierarchy carries the controllers mounted with it, the v2 one those it offers. */
export interface Hierarchy {
  mount: string;
  version: 1 | 2;
  controllers: ReadonlySet<Controller>;
}

export interface CgroupFileWrite {
  controller: Controller;
  file: string;
  value: string;
}

/**
 * getCPUWeight (cgroup_manager_linux.go): the kubelet's own cgroups take the linear map of
 * [2, 262144] shares onto [1, 10000]. (Newer runc/crun map a container's shares on a curve; the
 * kubelet still converts its pod and QoS cgroups' shares itself, this way.)
 */
export function cpuSharesToCpuWeight(shares: number): number {
  if (shares >= 262144) return 10000;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * The files a config sets, in runc's order. v1: cpu.shares, the period before the quota (a new
 * cgroup's quota is unlimited, so any period is accepted), memory.limit_in_bytes. v2: cpu.weight,
 * cpu.max "<quota|max> <period>", memory.max. Zero means "leave alone", as in runc; -1 is no limit.
 */
export function cgroupFileWrites(config: ResourceConfig, version: 1 | 2): CgroupFileWrite[] {
  const out: CgroupFileWrite[] = [];
  const cpu = (file: string, value: number | string) => out.push({ controller: 'cpu', file, value: String(value) });
  const { cpuShares, cpuQuota = 0, cpuPeriod = 0, memoryLimit = 0 } = config;
  if (version === 1) {
    if (cpuShares) cpu('cpu.shares', cpuShares);
    if (cpuPeriod) cpu('cpu.cfs_period_us', cpuPeriod);
    if (cpuQuota) cpu('cpu.cfs_quota_us', cpuQuota);
    if (memoryLimit) out.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(memoryLimit) });
    return out;
  }
  if (cpuShares) cpu('cpu.weight', cpuSharesToCpuWeight(cpuShares));
  if (cpuQuota || cpuPeriod) cpu('cpu.max', `${cpuQuota > 0 ? cpuQuota : 'max'} ${cpuPeriod || 100_000}`);
  if (memoryLimit) out.push({ controller: 'memory', file: 'memory.max', value: memoryLimit > 0 ? String(memoryLimit) : 'max' });
  return out;
}

const exists = (file: string) => stat(file).then(() => true, () => false);

/**
 * What a mount point holds: the v2 root lists its controllers in cgroup.controllers; a v1 root has
 * the files of the controllers mounted there (cpu.shares in cpu or cpu,cpuacct, not in cpuacct alone).
 */
export async function describeHierarchy(mount: string): Promise<Hierarchy> {
  const v2 = await readFile(path.join(mount, 'cgroup.controllers'), 'utf8').catch(() => undefined);
  if (v2 !== undefined) {
    const offered = new Set(v2.split(/\s+/));
    return { mount, version: 2, controllers: new Set(CONTROLLERS.filter((c) => offered.has(c))) };
  }
  const has = await Promise.all([exists(path.join(mount, 'cpu.shares')), exists(path.join(mount, 'memory.limit_in_bytes'))]);
  return { mount, version: 1, controllers: new Set(CONTROLLERS.filter((_, i) => has[i])) };
}

/** Writes a config into one cgroup of a hierarchy: only the files of controllers it has; the first failure is thrown. */
export async function writeResourceConfig(h: Hierarchy, dir: string, config: ResourceConfig): Promise<void> {
  for (const w of cgroupFileWrites(config, h.version)) {
    if (!h.controllers.has(w.controller)) continue;
    const file = path.join(dir, w.file);
    try {
      await writeFile(file, w.value);
    } catch (err) {
      throw new Error(`failed to write "${w.value}" to ${file}: ${(err as Error).message}`);
    }
  }
}

/**
 * v2 only: a child gets a controller's files only when its parent enables it in
 * cgroup.subtree_control. runc enables every offered controller in each ancestor, all at once
 * or else one by one, and ignores refusals (the writes that need one then fail); so do we.
 */
export async function enableControllers(h: Hierarchy, dirs: readonly string[]): Promise<void> {
  if (h.version !== 2) return;
  const offered = (await readFile(path.join(h.mount, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/).filter(Boolean);
  if (offered.length === 0) return;
  for (const dir of dirs) {
    const file = path.join(dir, 'cgroup.subtree_control');
    const all = await writeFile(file, offered.map((c) => `+${c}`).join(' ')).then(() => true, () => false);
    if (!all) for (const c of offered) await writeFile(file, `+${c}`).catch(() => undefined);
  }
}
