// Filesystem figures for the Summary: statfs of a mount (capacity, free, inodes) and du-style usage of files and trees.
import { lstat, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { wireTime, type FsStats } from './types.js';

/** What cAdvisor's FsInfo gives the kubelet for one filesystem. */
export interface FsInfo {
  timeMs: number;
  capacityBytes: number;
  availableBytes: number;
  /** capacity − free (free counts the root-reserved blocks that available does not). */
  usedBytes: number;
  inodes: number;
  inodesFree: number;
  /** statfs f_type, e.g. TMPFS_MAGIC for a memory-backed emptyDir. */
  type: number;
}

export const TMPFS_MAGIC = 0x01021994;

/** statfs(2) of the filesystem holding `p`; undefined when it cannot be read. */
export async function fsInfo(p: string, nowMs: number): Promise<FsInfo | undefined> {
  const s = await statfs(p).catch(() => undefined);
  if (!s) return undefined;
  return {
    timeMs: nowMs,
    capacityBytes: s.blocks * s.bsize,
    availableBytes: s.bavail * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    inodes: s.files,
    inodesFree: s.ffree,
    type: s.type,
  };
}

/** rootFsInfoToFsStats: the filesystem's size and free space, usage left to the caller. */
export function fsCapacity(info: FsInfo): FsStats {
  return {
    time: wireTime(info.timeMs),
    availableBytes: info.availableBytes,
    capacityBytes: info.capacityBytes,
    inodesFree: info.inodesFree,
    inodes: info.inodes,
  };
}

/** Bytes on disk and inodes: what `du` reports (the kubelet's MetricsDu), allocated blocks not apparent size. */
export interface DiskUsage {
  bytes: number;
  inodes: number;
}

/**
 * du -x of a tree: every entry's allocated blocks and one inode each, the root included, not
 * crossing into other filesystems. Undefined when the root is absent. Hard links count once.
 */
export async function diskUsage(root: string): Promise<DiskUsage | undefined> {
  const top = await lstat(root).catch(() => undefined);
  if (!top) return undefined;
  const seen = new Set<number>();
  const total: DiskUsage = { bytes: 0, inodes: 0 };
  const walk = async (p: string, dev: number): Promise<void> => {
    const s = await lstat(p).catch(() => undefined);
    if (!s || s.dev !== dev || seen.has(s.ino)) return;
    seen.add(s.ino);
    total.bytes += s.blocks * 512;
    total.inodes += 1;
    if (!s.isDirectory()) return;
    const names = await readdir(p).catch(() => [] as string[]);
    for (const name of names) await walk(path.join(p, name), dev);
  };
  await walk(root, top.dev);
  return total;
}

/**
 * The files directly in `dir`, directories skipped (the kubelet's fileMetricsByDir, used for a
 * container's log directory). Undefined when the directory does not exist.
 */
export async function filesUsage(dir: string): Promise<DiskUsage | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return undefined;
  const total: DiskUsage = { bytes: 0, inodes: 0 };
  for (const e of entries) {
    if (e.isDirectory()) continue;
    const s = await lstat(path.join(dir, e.name)).catch(() => undefined);
    if (!s) continue;
    total.bytes += s.blocks * 512;
    total.inodes += 1;
  }
  return total;
}

/** The capacity of `info` (when known) with `usage` as used bytes and inodes. */
export function usageOn(info: FsInfo | undefined, usage: DiskUsage, nowMs: number): FsStats {
  return { ...(info ? fsCapacity(info) : { time: wireTime(nowMs) }), usedBytes: usage.bytes, inodesUsed: usage.inodes };
}
