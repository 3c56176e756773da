// Cgroup names for the QoS hierarchy, and the cgroupfs manager against a fake hierarchy in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseCgroupfs, podCgroupParent, qosHierarchy, toCgroupfs } from '../../src/node/cgroups.js';
import { cgroupMounts, CgroupfsManager, inheritCpuset } from '../../src/node/cgroups-fs.js';

test('cgroup names: cgroupfs paths round-trip, root is "/"', () => {
  assert.deepEqual(parseCgroupfs('/'), []);
  assert.deepEqual(parseCgroupfs('/a//b/'), ['a', 'b']);
  assert.equal(toCgroupfs([]), '/');
  assert.equal(toCgroupfs(['kubepods', 'burstable']), '/kubepods/burstable');
});

test('cgroup names: the QoS hierarchy and pod cgroups, as the kubelet cgroupfs driver names them', () => {
  assert.deepEqual(qosHierarchy('/').map(toCgroupfs), ['/kubepods', '/kubepods/burstable', '/kubepods/besteffort']);
  assert.equal(podCgroupParent('/', 'Guaranteed', 'abc'), '/kubepods/podabc');
  assert.equal(podCgroupParent('/', 'Burstable', 'abc'), '/kubepods/burstable/podabc');
  assert.equal(podCgroupParent('/', 'BestEffort', 'abc'), '/kubepods/besteffort/podabc');
  assert.equal(podCgroupParent('/custom/root', 'BestEffort', 'abc'), '/custom/root/kubepods/besteffort/podabc');
});

test('cgroupMounts: every v1 hierarchy root; cgroup2 only on a pure v2 host; sub-cgroup binds skipped', () => {
  const hybrid = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '50 31 0:32 /sub /mnt/memsub rw,relatime - cgroup cgroup rw,memory',
  ].join('\n');
  assert.deepEqual(cgroupMounts(hybrid), ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/systemd']);
  assert.deepEqual(cgroupMounts('30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate'), ['/sys/fs/cgroup']);
  assert.deepEqual(cgroupMounts(''), []);
});

function fakeHierarchies(): { base: string; cpu: string; cpuset: string } {
  const base = mkdtempSync(path.join(tmpdir(), 'mk-cgroups-'));
  const cpu = path.join(base, 'cpu');
  const cpuset = path.join(base, 'cpuset');
  mkdirSync(cpu);
  mkdirSync(cpuset);
  writeFileSync(path.join(cpuset, 'cpuset.cpus'), '0-1\n');
  writeFileSync(path.join(cpuset, 'cpuset.mems'), '0\n');
  return { base, cpu, cpuset };
}
const burstable: V1Pod = { metadata: { uid: 'u-7' }, spec: { containers: [{ name: 'a', resources: { requests: { memory: '1Mi' } } }] } };

test('CgroupfsManager: start makes the QoS hierarchy in every hierarchy; a pod gets its cgroup under its class', async () => {
  const h = fakeHierarchies();
  try {
    const m = new CgroupfsManager({ cgroupRoot: '/', mounts: [h.cpu, h.cpuset], retryDelayMs: 0 });
    await m.start();
    for (const mount of [h.cpu, h.cpuset]) {
      for (const dir of ['kubepods', 'kubepods/burstable', 'kubepods/besteffort']) assert.ok(existsSync(path.join(mount, dir)), `${mount}/${dir}`);
    }
    await m.ensurePod(burstable);
    await m.ensurePod(burstable); // idempotent
    assert.ok(existsSync(path.join(h.cpu, 'kubepods/burstable/podu-7')));
    // A runtime's container cgroup inside the pod's, left behind: removal takes it too.
    mkdirSync(path.join(h.cpu, 'kubepods/burstable/podu-7/c1'));
    await m.removePod('u-7');
    assert.equal(existsSync(path.join(h.cpu, 'kubepods/burstable/podu-7')), false);
    assert.equal(existsSync(path.join(h.cpuset, 'kubepods/burstable/podu-7')), false);
    assert.ok(existsSync(path.join(h.cpu, 'kubepods/burstable')), 'the QoS cgroups stay');
    await m.removePod('never-made'); // nothing to do, no error
  } finally {
    rmSync(h.base, { recursive: true, force: true });
  }
});

test('CgroupfsManager: start sweeps pod cgroups an earlier agent left behind, and only pod cgroups', async () => {
  const h = fakeHierarchies();
  try {
    mkdirSync(path.join(h.cpu, 'kubepods/besteffort/podold/c1'), { recursive: true });
    mkdirSync(path.join(h.cpu, 'kubepods/podold2'), { recursive: true });
    mkdirSync(path.join(h.cpu, 'kubepods/burstable/not-a-pod'), { recursive: true });
    await new CgroupfsManager({ cgroupRoot: '/', mounts: [h.cpu], retryDelayMs: 0 }).start();
    assert.equal(existsSync(path.join(h.cpu, 'kubepods/besteffort/podold')), false);
    assert.equal(existsSync(path.join(h.cpu, 'kubepods/podold2')), false);
    assert.ok(existsSync(path.join(h.cpu, 'kubepods/burstable/not-a-pod')));
  } finally {
    rmSync(h.base, { recursive: true, force: true });
  }
});

test('inheritCpuset: empty cpus/mems are filled from the parent; set ones and other hierarchies are left alone', async () => {
  const h = fakeHierarchies();
  try {
    // A real cpuset hierarchy creates the files empty in each new cgroup; simulate that.
    const child = path.join(h.cpuset, 'kubepods');
    mkdirSync(child);
    writeFileSync(path.join(child, 'cpuset.cpus'), '');
    writeFileSync(path.join(child, 'cpuset.mems'), '1\n');
    await inheritCpuset(h.cpuset, child);
    assert.equal(readFileSync(path.join(child, 'cpuset.cpus'), 'utf8'), '0-1');
    assert.equal(readFileSync(path.join(child, 'cpuset.mems'), 'utf8'), '1\n');
    const cpuChild = path.join(h.cpu, 'kubepods');
    mkdirSync(cpuChild);
    await inheritCpuset(h.cpu, cpuChild);
    assert.equal(existsSync(path.join(cpuChild, 'cpuset.cpus')), false);
  } finally {
    rmSync(h.base, { recursive: true, force: true });
  }
});
