// A pod's volume and ephemeral-storage stats: its emptyDir volumes measured with du, and the kubelet's sum of what the pod writes to the node.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { EMPTY_DIR_PLUGIN, hostsFilePath, podDir } from '../volumes/layout.js';
import { dropUndefined } from './convert.js';
import { diskUsage, fsCapacity, fsInfo, TMPFS_MAGIC, usageOn, type DiskUsage, type FsInfo } from './fs.js';
import { wireTime, type ContainerStats, type FsStats, type VolumeStats } from './types.js';

export interface PodVolume {
  stats: VolumeStats;
  /** A disk-backed emptyDir counts towards ephemeral storage; a tmpfs one is memory (isVolumeEphemeral). */
  onDisk: boolean;
}

/**
 * Every emptyDir of the pod under <root-dir>/pods/<uid>/volumes/kubernetes.io~empty-dir (the
 * kubelet's MetricsDu: du for usage, statfs of the volume for capacity). The medium is read from
 * the filesystem type, so no pod spec is needed.
 */
export async function emptyDirVolumes(rootDir: string, uid: string, nowMs: number): Promise<PodVolume[]> {
  const base = path.join(podDir(rootDir, uid), 'volumes', EMPTY_DIR_PLUGIN);
  const names = await readdir(base).catch(() => [] as string[]);
  const out: PodVolume[] = [];
  for (const name of names.sort()) {
    const dir = path.join(base, name);
    const [info, usage] = await Promise.all([fsInfo(dir, nowMs), diskUsage(dir)]);
    if (!usage) continue;
    out.push({ stats: { ...usageOn(info, usage, nowMs), name }, onDisk: info?.type !== TMPFS_MAGIC });
  }
  return out;
}

/** The managed /etc/hosts file, which the kubelet counts as the pod's (getPodEtcHostsStats). */
export function etcHostsUsage(rootDir: string, uid: string): Promise<DiskUsage | undefined> {
  return diskUsage(hostsFilePath(rootDir, uid));
}

export interface EphemeralParts {
  containers: ContainerStats[];
  volumes: PodVolume[];
  /** Files directly in the pod's log directory (getPodLogStats). */
  podLogs?: DiskUsage;
  etcHosts?: DiskUsage;
}

const add = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : a + b);

/**
 * calcEphemeralStorage with the CRI provider's rules: the node filesystem's size, and as usage the
 * containers' writable layers and logs (bytes and inodes), the disk-backed emptyDirs, the pod's
 * own log files and its etc-hosts file.
 */
export function ephemeralStorage(rootFs: FsInfo | undefined, parts: EphemeralParts, nowMs: number): FsStats {
  const out: FsStats = rootFs ? fsCapacity(rootFs) : { time: wireTime(nowMs) };
  for (const c of parts.containers) {
    if (!c.rootfs) continue; // addContainerUsage: a container's logs count only with its rootfs
    out.usedBytes = add(out.usedBytes, c.rootfs.usedBytes);
    out.inodesUsed = add(out.inodesUsed, c.rootfs.inodesUsed);
    out.usedBytes = add(out.usedBytes, c.logs?.usedBytes);
    out.inodesUsed = add(out.inodesUsed, c.logs?.inodesUsed);
  }
  for (const v of parts.volumes.filter((v) => v.onDisk)) {
    out.usedBytes = add(out.usedBytes, v.stats.usedBytes);
    out.inodesUsed = add(out.inodesUsed, v.stats.inodesUsed);
  }
  for (const u of [parts.podLogs, parts.etcHosts]) {
    out.usedBytes = add(out.usedBytes, u?.bytes);
    out.inodesUsed = add(out.inodesUsed, u?.inodes);
  }
  return dropUndefined(out);
}
