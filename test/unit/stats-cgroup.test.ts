// The cgroup v1 reader against a fake hierarchy tree: controllers by mount, cpuacct and memory files, working set, limits, absent cgroups.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cgroupProcs, childCgroups, parseFlatKeyed, readCgroup, v1Hierarchies } from '../../src/stats/cgroup-v1.js';

const base = mkdtempSync(path.join(tmpdir(), 'mk-stats-cgroup-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** Writes files (relative path → content) under `dir`. */
function tree(dir: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const memoryStat = (inactiveFile: number) =>
  `cache 100\nrss 10\npgfault 42\npgmajfault 3\ntotal_rss 4096\ntotal_inactive_file ${inactiveFile}\ntotal_pgfault 900\n`;

describe('v1Hierarchies', () => {
  const cases: Array<{ name: string; mounts: string[]; want: object }> = [
    { name: 'one controller per mount', mounts: ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuacct', '/sys/fs/cgroup/memory'], want: { cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory' } },
    { name: 'cpu and cpuacct co-mounted', mounts: ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/memory'], want: { cpuacct: '/sys/fs/cgroup/cpu,cpuacct', memory: '/sys/fs/cgroup/memory' } },
    { name: 'a pure cgroup v2 host: no v1 controller', mounts: ['/sys/fs/cgroup'], want: {} },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(v1Hierarchies(c.mounts), c.want));
});

describe('parseFlatKeyed', () => {
  it('reads "key value" lines, skips blank and non-numeric ones', () => {
    assert.deepEqual([...parseFlatKeyed('a 1\n\nb 22\nc x\n  d   7  \n')], [['a', 1], ['b', 22], ['d', 7]]);
  });
});

describe('readCgroup', () => {
  const h = { cpuacct: path.join(base, 'cpuacct'), memory: path.join(base, 'memory') };
  tree(h.cpuacct, { 'kubepods/burstable/podA/cpuacct.usage': '123456789\n', 'kubepods/besteffort/podB/cpuacct.usage': '5\n' });
  tree(h.memory, {
    'kubepods/burstable/podA/memory.usage_in_bytes': '10000\n',
    'kubepods/burstable/podA/memory.limit_in_bytes': '65536000\n',
    'kubepods/burstable/podA/memory.stat': memoryStat(3000),
    // More inactive cache than usage (charged elsewhere): the working set stops at 0.
    'kubepods/besteffort/podB/memory.usage_in_bytes': '1000\n',
    'kubepods/besteffort/podB/memory.limit_in_bytes': '9223372036854771712\n',
    'kubepods/besteffort/podB/memory.stat': memoryStat(5000),
  });

  const cases = [
    {
      name: 'cpu and memory, a limit, faults from the cgroup’s own counters',
      cg: ['kubepods', 'burstable', 'podA'],
      want: { cpuUsageNs: 123456789, memory: { usageBytes: 10000, workingSetBytes: 7000, rssBytes: 4096, pageFaults: 42, majorPageFaults: 3, limitBytes: 65536000 } },
    },
    {
      name: 'the kernel’s "unlimited" is no limit; working set never below 0',
      cg: ['kubepods', 'besteffort', 'podB'],
      want: { cpuUsageNs: 5, memory: { usageBytes: 1000, workingSetBytes: 0, rssBytes: 4096, pageFaults: 42, majorPageFaults: 3, limitBytes: undefined } },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const got = await readCgroup(h, c.cg);
      assert.ok(got);
      assert.equal(got.cpuUsageNs, c.want.cpuUsageNs);
      assert.deepEqual(got.memory, c.want.memory);
      assert.ok(typeof got.startMs === 'number' && got.startMs > 0, 'start time from the directories');
    });
  }

  it('a cgroup in no hierarchy is undefined', async () => {
    assert.equal(await readCgroup(h, ['kubepods', 'podNone']), undefined);
  });

  it('without a memory hierarchy only the cpu is read', async () => {
    const got = await readCgroup({ cpuacct: h.cpuacct }, ['kubepods', 'burstable', 'podA']);
    assert.equal(got?.cpuUsageNs, 123456789);
    assert.equal(got?.memory, undefined);
  });

  it('cgroup.procs and child cgroups', async () => {
    const dir = tree(path.join(base, 'procs'), { 'sb1/cgroup.procs': '101\n', 'c1/cgroup.procs': '201\n202\n', 'cpuacct.usage': '1' });
    assert.deepEqual((await childCgroups(dir)).sort(), ['c1', 'sb1']);
    assert.deepEqual(await cgroupProcs(path.join(dir, 'c1')), [201, 202]);
    assert.deepEqual(await cgroupProcs(path.join(dir, 'gone')), []);
  });
});
