// The Summary API's wire types (k8s.io/kubelet/pkg/apis/stats/v1alpha1), with the kubelet's JSON field names.
//
// Every measurement is optional, as in the kubelet: a value we cannot read is left out, never sent
// as 0. Times are metav1.Time: RFC3339 in UTC, whole seconds. Counters are JSON numbers (uint64 in
// Go; ours lose precision only above 2^53, about 104 days of one core's CPU time in nanoseconds).

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

export interface NodeStats {
  nodeName: string;
  /** The kubelet's "kubelet", "runtime", "misc" and "pods"; we have only "pods" (the kubepods cgroup). */
  systemContainers?: ContainerStats[];
  /** The node's boot time (the kubelet's systemBootTime). */
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
  /** The filesystem of --root-dir. */
  fs?: FsStats;
  runtime?: RuntimeStats;
  rlimit?: RlimitStats;
}

export interface RlimitStats {
  time: string;
  /** min(kernel.pid_max, kernel.threads-max): both cap the node's task count. */
  maxpid?: number;
  /** Tasks (threads) on the node now, from /proc/loadavg. */
  curproc?: number;
}

export interface RuntimeStats {
  imageFs?: FsStats;
}

/** The system container name the kubelet gives the pod cgroup root. */
export const SYSTEM_CONTAINER_PODS = 'pods';

export interface PodReference {
  name: string;
  namespace: string;
  uid: string;
}

export interface PodStats {
  podRef: PodReference;
  /** The sandbox's creation time (the kubelet: "the pod creation time"). */
  startTime: string;
  containers: ContainerStats[];
  cpu?: CPUStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  volume?: VolumeStats[];
  'ephemeral-storage'?: FsStats;
  process_stats?: ProcessStats;
}

export interface ProcessStats {
  process_count?: number;
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}

export interface InterfaceStats {
  name: string;
  rxBytes?: number;
  rxErrors?: number;
  txBytes?: number;
  txErrors?: number;
}

/** The default interface (eth0) inline, every interface under `interfaces`. */
export interface NetworkStats extends Partial<InterfaceStats> {
  time: string;
  interfaces?: InterfaceStats[];
}

export interface CPUStats {
  time: string;
  /** The rate over the last sample window (core-nanoseconds per second); absent until two samples. */
  usageNanoCores?: number;
  /** Cumulative CPU time since the object was created. */
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  /** limit − workingSetBytes; absent when there is no limit. */
  availableBytes?: number;
  usageBytes?: number;
  /** usage − inactive file pages: what the kubelet evicts and OOM-ranks on. */
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

export interface VolumeStats extends FsStats {
  name: string;
}

/** metav1.Time's JSON: RFC3339, UTC, no fraction. */
export function wireTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
