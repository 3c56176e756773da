// The kubelet's cgroup resource configs (ResourceConfigForPod, kubepods, QoS) and their cgroup v1/v2 files (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { cgroupFileWrites, cpuSharesToCpuWeight } from '../../src/node/cgroup-files.js';
import { nodeAllocatableResourceConfig, podLimitAmounts, qosResourceConfigs, resourceConfigForPod, type ResourceConfig } from '../../src/node/pod-resource-config.js';

/** A container as the defaulted pod carries it: a limit without a request has become the request too. */
function c(name: string, requests?: Record<string, string>, limits?: Record<string, string>, restartPolicy?: string): V1Container {
  return { name, image: 'i', resources: { requests: { ...limits, ...requests }, limits }, ...(restartPolicy ? { restartPolicy } : {}) };
}
const pod = (containers: V1Container[], initContainers?: V1Container[]): V1Pod => ({ metadata: { uid: 'u' }, spec: { containers, initContainers } });
const MI = 1024 * 1024;
const guaranteedCPU = (milli: number) => ({ cpuShares: Math.floor((milli * 1024) / 1000), cpuQuota: milli * 100, cpuPeriod: 100_000 });

const podCases: { name: string; pod: V1Pod; want: ResourceConfig }[] = [
  { name: 'BestEffort: the minimum shares, no quota, no memory limit', pod: pod([c('a'), c('b')]), want: { cpuShares: 2 } },
  { name: 'Burstable, requests only: shares from their sum, nothing else', pod: pod([c('a', { cpu: '100m', memory: '32Mi' }), c('b', { cpu: '150m' })]), want: { cpuShares: 256 } },
  {
    name: 'Burstable, every container limits cpu, one lacks a memory limit: the quota of the summed limits, no memory limit',
    pod: pod([c('a', { cpu: '100m' }, { cpu: '500m', memory: '64Mi' }), c('b', { cpu: '50m' }, { cpu: '250m' })]),
    want: { cpuShares: 153, cpuQuota: 75_000, cpuPeriod: 100_000 },
  },
  {
    name: 'Burstable, every container limits memory, one lacks a cpu limit: the summed memory limit, no quota',
    pod: pod([c('a', { cpu: '100m' }, { cpu: '1', memory: '64Mi' }), c('b', { memory: '16Mi' }, { memory: '32Mi' })]),
    want: { cpuShares: 102, memoryLimit: 96 * MI },
  },
  { name: 'Burstable, a cpu limit of 5m: the quota is raised to 1ms', pod: pod([c('a', { cpu: '1m' }, { cpu: '5m' })]), want: { cpuShares: 2, cpuQuota: 1000, cpuPeriod: 100_000 } },
  { name: 'Guaranteed, cpu 250m memory 64Mi', pod: pod([c('a', undefined, { cpu: '250m', memory: '64Mi' })]), want: { ...guaranteedCPU(250), memoryLimit: 64 * MI } },
  {
    name: 'Guaranteed, two containers: limits add up',
    pod: pod([c('a', undefined, { cpu: '1', memory: '1Gi' }), c('b', undefined, { cpu: '500m', memory: '512Mi' })]),
    want: { ...guaranteedCPU(1500), memoryLimit: 1536 * MI },
  },
  {
    name: 'init container larger than the app: it sets the floor of requests and limits',
    pod: pod([c('app', undefined, { cpu: '500m', memory: '256Mi' })], [c('init', undefined, { cpu: '2', memory: '1Gi' })]),
    want: { ...guaranteedCPU(2000), memoryLimit: 1024 * MI },
  },
  {
    name: 'a sidecar adds to the app, and an init container after it counts with it',
    // requests/limits: app 200m + sidecar 100m = 300m; the init container runs beside the sidecar: 250m + 100m = 350m.
    pod: pod([c('app', undefined, { cpu: '200m', memory: '128Mi' })], [
      c('sidecar', undefined, { cpu: '100m', memory: '64Mi' }, 'Always'),
      c('init', undefined, { cpu: '250m', memory: '100Mi' }),
    ]),
    want: { cpuShares: 358, cpuQuota: 35_000, cpuPeriod: 100_000, memoryLimit: 192 * MI },
  },
  {
    name: 'an init container without a cpu limit, after a sidecar with one, still counts as limited (the check sees the sum)',
    pod: pod([c('app', undefined, { cpu: '200m', memory: '128Mi' })], [
      c('sidecar', undefined, { cpu: '100m', memory: '64Mi' }, 'Always'),
      c('init', { memory: '10Mi' }),
    ]),
    want: { cpuShares: 307, cpuQuota: 30_000, cpuPeriod: 100_000, memoryLimit: 192 * MI },
  },
  {
    name: 'an init container without limits, first: no quota and no memory limit for the Burstable pod',
    pod: pod([c('app', undefined, { cpu: '200m', memory: '128Mi' })], [c('init', { cpu: '10m' })]),
    want: { cpuShares: 204 },
  },
  { name: 'a huge request: shares capped at 262144', pod: pod([c('a', { cpu: '300' })]), want: { cpuShares: 262_144 } },
];

for (const t of podCases) {
  test(`resourceConfigForPod: ${t.name}`, () => assert.deepEqual(resourceConfigForPod(t.pod), t.want));
}

test('podLimitAmounts: the declared flags follow every container shown to the check', () => {
  const got = podLimitAmounts(pod([c('a', undefined, { cpu: '1' })], [c('i', undefined, { memory: '1Gi' })]));
  assert.equal(got.cpuDeclared, false, 'the init container has no cpu limit');
  assert.equal(got.memoryDeclared, false, 'the app has no memory limit');
  assert.equal(got.limits.get('cpu'), 1_000_000_000n);
  assert.equal(got.limits.get('memory'), 1024n ** 3n * 1_000_000_000n);
});

const nodeCases: { name: string; capacity: Record<string, string>; want: ResourceConfig }[] = [
  { name: '2 cpus and 24Gi: 2048 shares, the whole memory', capacity: { cpu: '2', memory: '24Gi', pods: '110' }, want: { cpuShares: 2048, memoryLimit: 24 * 1024 * MI } },
  { name: 'pre-allocated huge pages come off the memory', capacity: { cpu: '4', memory: '1Gi', 'hugepages-2Mi': '256Mi', 'hugepages-1Gi': '0' }, want: { cpuShares: 4096, memoryLimit: 768 * MI } },
  { name: 'nothing known: nothing written', capacity: {}, want: {} },
];
for (const t of nodeCases) {
  test(`nodeAllocatableResourceConfig: ${t.name}`, () => assert.deepEqual(nodeAllocatableResourceConfig(t.capacity), t.want));
}

test('qosResourceConfigs: burstable from the summed requests (2 with none), besteffort always 2', () => {
  assert.deepEqual(qosResourceConfigs([]), { burstable: { cpuShares: 2 }, besteffort: { cpuShares: 2 } });
  assert.deepEqual(qosResourceConfigs([100, 250]).burstable, { cpuShares: 358 });
});

test('cpuSharesToCpuWeight: the kubelet\'s linear map onto [1, 10000]', () => {
  for (const [shares, weight] of [[2, 1], [256, 10], [1024, 39], [2048, 79], [262_144, 10_000], [300_000, 10_000]]) {
    assert.equal(cpuSharesToCpuWeight(shares!), weight, `${shares} shares`);
  }
});

const fileCases: { name: string; config: ResourceConfig; v1: [string, string][]; v2: [string, string][] }[] = [
  {
    name: 'Guaranteed 250m/64Mi',
    config: { cpuShares: 256, cpuQuota: 25_000, cpuPeriod: 100_000, memoryLimit: 64 * MI },
    v1: [['cpu.shares', '256'], ['cpu.cfs_period_us', '100000'], ['cpu.cfs_quota_us', '25000'], ['memory.limit_in_bytes', '67108864']],
    v2: [['cpu.weight', '10'], ['cpu.max', '25000 100000'], ['memory.max', '67108864']],
  },
  { name: 'shares only', config: { cpuShares: 2 }, v1: [['cpu.shares', '2']], v2: [['cpu.weight', '1']] },
  {
    name: 'no quota (-1) and no memory limit (-1)',
    config: { cpuShares: 1024, cpuQuota: -1, cpuPeriod: 100_000, memoryLimit: -1 },
    v1: [['cpu.shares', '1024'], ['cpu.cfs_period_us', '100000'], ['cpu.cfs_quota_us', '-1'], ['memory.limit_in_bytes', '-1']],
    v2: [['cpu.weight', '39'], ['cpu.max', 'max 100000'], ['memory.max', 'max']],
  },
  { name: 'empty', config: {}, v1: [], v2: [] },
];
for (const t of fileCases) {
  test(`cgroupFileWrites: ${t.name}`, () => {
    assert.deepEqual(cgroupFileWrites(t.config, 1).map((w) => [w.file, w.value]), t.v1);
    assert.deepEqual(cgroupFileWrites(t.config, 2).map((w) => [w.file, w.value]), t.v2);
  });
}
