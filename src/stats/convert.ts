// Turns raw samples (a cgroup's counters, a CRI ContainerStats) into the Summary's CPUStats and MemoryStats.
import type { ContainerStats as CriContainerStats } from '../cri/types.js';
import type { CgroupMemory } from './cgroup-v1.js';
import type { CpuRates } from './rate.js';
import { wireTime, type CPUStats, type MemoryStats } from './types.js';

/**
 * A cumulative CPU sample taken at `atNs` (unix nanoseconds) with its rate from the cache; `key`
 * names the object ("node", "pod/<uid>", a container ID).
 */
export function cpuStats(rates: CpuRates, key: string, usageNs: number, atNs: number): CPUStats {
  const usageNanoCores = rates.sample(key, usageNs, atNs);
  return { time: wireTime(atNs / 1e6), usageCoreNanoSeconds: usageNs, ...(usageNanoCores === undefined ? {} : { usageNanoCores }) };
}

/**
 * cadvisorInfoToCPUandMemoryStats for memory: availableBytes only under a limit (`limitBytes`
 * overrides the cgroup's own, e.g. the machine's memory for the root cgroup).
 */
export function memoryStats(m: CgroupMemory, atMs: number, limitBytes = m.limitBytes): MemoryStats {
  return dropUndefined({
    time: wireTime(atMs),
    availableBytes: limitBytes === undefined ? undefined : Math.max(0, limitBytes - m.workingSetBytes),
    usageBytes: m.usageBytes,
    workingSetBytes: m.workingSetBytes,
    rssBytes: m.rssBytes,
    pageFaults: m.pageFaults,
    majorPageFaults: m.majorPageFaults,
  });
}

/**
 * A container's memory as containerd measured it. containerd 1.6 sends availableBytes 0 for a
 * container without a limit (its getAvailableBytes), where the kubelet leaves the field out: a 0
 * is taken for "no limit" and dropped.
 */
export function criMemoryStats(m: NonNullable<CriContainerStats['memory']>): MemoryStats {
  const available = m.availableBytes?.value;
  return dropUndefined({
    time: wireTime(m.timestamp / 1e6),
    availableBytes: available ? available : undefined,
    usageBytes: m.usageBytes?.value,
    workingSetBytes: m.workingSetBytes?.value,
    rssBytes: m.rssBytes?.value,
    pageFaults: m.pageFaults?.value,
    majorPageFaults: m.majorPageFaults?.value,
  });
}

/** addPodCPUMemoryStats' fallback when there is no pod cgroup to read: the containers summed. */
export function sumCpu(parts: Array<CPUStats | undefined>): CPUStats | undefined {
  const known = parts.filter((p): p is CPUStats => p !== undefined);
  if (known.length === 0) return undefined;
  const sum = (f: (c: CPUStats) => number | undefined) => known.reduce((n, c) => n + (f(c) ?? 0), 0);
  // A rate summed over containers of which some have none yet would be too low: left out then.
  const rated = known.every((c) => c.usageNanoCores !== undefined);
  return dropUndefined({
    time: latest(known.map((c) => c.time)),
    usageCoreNanoSeconds: sum((c) => c.usageCoreNanoSeconds),
    usageNanoCores: rated ? sum((c) => c.usageNanoCores) : undefined,
  });
}

export function sumMemory(parts: Array<MemoryStats | undefined>): MemoryStats | undefined {
  const known = parts.filter((p): p is MemoryStats => p !== undefined);
  if (known.length === 0) return undefined;
  const sum = (f: (m: MemoryStats) => number | undefined) => known.reduce((n, m) => n + (f(m) ?? 0), 0);
  return {
    time: latest(known.map((m) => m.time)),
    usageBytes: sum((m) => m.usageBytes),
    workingSetBytes: sum((m) => m.workingSetBytes),
    rssBytes: sum((m) => m.rssBytes),
    pageFaults: sum((m) => m.pageFaults),
    majorPageFaults: sum((m) => m.majorPageFaults),
  };
}

/** RFC3339 UTC strings of one format order as text. */
function latest(times: string[]): string {
  return times.reduce((a, b) => (b > a ? b : a));
}

/** JSON.stringify drops undefined anyway; this keeps objects equal to what goes on the wire (tests compare them). */
export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
