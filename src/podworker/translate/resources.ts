// Container cgroup settings from requests and limits (the kubelet's generateLinuxContainerResources / calculateLinuxResources).
import type { V1Container } from '@kubernetes/client-node';
import type { LinuxContainerResources } from '../../cri/types.js';
import { milliValue, value } from './quantity.js';

// pkg/kubelet/cm: cgroup v1 cpu.shares bounds and the default CFS period.
export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const SHARES_PER_CPU = 1024;
export const QUOTA_PERIOD_US = 100_000;
export const MIN_QUOTA_PERIOD_US = 1000;

/** cm.MilliCPUToShares: 1 CPU is 1024 shares; no request gets the kernel's minimum, 2. */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** cm.milliCPUToQuota: the CFS quota for a limit over one period; 0 (unlimited) without a limit, at least 1ms. */
export function milliCPUToQuota(milliCPU: number, periodUs: number): number {
  if (milliCPU === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD_US, Math.floor((milliCPU * periodUs) / 1000));
}

/**
 * calculateLinuxResources with CFS quota enabled (the kubelet's default). A container with a
 * CPU limit and no request gets shares from the limit, as the API server's defaulting would; an
 * explicit request of 0 keeps the minimum shares. oom_score_adj is added by the caller, which
 * knows the node's memory capacity.
 */
export function linuxContainerResources(container: V1Container): LinuxContainerResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const cpuRequest = milliValue(requests.cpu);
  const cpuLimit = milliValue(limits.cpu);
  const memoryLimit = value(limits.memory);
  const out: LinuxContainerResources = {
    cpuShares: milliCPUToShares(requests.cpu === undefined && cpuLimit !== 0 ? cpuLimit : cpuRequest),
    cpuPeriod: QUOTA_PERIOD_US,
    cpuQuota: milliCPUToQuota(cpuLimit, QUOTA_PERIOD_US),
  };
  if (memoryLimit !== 0) out.memoryLimitInBytes = memoryLimit;
  return out;
}
