// The Summary's pods: one per ready sandbox of this node, containers from CRI ListContainerStats, the pod's own CPU and memory from its cgroup.
//
// This is the kubelet's default path (the CRI stats provider with cAdvisor beside it): the runtime
// measures containers, the pod cgroup is read directly. CRI ListPodSandboxStats is not used:
// containerd 1.6.20 implements it, but one sandbox without a cgroup path (any stopped sandbox left
// in the runtime) fails the whole call with Unknown, so pod figures would vanish for everyone.
import path from 'node:path';
import type { Container, ContainerStats as CriContainerStats, PodSandbox } from '../cri/types.js';
import { podCgroup, type CgroupName } from '../node/cgroups.js';
import { ownershipSelector } from '../runtime/labels.js';
import { podLogsDirectory } from '../podworker/translate/sandbox-config.js';
import type { QOSClass } from '../status/qos.js';
import { cgroupProcs, childCgroups, readCgroup, type CgroupHierarchies, type CgroupSample } from './cgroup-v1.js';
import { cpuStats, criMemoryStats, dropUndefined, memoryStats, sumCpu, sumMemory } from './convert.js';
import { filesUsage, fsCapacity, fsInfo, usageOn, type FsInfo } from './fs.js';
import { podNetwork } from './network.js';
import type { CpuRates } from './rate.js';
import { emptyDirVolumes, ephemeralStorage, etcHostsUsage } from './storage.js';
import { wireTime, type ContainerStats, type FsStats, type PodStats, type ProcessStats } from './types.js';
import type { StatsCri } from './provider.js';

export interface PodSources {
  cri: StatsCri;
  nodeName: string;
  rootDir: string;
  podLogsDir: string;
  /** --cgroup-root when --cgroups-per-qos is on; undefined: no pod cgroups, pod CPU and memory are the containers' sum. */
  cgroupRoot?: string;
  hierarchies: CgroupHierarchies;
  procDir: string;
  rates: CpuRates;
  nowMs: () => number;
}

const QOS: QOSClass[] = ['Guaranteed', 'Burstable', 'BestEffort'];

/** The pod's cgroup under whichever QoS class it was made (cAdvisor finds it by the UID in the name). */
async function findPodCgroup(src: PodSources, uid: string): Promise<{ name: CgroupName; sample: CgroupSample } | undefined> {
  if (src.cgroupRoot === undefined) return undefined;
  for (const qos of QOS) {
    const name = podCgroup(src.cgroupRoot, qos, uid);
    const sample = await readCgroup(src.hierarchies, name);
    if (sample) return { name, sample };
  }
  return undefined;
}

/** BuildPodLogsDirectory of the sandbox's pod: <pod-logs-dir>/<namespace>_<name>_<uid>. */
const podLogDir = (src: PodSources, sb: PodSandbox): string => podLogsDirectory(src.podLogsDir, { metadata: sb.metadata });

/** makeContainerStats: CPU and memory as the runtime measured them; rootfs and logs unless only CPU and memory are asked for. */
async function containerStats(src: PodSources, sb: PodSandbox, c: Container, s: CriContainerStats | undefined, fs: FsLookup | undefined): Promise<ContainerStats> {
  const usage = s?.cpu?.usageCoreNanoSeconds?.value;
  const out: ContainerStats = dropUndefined({
    name: c.metadata.name,
    startTime: wireTime(c.createdAt / 1e6),
    cpu: s?.cpu && usage !== undefined ? cpuStats(src.rates, c.id, usage, s.cpu.timestamp) : undefined,
    memory: s?.memory ? criMemoryStats(s.memory) : undefined,
  });
  if (!fs) return out;
  const wl = s?.writableLayer;
  if (wl) {
    const info = wl.fsId?.mountpoint ? await fs.info(wl.fsId.mountpoint) : undefined;
    out.rootfs = dropUndefined({ ...(info ? fsCapacity(info) : {}), time: wireTime((wl.timestamp ?? 0) / 1e6 || src.nowMs()), usedBytes: wl.usedBytes?.value, inodesUsed: wl.inodesUsed?.value });
  }
  const logs = await filesUsage(path.join(podLogDir(src, sb), c.metadata.name));
  if (logs) out.logs = usageOn(fs.rootFs, logs, src.nowMs());
  return out;
}

/** statfs once per mount point per Summary (every container's writable layer is on the same one). */
interface FsLookup {
  rootFs?: FsInfo;
  info(mountpoint: string): Promise<FsInfo | undefined>;
}

function fsLookup(rootFs: FsInfo | undefined, nowMs: number): FsLookup {
  const seen = new Map<string, Promise<FsInfo | undefined>>();
  return {
    rootFs,
    info(mountpoint) {
      if (!seen.has(mountpoint)) seen.set(mountpoint, fsInfo(mountpoint, nowMs));
      return seen.get(mountpoint)!;
    },
  };
}

/**
 * The processes of the pod's containers (the sandbox's pause process left out, as the kubelet sums
 * its containers'), and one pid in the pod's network namespace: the pause process's.
 */
async function podProcesses(src: PodSources, cgroup: CgroupName, sandboxId: string): Promise<{ count?: number; netPid?: number }> {
  if (!src.hierarchies.cpuacct) return {};
  const dir = path.join(src.hierarchies.cpuacct, ...cgroup);
  let count = 0;
  let netPid: number | undefined;
  for (const child of await childCgroups(dir)) {
    const pids = await cgroupProcs(path.join(dir, child));
    if (child === sandboxId) netPid = pids[0];
    else count += pids.length;
  }
  return { count, netPid };
}

async function podStats(src: PodSources, sb: PodSandbox, containers: Container[], stats: Map<string, CriContainerStats>, fs: FsLookup | undefined): Promise<PodStats> {
  const { uid } = sb.metadata;
  const [cs, cgroup] = await Promise.all([
    Promise.all(containers.map((c) => containerStats(src, sb, c, stats.get(c.id), fs))),
    findPodCgroup(src, uid),
  ]);
  cs.sort((a, b) => a.name.localeCompare(b.name));
  const now = src.nowMs();
  const mem = cgroup?.sample.memory;
  const usage = cgroup?.sample.cpuUsageNs;
  const out: PodStats = dropUndefined({
    podRef: { name: sb.metadata.name, namespace: sb.metadata.namespace, uid },
    startTime: wireTime(sb.createdAt / 1e6),
    containers: cs,
    cpu: usage !== undefined ? cpuStats(src.rates, `pod/${uid}`, usage, now * 1e6) : cgroup ? undefined : sumCpu(cs.map((c) => c.cpu)),
    memory: mem ? memoryStats(mem, now) : cgroup ? undefined : sumMemory(cs.map((c) => c.memory)),
  });
  if (!fs) return out;
  const procs = cgroup ? await podProcesses(src, cgroup.name, sb.id) : {};
  const [network, volumes, podLogs, etcHosts] = await Promise.all([
    procs.netPid === undefined ? undefined : podNetwork(src.procDir, procs.netPid, now),
    emptyDirVolumes(src.rootDir, uid, now),
    filesUsage(podLogDir(src, sb)),
    etcHostsUsage(src.rootDir, uid),
  ]);
  const process_stats: ProcessStats | undefined = procs.count === undefined ? undefined : { process_count: procs.count };
  const ephemeral: FsStats = ephemeralStorage(fs.rootFs, { containers: cs, volumes, podLogs, etcHosts }, now);
  return dropUndefined({
    ...out,
    network,
    volume: volumes.length > 0 ? volumes.map((v) => v.stats) : undefined,
    'ephemeral-storage': ephemeral,
    process_stats,
  });
}

/**
 * Every pod of this node with a ready sandbox, its running containers, in namespace/name order.
 * `rootFs` is the node filesystem (undefined with onlyCpuAndMemory: no filesystem work at all).
 */
export async function listPodStats(src: PodSources, onlyCpuAndMemory: boolean, rootFs?: FsInfo): Promise<PodStats[]> {
  const labelSelector = ownershipSelector(src.nodeName);
  const [sandboxes, containers, stats] = await Promise.all([
    src.cri.listPodSandbox({ state: { state: 'SANDBOX_READY' }, labelSelector }),
    src.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' }, labelSelector }),
    src.cri.listContainerStats({ labelSelector }),
  ]);
  // The filters above already say so; checked again so a runtime that ignores a filter changes nothing.
  const ours = (labels: Record<string, string> | undefined) => Object.entries(labelSelector).every(([k, v]) => labels?.[k] === v);
  const ready = sandboxes.filter((sb) => sb.state === 'SANDBOX_READY' && ours(sb.labels));
  const running = containers.filter((c) => c.state === 'CONTAINER_RUNNING' && ours(c.labels));
  const byId = new Map(stats.flatMap((s) => (s.attributes ? [[s.attributes.id, s] as const] : [])));
  const fs = onlyCpuAndMemory ? undefined : fsLookup(rootFs, src.nowMs());
  const pods = await Promise.all(
    ready.map((sb) => podStats(src, sb, running.filter((c) => c.podSandboxId === sb.id), byId, fs)),
  );
  return pods.sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`));
}
