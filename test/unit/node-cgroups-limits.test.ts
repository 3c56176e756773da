// The cgroupfs manager writes the kubelet's limits: kubepods, the QoS cgroups and each pod cgroup, in fake cgroup v1 and v2 trees (temp dirs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { CgroupfsManager } from '../../src/node/cgroups-fs.js';

const CAPACITY = { cpu: '2', memory: '8Gi', 'hugepages-2Mi': '0' };
const read = (file: string) => readFileSync(file, 'utf8').trim();

/** A v1 host: cpu and memory hierarchies (their roots have the files), and cpuacct alone, which has neither. */
function v1Tree(): { base: string; cpu: string; memory: string; cpuacct: string } {
  const base = mkdtempSync(path.join(tmpdir(), 'mk-cglimits-'));
  const [cpu, memory, cpuacct] = ['cpu', 'memory', 'cpuacct'].map((d) => path.join(base, d)) as [string, string, string];
  for (const d of [cpu, memory, cpuacct]) mkdirSync(d);
  writeFileSync(path.join(cpu, 'cpu.shares'), '1024\n');
  writeFileSync(path.join(memory, 'memory.limit_in_bytes'), '9223372036854771712\n');
  return { base, cpu, memory, cpuacct };
}

function pod(uid: string, resources?: { requests?: Record<string, string>; limits?: Record<string, string> }): V1Pod {
  return { metadata: { uid }, spec: { containers: [{ name: 'a', image: 'i', resources }] } };
}
const guaranteed = pod('g', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '250m', memory: '64Mi' } });
const besteffort = pod('be');
const burstable = (uid: string, cpu: string) => pod(uid, { requests: { cpu } });

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg: string) => lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { logger: { warn: log('warn'), error: log('error'), info: log('info') } as unknown as Logger, lines };
}

test('cgroup v1: kubepods gets the node, the QoS cgroups their shares, each pod its config; nothing in cpuacct', async () => {
  const h = v1Tree();
  try {
    const m = new CgroupfsManager({ cgroupRoot: '/', mounts: [h.cpu, h.memory, h.cpuacct], retryDelayMs: 0, capacity: CAPACITY });
    await m.start();
    assert.equal(read(path.join(h.cpu, 'kubepods/cpu.shares')), '2048');
    assert.equal(read(path.join(h.memory, 'kubepods/memory.limit_in_bytes')), String(8 * 1024 ** 3));
    assert.equal(read(path.join(h.cpu, 'kubepods/burstable/cpu.shares')), '2');
    assert.equal(read(path.join(h.cpu, 'kubepods/besteffort/cpu.shares')), '2');
    assert.equal(existsSync(path.join(h.cpu, 'kubepods/memory.limit_in_bytes')), false, 'memory files only in the memory hierarchy');

    await m.ensurePod(guaranteed);
    const g = (mount: string, file: string) => read(path.join(mount, 'kubepods/podg', file));
    assert.deepEqual([g(h.cpu, 'cpu.shares'), g(h.cpu, 'cpu.cfs_period_us'), g(h.cpu, 'cpu.cfs_quota_us')], ['256', '100000', '25000']);
    assert.equal(g(h.memory, 'memory.limit_in_bytes'), '67108864');
    assert.ok(existsSync(path.join(h.cpuacct, 'kubepods/podg')), 'the cgroup is made in every hierarchy');
    assert.equal(existsSync(path.join(h.cpuacct, 'kubepods/podg/cpu.shares')), false);

    await m.ensurePod(besteffort);
    assert.equal(read(path.join(h.cpu, 'kubepods/besteffort/podbe/cpu.shares')), '2');
    assert.equal(existsSync(path.join(h.memory, 'kubepods/besteffort/podbe/memory.limit_in_bytes')), false, 'no memory limit');
    assert.equal(existsSync(path.join(h.cpu, 'kubepods/besteffort/podbe/cpu.cfs_quota_us')), false, 'no quota');
  } finally {
    rmSync(h.base, { recursive: true, force: true });
  }
});

test('cgroup v1: burstable shares follow its pods as their cgroups come and go', async () => {
  const h = v1Tree();
  try {
    const m = new CgroupfsManager({ cgroupRoot: '/', mounts: [h.cpu, h.memory], retryDelayMs: 0, capacity: CAPACITY });
    await m.start();
    const shares = () => read(path.join(h.cpu, 'kubepods/burstable/cpu.shares'));
    const steps: { name: string; act: () => Promise<void>; want: string }[] = [
      { name: 'a 500m pod arrives', act: () => m.ensurePod(burstable('b1', '500m')), want: '512' },
      { name: 'a 250m pod arrives', act: () => m.ensurePod(burstable('b2', '250m')), want: '768' },
      { name: 'the same pod again counts once', act: () => m.ensurePod(burstable('b2', '250m')), want: '768' },
      { name: 'a Guaranteed pod does not count', act: () => m.ensurePod(guaranteed), want: '768' },
      { name: 'the 500m pod goes', act: () => m.removePod('b1'), want: '256' },
      { name: 'the last one goes: back to the minimum', act: () => m.removePod('b2'), want: '2' },
      { name: 'a running pod adopted after a restart counts', act: () => m.trackPod(burstable('b3', '1')), want: '1024' },
      { name: 'tracked again, it counts once', act: () => m.trackPod(burstable('b3', '1')), want: '1024' },
      { name: 'a tracked Guaranteed pod does not count', act: () => m.trackPod(guaranteed), want: '1024' },
      { name: 'the adopted pod goes', act: () => m.removePod('b3'), want: '2' },
    ];
    for (const s of steps) {
      await s.act();
      assert.equal(shares(), s.want, s.name);
    }
  } finally {
    rmSync(h.base, { recursive: true, force: true });
  }
});

test('cgroup v2: controllers enabled down to the QoS cgroups; cpu.weight, cpu.max and memory.max', async () => {
  const base = mkdtempSync(path.join(tmpdir(), 'mk-cglimits-v2-'));
  try {
    writeFileSync(path.join(base, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids\n');
    const m = new CgroupfsManager({ cgroupRoot: '/custom', mounts: [base], retryDelayMs: 0, capacity: CAPACITY });
    await m.start();
    for (const dir of ['', 'custom', 'custom/kubepods', 'custom/kubepods/burstable', 'custom/kubepods/besteffort']) {
      assert.equal(read(path.join(base, dir, 'cgroup.subtree_control')), '+cpuset +cpu +io +memory +hugetlb +pids', `${dir || '/'} enables its controllers`);
    }
    assert.equal(read(path.join(base, 'custom/kubepods/cpu.weight')), '79');
    assert.equal(read(path.join(base, 'custom/kubepods/memory.max')), String(8 * 1024 ** 3));
    assert.equal(read(path.join(base, 'custom/kubepods/besteffort/cpu.weight')), '1');
    await m.ensurePod(guaranteed);
    const g = (file: string) => read(path.join(base, 'custom/kubepods/podg', file));
    assert.deepEqual([g('cpu.weight'), g('cpu.max'), g('memory.max')], ['10', '25000 100000', '67108864']);
    await m.ensurePod(burstable('b', '1'));
    assert.equal(read(path.join(base, 'custom/kubepods/burstable/cpu.weight')), '39');
    assert.equal(existsSync(path.join(base, 'custom/kubepods/burstable/podb/cpu.max')), false, 'no cpu limit: cpu.max left alone');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('errors: a pod cgroup write fails that pod with the kubelet message; a QoS write failure is only logged; at start it stops', async () => {
  const h = v1Tree();
  try {
    const { logger, lines } = recordingLogger();
    const m = new CgroupfsManager({ cgroupRoot: '/', mounts: [h.cpu, h.memory], retryDelayMs: 0, capacity: CAPACITY, logger });
    await m.start();
    // A directory where the file should be: the write fails as a cgroupfs write would.
    mkdirSync(path.join(h.cpu, 'kubepods/podg/cpu.cfs_quota_us'), { recursive: true });
    await assert.rejects(m.ensurePod(guaranteed), (err: Error) => {
      assert.match(err.message, /^failed to ensure that the pod: g cgroups exist and are correctly applied: failed to create container for \[kubepods podg\] : failed to write "25000" to \S+cpu\.cfs_quota_us: EISDIR/);
      return true;
    });
    assert.ok(lines.some((l) => l.startsWith('error could not make the pod cgroup')), lines.join('\n'));

    rmSync(path.join(h.cpu, 'kubepods/burstable/cpu.shares'));
    mkdirSync(path.join(h.cpu, 'kubepods/burstable/cpu.shares'));
    await m.ensurePod(burstable('b', '100m'));
    assert.ok(existsSync(path.join(h.cpu, 'kubepods/burstable/podb/cpu.shares')), 'the pod still gets its cgroup');
    assert.ok(lines.some((l) => l.startsWith('warn failed to update QoS cgroups')), lines.join('\n'));

    await assert.rejects(new CgroupfsManager({ cgroupRoot: '/', mounts: [h.cpu], retryDelayMs: 0, capacity: CAPACITY }).start(), /failed to apply the limits of the QoS cgroups: .*burstable\/cpu\.shares/);
  } finally {
    rmSync(h.base, { recursive: true, force: true });
  }
});
