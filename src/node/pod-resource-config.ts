// The cgroup resource config the kubelet writes into pod, QoS and kubepods cgroups (cm.ResourceConfigForPod, qosContainerManager, getCgroupConfig), pure.
import type { V1Pod } from '@kubernetes/client-node';
import { aggregatePodAmounts, amountsOf, milliOf, podRequestAmounts, valueOf, type Amounts } from '../admission/requests.js';
import { milliCPUToQuota, milliCPUToShares, MIN_SHARES, QUOTA_PERIOD_US } from '../podworker/translate/resources.js';
import { getPodQOS } from '../status/qos.js';
import { quantityNano } from '../status/quantity.js';

/** cm.ResourceConfig, the part we write: an unset field leaves the cgroup's file as it is. */
export interface ResourceConfig {
  cpuShares?: number;
  /** CFS quota in µs per period; -1 is no quota. */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** Bytes. */
  memoryLimit?: number;
}

/**
 * resource.PodLimits (no overhead, no pod-level resources) and what ResourceConfigForPod's
 * ContainerFn learns on the way: whether every container it is shown has a non-zero cpu and
 * memory limit. Like requests: regular containers and sidecars add up, an init container counts
 * with the sidecars started before it, and the largest such init use is the floor. The check
 * sees those sums too, so an init container without a cpu limit still "declares" one when an
 * earlier sidecar has one, as in the kubelet.
 */
export function podLimitAmounts(pod: V1Pod): { limits: Amounts; cpuDeclared: boolean; memoryDeclared: boolean } {
  let cpuDeclared = true;
  let memoryDeclared = true;
  const seen = (res: Amounts) => {
    if ((res.get('cpu') ?? 0n) === 0n) cpuDeclared = false;
    if ((res.get('memory') ?? 0n) === 0n) memoryDeclared = false;
  };
  const limits = aggregatePodAmounts(pod, (c) => amountsOf(c.resources?.limits), seen);
  return { limits, cpuDeclared, memoryDeclared };
}

/** The sum of a pod's cpu requests in millicores, as PodRequests counts them (MilliValue of the pod total). */
export function podCPURequestMilli(pod: V1Pod): number {
  return milliOf(podRequestAmounts(pod).get('cpu'));
}

/**
 * ResourceConfigForPod with CFS quota enforced (--cpu-cfs-quota, default true) and the default
 * period (CPUCFSQuotaPeriod off): shares from the summed cpu requests; a Guaranteed pod gets its
 * summed cpu and memory limits; a Burstable one each only when every container has that limit;
 * a BestEffort one just the minimum shares. No memory QoS (alpha), no pod overhead.
 */
export function resourceConfigForPod(pod: V1Pod): ResourceConfig {
  const { limits, cpuDeclared, memoryDeclared } = podLimitAmounts(pod);
  const cpuShares = milliCPUToShares(podCPURequestMilli(pod));
  const cpu = { cpuQuota: milliCPUToQuota(milliOf(limits.get('cpu')), QUOTA_PERIOD_US), cpuPeriod: QUOTA_PERIOD_US };
  const memoryLimit = valueOf(limits.get('memory'));
  switch (getPodQOS(pod)) {
    case 'Guaranteed':
      return { cpuShares, ...cpu, memoryLimit };
    case 'Burstable':
      return { cpuShares, ...(cpuDeclared ? cpu : {}), ...(memoryDeclared ? { memoryLimit } : {}) };
    default:
      return { cpuShares: MIN_SHARES };
  }
}

/**
 * The kubepods cgroup (createNodeAllocatableCgroups with the default --enforce-node-allocatable=pods):
 * getCgroupConfig of getNodeAllocatableInternalAbsolute, that is capacity less kube- and
 * system-reserved (none here) and memory less the pre-allocated huge pages; cpu as shares.
 * `capacity` is the Node's status.capacity (quantities by resource name).
 */
export function nodeAllocatableResourceConfig(capacity: Record<string, string>): ResourceConfig {
  const out: ResourceConfig = {};
  if (capacity.cpu !== undefined) out.cpuShares = milliCPUToShares(milliOf(quantityNano(capacity.cpu)));
  if (capacity.memory !== undefined) {
    let memory = valueOf(quantityNano(capacity.memory));
    for (const [name, q] of Object.entries(capacity)) if (name.startsWith('hugepages-')) memory -= valueOf(quantityNano(q));
    out.memoryLimit = Math.max(0, memory);
  }
  return out;
}

/**
 * qosContainerManager.setCPUCgroupConfig: burstable's shares from the sum of its pods' cpu
 * requests (each pod's MilliValue), besteffort's always the minimum. No memory reservation
 * (QOSReserved is alpha).
 */
export function qosResourceConfigs(burstableCPURequestsMilli: Iterable<number>): { burstable: ResourceConfig; besteffort: ResourceConfig } {
  let sum = 0;
  for (const m of burstableCPURequestsMilli) sum += m;
  return { burstable: { cpuShares: milliCPUToShares(sum) }, besteffort: { cpuShares: MIN_SHARES } };
}
