// Assembles the kubelet's Summary (GET /stats/summary) from the node, the runtime and the cgroups; readers, paths and clock injectable for tests.
import { readFile } from 'node:fs/promises';
import type { ImageService, RuntimeService } from '../cri/types.js';
import { kubepodsCgroup } from '../node/cgroups.js';
import { cgroupMounts } from '../node/cgroups-fs.js';
import { v1Hierarchies, type CgroupHierarchies } from './cgroup-v1.js';
import { fsInfo } from './fs.js';
import { nodeStats } from './node.js';
import { listPodStats } from './pods.js';
import { CpuRateCache, type CpuRateOptions } from './rate.js';
import type { Summary } from './types.js';

/** The CRI calls the stats make. */
export type StatsCri = Pick<RuntimeService, 'listPodSandbox' | 'listContainers' | 'listContainerStats'> & Partial<Pick<ImageService, 'imageFsInfo'>>;

export interface StatsProviderOptions {
  cri: StatsCri;
  nodeName: string;
  /** --root-dir: the node filesystem, and where emptyDirs and etc-hosts files live. */
  rootDir: string;
  /** --pod-logs-dir: container log sizes. */
  podLogsDir: string;
  /** --cgroup-root when --cgroups-per-qos is true; undefined otherwise (no pods cgroup to read). */
  cgroupRoot?: string;
  /** The v1 hierarchies; default: the cgroup mounts in /proc/self/mountinfo. */
  hierarchies?: CgroupHierarchies;
  /** Default /proc. */
  procDir?: string;
  /** Unix milliseconds. */
  clock?: () => number;
  rates?: CpuRateOptions;
}

export interface SummaryOptions {
  /** ?only_cpu_and_memory=true: the kubelet's GetCPUAndMemoryStats (no filesystem, network or rlimit). */
  onlyCpuAndMemory?: boolean;
}

export class StatsProvider {
  private readonly rates: CpuRateCache;
  private hierarchies: Promise<CgroupHierarchies> | undefined;

  constructor(private readonly opts: StatsProviderOptions) {
    this.rates = new CpuRateCache(opts.rates);
    if (opts.hierarchies) this.hierarchies = Promise.resolve(opts.hierarchies);
  }

  async summary(options: SummaryOptions = {}): Promise<Summary> {
    const o = this.opts;
    const nowMs = o.clock ?? Date.now;
    const procDir = o.procDir ?? '/proc';
    const hierarchies = await this.discover();
    const only = options.onlyCpuAndMemory === true;
    const rates = only ? this.rates.readOnly() : this.rates;
    const rootFs = only ? undefined : await fsInfo(o.rootDir, nowMs());
    const [node, pods] = await Promise.all([
      nodeStats({
        nodeName: o.nodeName,
        rootDir: o.rootDir,
        procDir,
        hierarchies,
        podsCgroup: o.cgroupRoot === undefined ? undefined : kubepodsCgroup(o.cgroupRoot),
        imageFsInfo: o.cri.imageFsInfo && (() => o.cri.imageFsInfo!()),
        rates,
        nowMs,
      }, only),
      listPodStats({ ...o, hierarchies, procDir, rates, nowMs }, only, rootFs).catch((err: Error) => {
        throw new Error(`failed to list pod stats: ${err.message}`);
      }),
    ]);
    // Containers and pods that are gone leave their last sample behind; drop the old ones.
    if (!only) this.rates.prune(nowMs() * 1e6);
    return { node, pods };
  }

  /** The hierarchy mounts are read once; a cgroup v2 host has no v1 controllers, so its cgroup fields stay out. */
  private discover(): Promise<CgroupHierarchies> {
    this.hierarchies ??= readFile('/proc/self/mountinfo', 'utf8').then(
      (text) => v1Hierarchies(cgroupMounts(text)),
      () => ({}),
    );
    return this.hierarchies;
  }
}
