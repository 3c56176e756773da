// The Summary's node part: boot time, the root cgroup's CPU and memory, the root-dir and image filesystems, the pods cgroup, rlimit.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FilesystemUsage } from '../cri/types.js';
import type { CgroupName } from '../node/cgroups.js';
import { readCgroup, type CgroupHierarchies } from './cgroup-v1.js';
import { cpuStats, dropUndefined, memoryStats } from './convert.js';
import { fsCapacity, fsInfo } from './fs.js';
import type { CpuRates } from './rate.js';
import { SYSTEM_CONTAINER_PODS, wireTime, type ContainerStats, type FsStats, type NodeStats, type RlimitStats } from './types.js';

export interface NodeSources {
  nodeName: string;
  /** --root-dir: its filesystem is the node's fs (the kubelet's RootFsInfo). */
  rootDir: string;
  /** /proc, or a fake tree in tests. */
  procDir: string;
  hierarchies: CgroupHierarchies;
  /** <cgroup-root>/kubepods; undefined with --cgroups-per-qos=false (no "pods" system container). */
  podsCgroup?: CgroupName;
  /** CRI ImageFsInfo; the runtime.imageFs entry is left out when absent or failing. */
  imageFsInfo?: () => Promise<FilesystemUsage[]>;
  rates: CpuRates;
  nowMs: () => number;
}

/** /proc/stat btime: the boot time the kubelet reports as the node's startTime. */
export async function bootTimeMs(procDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(procDir, 'stat'), 'utf8').catch(() => '');
  const m = /^btime\s+(\d+)$/m.exec(text);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** MemTotal: the root cgroup's limit in cAdvisor (the machine's memory capacity). */
export async function memTotalBytes(procDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(procDir, 'meminfo'), 'utf8').catch(() => '');
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** pidlimit.Stats: min(pid_max, threads-max), and the task count from /proc/loadavg ("1.36 3.49 4.53 2/3518 3715089"). */
export async function rlimitStats(procDir: string, nowMs: number): Promise<RlimitStats> {
  const read = (f: string) => readFile(path.join(procDir, f), 'utf8').catch(() => '');
  const [pidMax, threadsMax, loadavg] = await Promise.all([read('sys/kernel/pid_max'), read('sys/kernel/threads-max'), read('loadavg')]);
  const limits = [pidMax, threadsMax].map((t) => Number.parseInt(t, 10)).filter((n) => Number.isFinite(n));
  const tasks = /^\S+ \S+ \S+ \d+\/(\d+) /.exec(loadavg);
  return dropUndefined({
    time: wireTime(nowMs),
    maxpid: limits.length > 0 ? Math.min(...limits) : undefined,
    curproc: tasks ? Number(tasks[1]) : undefined,
  });
}

/** ImageFsStats: the runtime's usage of its first image filesystem, with that filesystem's size when we can statfs it. */
async function imageFsStats(src: NodeSources): Promise<FsStats | undefined> {
  const fs = (await src.imageFsInfo?.().catch(() => undefined))?.[0];
  if (!fs) return undefined;
  const info = fs.fsId?.mountpoint ? await fsInfo(fs.fsId.mountpoint, src.nowMs()) : undefined;
  return dropUndefined({
    ...(info ? fsCapacity(info) : {}),
    time: wireTime(fs.timestamp / 1e6),
    usedBytes: fs.usedBytes?.value,
    inodesUsed: fs.inodesUsed?.value,
  });
}

/** The kubepods cgroup as the "pods" system container: CPU and memory only, as the kubelet gives system containers. */
async function podsSystemContainer(src: NodeSources): Promise<ContainerStats | undefined> {
  if (!src.podsCgroup) return undefined;
  const sample = await readCgroup(src.hierarchies, src.podsCgroup);
  if (!sample) return undefined;
  const now = src.nowMs();
  return dropUndefined({
    name: SYSTEM_CONTAINER_PODS,
    startTime: wireTime(sample.startMs ?? now),
    cpu: sample.cpuUsageNs === undefined ? undefined : cpuStats(src.rates, 'system/pods', sample.cpuUsageNs, now * 1e6),
    memory: sample.memory && memoryStats(sample.memory, now),
  });
}

/** NodeStats; with onlyCpuAndMemory, what GetCPUAndMemoryStats gives (no fs, runtime or rlimit). */
export async function nodeStats(src: NodeSources, onlyCpuAndMemory: boolean): Promise<NodeStats> {
  const [boot, memTotal, root, pods] = await Promise.all([
    bootTimeMs(src.procDir),
    memTotalBytes(src.procDir),
    readCgroup(src.hierarchies, []),
    podsSystemContainer(src),
  ]);
  const now = src.nowMs();
  const node: NodeStats = dropUndefined({
    nodeName: src.nodeName,
    systemContainers: pods ? [pods] : undefined,
    startTime: wireTime(boot ?? now),
    cpu: root?.cpuUsageNs === undefined ? undefined : cpuStats(src.rates, 'node', root.cpuUsageNs, now * 1e6),
    memory: root?.memory && memoryStats(root.memory, now, memTotal),
  });
  if (onlyCpuAndMemory) return node;
  const [rootFs, imageFs, rlimit] = await Promise.all([fsInfo(src.rootDir, now), imageFsStats(src), rlimitStats(src.procDir, now)]);
  return dropUndefined({
    ...node,
    fs: rootFs && { ...fsCapacity(rootFs), usedBytes: rootFs.usedBytes, inodesUsed: rootFs.inodes - rootFs.inodesFree },
    runtime: imageFs ? { imageFs } : undefined,
    rlimit,
  });
}
