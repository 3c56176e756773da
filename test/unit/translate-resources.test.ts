// Container cgroup settings from requests/limits: cpu shares, CFS quota/period, memory limit (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { linuxContainerResources, milliCPUToQuota, milliCPUToShares } from '../../src/podworker/translate/resources.js';
import { ContainerConfigError } from '../../src/podworker/translate/errors.js';

const cases: { name: string; resources?: V1ResourceRequirements; want: { cpuShares: number; cpuQuota: number; memoryLimitInBytes?: number } }[] = [
  { name: 'no resources: minimum shares, no quota, no memory limit', want: { cpuShares: 2, cpuQuota: 0 } },
  { name: 'request 250m: 256 shares', resources: { requests: { cpu: '250m' } }, want: { cpuShares: 256, cpuQuota: 0 } },
  { name: 'request 1: 1024 shares', resources: { requests: { cpu: '1' } }, want: { cpuShares: 1024, cpuQuota: 0 } },
  { name: 'request 0.1 (float noise must not round up): 102 shares', resources: { requests: { cpu: '0.1' } }, want: { cpuShares: 102, cpuQuota: 0 } },
  { name: 'request 1m is below the minimum: 2 shares', resources: { requests: { cpu: '1m' } }, want: { cpuShares: 2, cpuQuota: 0 } },
  { name: 'request 500 cpus is capped at 262144 shares', resources: { requests: { cpu: '500' } }, want: { cpuShares: 262144, cpuQuota: 0 } },
  { name: 'limit 500m only: shares from the limit, quota 50000 per 100000', resources: { limits: { cpu: '500m' } }, want: { cpuShares: 512, cpuQuota: 50_000 } },
  { name: 'request 100m limit 2: quota 200000', resources: { requests: { cpu: '100m' }, limits: { cpu: '2' } }, want: { cpuShares: 102, cpuQuota: 200_000 } },
  { name: 'limit 5m: quota raised to the 1ms minimum', resources: { limits: { cpu: '5m' } }, want: { cpuShares: 5, cpuQuota: 1000 } },
  { name: 'memory limit 128Mi in bytes', resources: { limits: { memory: '128Mi' } }, want: { cpuShares: 2, cpuQuota: 0, memoryLimitInBytes: 134_217_728 } },
  { name: 'memory limit 1G decimal', resources: { limits: { memory: '1G' } }, want: { cpuShares: 2, cpuQuota: 0, memoryLimitInBytes: 1_000_000_000 } },
  { name: 'a memory request alone sets no limit', resources: { requests: { memory: '64Mi' } }, want: { cpuShares: 2, cpuQuota: 0 } },
];

for (const c of cases) {
  test(`resources: ${c.name}`, () => {
    const got = linuxContainerResources({ name: 'app', resources: c.resources });
    assert.deepEqual(got, { cpuPeriod: 100_000, ...c.want });
  });
}

test('resources: helpers at their edges', () => {
  assert.equal(milliCPUToShares(0), 2);
  assert.equal(milliCPUToShares(1), 2);
  assert.equal(milliCPUToShares(3), 3);
  assert.equal(milliCPUToQuota(0, 100_000), 0);
  assert.equal(milliCPUToQuota(1500, 100_000), 150_000);
});

test('resources: a malformed quantity is a ContainerConfigError', () => {
  assert.throws(() => linuxContainerResources({ name: 'a', resources: { limits: { cpu: 'lots' } } }), ContainerConfigError);
});
