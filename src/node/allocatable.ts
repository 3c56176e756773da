// Node capacity and allocatable as the kubelet computes them (nodestatus.MachineInfo, GetNodeAllocatableReservation); pure apart from readMachineInfo.
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { AllocatableResource } from '../admission/types.js';

/** cAdvisor's hugepagesDirectory: one hugepages-<N>kB directory per page size the kernel supports. */
export const HUGEPAGES_SYSFS = '/sys/kernel/mm/hugepages';

/** What cAdvisor's MachineInfo and RootFsInfo give the kubelet. */
export interface MachineInfo {
  numCores: number;
  /** MemTotal, in bytes. */
  memoryCapacity: number;
  /** The size in bytes of the filesystem holding --root-dir. */
  rootFsCapacity: number;
  /** The pre-allocated huge pages (nr_hugepages) of each page size. */
  hugePages: readonly { pageSizeKiB: number; numPages: number }[];
}

/** The Node's status.capacity and status.allocatable, as quantities, and allocatable as admission counts it. */
export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  admission: AllocatableResource;
}

/**
 * The kubelet's default hard-eviction thresholds (eviction defaults_linux.go DefaultEvictionHard)
 * that hardEvictionReservation turns into a reservation: memory.available<100Mi and
 * nodefs.available<10%. There is no --eviction-hard (nor --kube-reserved/--system-reserved, nor
 * an eviction manager), so these fixed values are what allocatable is short of capacity.
 * parsePercentage keeps a percentage as a float32, and GetThresholdQuantity truncates
 * capacity × that float32 to whole bytes: 10% of 100 GB reserves 149 bytes more than 10 GB.
 */
const MEMORY_AVAILABLE_BYTES = 100 * 2 ** 20;
const NODEFS_AVAILABLE_FRACTION = Math.fround(Math.fround(10) / 100);
const nodefsReservation = (capacity: number) => Math.trunc(capacity * NODEFS_AVAILABLE_FRACTION);

const BINARY_SUFFIXES: readonly [string, bigint][] = [['Ei', 60n], ['Pi', 50n], ['Ti', 40n], ['Gi', 30n], ['Mi', 20n], ['Ki', 10n]];

/** A byte count as Quantity.String prints a BinarySI quantity: 2097152 is 2Mi, 1073741824 is 1Gi. */
export function binarySI(bytes: number): string {
  const b = BigInt(bytes);
  for (const [suffix, shift] of BINARY_SUFFIXES) {
    if (b !== 0n && b % (1n << shift) === 0n) return `${b >> shift}${suffix}`;
  }
  return String(b);
}

/** v1helper.HugePageResourceName: hugepages-<page size>, hugepages-2Mi, hugepages-1Gi. */
export const hugePageResourceName = (pageSizeBytes: number) => `hugepages-${binarySI(pageSizeBytes)}`;

/**
 * MachineInfo's capacity (cadvisor.CapacityFromMachineInfo, the container manager's
 * ephemeral-storage, --max-pods), then allocatable: capacity minus the hard-eviction
 * reservation, never below 0, and memory further minus every pre-allocated huge page (that
 * memory is the kernel's huge-page pool, not something pods can use as ordinary memory).
 */
export function nodeResources(m: MachineInfo, maxPods: number): NodeResources {
  const hugePages: Record<string, number> = {};
  for (const h of m.hugePages) hugePages[hugePageResourceName(h.pageSizeKiB * 1024)] = h.pageSizeKiB * 1024 * h.numPages;
  const reserve = (capacity: number, reserved: number) => Math.max(0, capacity - reserved);
  const hugePageBytes = Object.values(hugePages).reduce((a, b) => a + b, 0);
  const memory = reserve(reserve(m.memoryCapacity, MEMORY_AVAILABLE_BYTES), hugePageBytes);
  const ephemeralStorage = reserve(m.rootFsCapacity, nodefsReservation(m.rootFsCapacity));
  const quantities = (mem: number, storage: number): Record<string, string> => ({
    cpu: String(m.numCores),
    memory: String(mem),
    'ephemeral-storage': String(storage),
    pods: String(maxPods),
    ...Object.fromEntries(Object.entries(hugePages).map(([k, v]) => [k, String(v)])),
  });
  return {
    capacity: quantities(m.memoryCapacity, m.rootFsCapacity),
    allocatable: quantities(memory, ephemeralStorage),
    admission: { milliCPU: m.numCores * 1000, memory, ephemeralStorage, pods: maxPods, scalarResources: hugePages },
  };
}

/** cAdvisor's GetHugePagesInfo: no directory means no huge-page support (not an error); a malformed entry is one. */
function readHugePages(dir: string): MachineInfo['hugePages'] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries.sort().map((name) => {
    const size = /^hugepages-(\d+)kB$/.exec(name);
    const count = /^\s*(\d+)/.exec(readFileSync(path.join(dir, name, 'nr_hugepages'), 'utf8'));
    if (!size || !count) throw new Error(`cannot read the huge pages of ${path.join(dir, name)}`);
    return { pageSizeKiB: Number(size[1]), numPages: Number(count[1]) };
  });
}

/**
 * Reads the machine: the CPU count, MemTotal (os.totalmem reads /proc/meminfo as cAdvisor does),
 * the size of --root-dir's filesystem (cAdvisor's statfs blocks × fragment size; libuv reports
 * f_bsize, the same on ext4, xfs, btrfs, overlay and tmpfs) and the huge pages in `hugePagesDir`.
 */
export function readMachineInfo(rootDir: string, hugePagesDir: string = HUGEPAGES_SYSFS): MachineInfo {
  const fs = statfsSync(rootDir);
  return { numCores: cpus().length, memoryCapacity: totalmem(), rootFsCapacity: fs.bsize * fs.blocks, hugePages: readHugePages(hugePagesDir) };
}
