// Node capacity and allocatable: the default hard-eviction reservation, huge pages out of memory, page-size names, and reading a fake sysfs (named table cases).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { binarySI, nodeResources, readMachineInfo, type MachineInfo } from '../../src/node/allocatable.js';

const GI = 2 ** 30;
const MI = 2 ** 20;
const machine = (more: Partial<MachineInfo> = {}): MachineInfo => ({ numCores: 4, memoryCapacity: 8 * GI, rootFsCapacity: 100e9, hugePages: [], ...more });

const cases: { name: string; machine: MachineInfo; maxPods?: number; capacity: Record<string, string>; allocatable: Record<string, string> }[] = [
  {
    name: 'no huge pages: memory less 100Mi, the root fs less 10% as a float32 (149 bytes more than 10 GB)',
    machine: machine(),
    capacity: { cpu: '4', memory: String(8 * GI), 'ephemeral-storage': '100000000000', pods: '110' },
    allocatable: { cpu: '4', memory: String(8 * GI - 100 * MI), 'ephemeral-storage': '89999999851', pods: '110' },
  },
  {
    name: 'every page size is listed, none allocated: memory untouched by them',
    machine: machine({ hugePages: [{ pageSizeKiB: 2048, numPages: 0 }, { pageSizeKiB: 1048576, numPages: 0 }] }),
    maxPods: 20,
    capacity: { cpu: '4', memory: String(8 * GI), 'ephemeral-storage': '100000000000', pods: '20', 'hugepages-2Mi': '0', 'hugepages-1Gi': '0' },
    allocatable: { cpu: '4', memory: String(8 * GI - 100 * MI), 'ephemeral-storage': '89999999851', pods: '20', 'hugepages-2Mi': '0', 'hugepages-1Gi': '0' },
  },
  {
    name: 'pre-allocated huge pages of both sizes come out of allocatable memory',
    machine: machine({ hugePages: [{ pageSizeKiB: 2048, numPages: 512 }, { pageSizeKiB: 1048576, numPages: 2 }] }),
    capacity: { cpu: '4', memory: String(8 * GI), 'ephemeral-storage': '100000000000', pods: '110', 'hugepages-2Mi': String(GI), 'hugepages-1Gi': String(2 * GI) },
    allocatable: { cpu: '4', memory: String(5 * GI - 100 * MI), 'ephemeral-storage': '89999999851', pods: '110', 'hugepages-2Mi': String(GI), 'hugepages-1Gi': String(2 * GI) },
  },
  {
    name: 'huge pages beyond what is left: memory 0, never negative',
    machine: machine({ memoryCapacity: 2 * GI, hugePages: [{ pageSizeKiB: 1048576, numPages: 2 }] }),
    capacity: { cpu: '4', memory: String(2 * GI), 'ephemeral-storage': '100000000000', pods: '110', 'hugepages-1Gi': String(2 * GI) },
    allocatable: { cpu: '4', memory: '0', 'ephemeral-storage': '89999999851', pods: '110', 'hugepages-1Gi': String(2 * GI) },
  },
  {
    name: 'less memory than the threshold: 0; a 64Ki page (arm64) is hugepages-64Ki',
    machine: machine({ numCores: 1, memoryCapacity: 64 * MI, rootFsCapacity: 1000, hugePages: [{ pageSizeKiB: 64, numPages: 3 }] }),
    capacity: { cpu: '1', memory: String(64 * MI), 'ephemeral-storage': '1000', pods: '110', 'hugepages-64Ki': String(192 * 1024) },
    allocatable: { cpu: '1', memory: '0', 'ephemeral-storage': '900', pods: '110', 'hugepages-64Ki': String(192 * 1024) },
  },
];
for (const tc of cases) {
  test(`nodeResources: ${tc.name}`, () => {
    const got = nodeResources(tc.machine, tc.maxPods ?? 110);
    assert.deepEqual(got.capacity, tc.capacity);
    assert.deepEqual(got.allocatable, tc.allocatable);
    // Admission's numbers are the same allocatable: cpu in millicores, the rest as counted.
    const { cpu, memory, 'ephemeral-storage': storage, pods, ...scalars } = tc.allocatable;
    assert.deepEqual(got.admission, {
      milliCPU: Number(cpu) * 1000,
      memory: Number(memory),
      ephemeralStorage: Number(storage),
      pods: Number(pods),
      scalarResources: Object.fromEntries(Object.entries(scalars).map(([k, v]) => [k, Number(v)])),
    });
  });
}

const names: { name: string; bytes: number; want: string }[] = [
  { name: '2048 kB', bytes: 2 * MI, want: '2Mi' },
  { name: '1048576 kB', bytes: GI, want: '1Gi' },
  { name: '16 GiB (ppc64)', bytes: 16 * GI, want: '16Gi' },
  { name: '32 MiB (arm64 contiguous)', bytes: 32 * MI, want: '32Mi' },
  { name: 'not a multiple of 1024', bytes: 1500, want: '1500' },
  { name: 'zero', bytes: 0, want: '0' },
];
for (const tc of names) {
  test(`binarySI: ${tc.name}`, () => assert.equal(binarySI(tc.bytes), tc.want));
}

const root = mkdtempSync(path.join(tmpdir(), 'mk-allocatable-'));
after(() => rmSync(root, { recursive: true, force: true }));
/** A fake /sys/kernel/mm/hugepages: entry name -> nr_hugepages content. */
function sysfs(name: string, entries: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [entry, nr] of Object.entries(entries)) {
    mkdirSync(path.join(dir, entry), { recursive: true });
    writeFileSync(path.join(dir, entry, 'nr_hugepages'), nr);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const readers: { name: string; dir: () => string; want: MachineInfo['hugePages'] | RegExp }[] = [
  {
    name: 'both page sizes, with their counts',
    dir: () => sysfs('both', { 'hugepages-2048kB': '4\n', 'hugepages-1048576kB': '0\n' }),
    want: [{ pageSizeKiB: 1048576, numPages: 0 }, { pageSizeKiB: 2048, numPages: 4 }],
  },
  { name: 'no hugepages directory: no huge-page support', dir: () => path.join(root, 'absent'), want: [] },
  { name: 'an empty directory', dir: () => sysfs('empty', {}), want: [] },
  { name: 'an entry that is not hugepages-<N>kB', dir: () => sysfs('odd', { 'hugepages-2MB': '1\n' }), want: /cannot read the huge pages/ },
  { name: 'an nr_hugepages that is not a number', dir: () => sysfs('nan', { 'hugepages-2048kB': 'x\n' }), want: /cannot read the huge pages/ },
];
for (const tc of readers) {
  test(`readMachineInfo: ${tc.name}`, () => {
    const dir = tc.dir();
    if (tc.want instanceof RegExp) {
      assert.throws(() => readMachineInfo(root, dir), tc.want);
      return;
    }
    const fs = statfsSync(root);
    assert.deepEqual(readMachineInfo(root, dir), { numCores: cpus().length, memoryCapacity: totalmem(), rootFsCapacity: fs.bsize * fs.blocks, hugePages: tc.want });
  });
}

test('readMachineInfo: a root dir that does not exist is an error, not a zero capacity', () => {
  assert.throws(() => readMachineInfo(path.join(root, 'no-such-dir'), path.join(root, 'absent')), /ENOENT/);
});
