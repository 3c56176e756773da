// The StatsProvider assembling a Summary from a fake CRI, a fake /proc and a fake cgroup tree: node, a pod with two containers, pods left out, rates, only_cpu_and_memory.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Container, ContainerStats, FilesystemUsage, PodSandbox } from '../../src/cri/types.js';
import { ownershipSelector } from '../../src/runtime/labels.js';
import { StatsProvider, type StatsCri } from '../../src/stats/provider.js';

const base = mkdtempSync(path.join(tmpdir(), 'mk-stats-provider-'));
after(() => rmSync(base, { recursive: true, force: true }));
const S = 1e9;
const NODE = 'n1';
const UID = 'uid-web';
const dirs = { proc: path.join(base, 'proc'), cpuacct: path.join(base, 'cg/cpuacct'), memory: path.join(base, 'cg/memory'), root: path.join(base, 'root'), logs: path.join(base, 'logs'), snap: path.join(base, 'snap') };

function put(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}
function link(file: string, target: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  symlinkSync(target, file);
}
const blocks = (f: string) => lstatSync(f).blocks * 512;

// --- /proc ---
put(path.join(dirs.proc, 'stat'), 'cpu  1 2 3 4\nbtime 1700000000\nprocesses 10\n');
put(path.join(dirs.proc, 'meminfo'), 'MemTotal:        1000000 kB\nMemFree:          500000 kB\n');
put(path.join(dirs.proc, 'loadavg'), '0.10 0.20 0.30 2/345 999\n');
put(path.join(dirs.proc, 'sys/kernel/pid_max'), '4194304\n');
put(path.join(dirs.proc, 'sys/kernel/threads-max'), '60000\n');
link(path.join(dirs.proc, 'self/ns/net'), 'net:[4026531840]');
link(path.join(dirs.proc, '4242/ns/net'), 'net:[4026532999]');
put(path.join(dirs.proc, '4242/net/dev'), [
  'Inter-|   Receive                                                |  Transmit',
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
  '    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0',
  '  eth0:    7000      70    1    0    0     0          0         0     3000      30    2    0    0     0       0          0',
].join('\n'));

// --- cgroups: root, kubepods, the pod (burstable) with its sandbox and two containers ---
const pod = 'kubepods/burstable/pod' + UID;
function cpu(rel: string, ns: number): void {
  put(path.join(dirs.cpuacct, rel, 'cpuacct.usage'), `${ns}\n`);
}
function mem(rel: string, usage: number, inactiveFile: number, limit = '9223372036854771712'): void {
  put(path.join(dirs.memory, rel, 'memory.usage_in_bytes'), `${usage}\n`);
  put(path.join(dirs.memory, rel, 'memory.limit_in_bytes'), `${limit}\n`);
  put(path.join(dirs.memory, rel, 'memory.stat'), `pgfault 7\npgmajfault 1\ntotal_rss 2048\ntotal_inactive_file ${inactiveFile}\n`);
}
cpu('', 100 * S);
mem('', 400_000_000, 100_000_000);
cpu('kubepods', 10 * S);
mem('kubepods', 50_000_000, 0);
cpu(pod, 2 * S);
mem(pod, 30_000_000, 5_000_000, '100000000');
put(path.join(dirs.cpuacct, pod, 'sb-web/cgroup.procs'), '4242\n');
put(path.join(dirs.cpuacct, pod, 'ctr-a/cgroup.procs'), '10\n11\n');
put(path.join(dirs.cpuacct, pod, 'ctr-b/cgroup.procs'), '12\n');

// --- files: logs, the etc-hosts file, an emptyDir ---
const logA = path.join(dirs.logs, `default_web_${UID}/a/0.log`);
const logB = path.join(dirs.logs, `default_web_${UID}/b/0.log`);
put(logA, 'hello from a\n'.repeat(100));
put(logB, 'hello from b\n');
const hosts = path.join(dirs.root, 'pods', UID, 'etc-hosts');
put(hosts, '127.0.0.1 localhost\n');
const cacheFile = path.join(dirs.root, 'pods', UID, 'volumes/kubernetes.io~empty-dir/cache/data');
put(cacheFile, 'x'.repeat(10_000));
mkdirSync(dirs.snap, { recursive: true });

// --- the runtime ---
const ours = ownershipSelector(NODE);
const sandbox = (id: string, name: string, uid: string, state: PodSandbox['state'], labels = ours): PodSandbox => ({
  id, metadata: { name, uid, namespace: 'default', attempt: 0 }, state, createdAt: 1_700_000_100 * S, labels, annotations: {}, runtimeHandler: '',
});
const container = (id: string, sandboxId: string, name: string): Container => ({
  id, podSandboxId: sandboxId, metadata: { name, attempt: 0 }, image: { image: 'busybox' }, imageRef: 'sha256:1', state: 'CONTAINER_RUNNING', createdAt: 1_700_000_200 * S, labels: ours, annotations: {},
});
let nowMs = 1_700_001_000_000;
function criStats(id: string, name: string, cpuNs: number): ContainerStats {
  const t = nowMs * 1e6;
  return {
    attributes: { id, metadata: { name, attempt: 0 }, labels: ours, annotations: {} },
    cpu: { timestamp: t, usageCoreNanoSeconds: { value: cpuNs }, usageNanoCores: { value: 0 } },
    memory: { timestamp: t, workingSetBytes: { value: 3000 }, availableBytes: { value: 0 }, usageBytes: { value: 4000 }, rssBytes: { value: 1000 }, pageFaults: { value: 9 }, majorPageFaults: { value: 0 } },
    writableLayer: { timestamp: t, fsId: { mountpoint: dirs.snap }, usedBytes: { value: 8192 }, inodesUsed: { value: 4 } },
  };
}
let cpuA = 1 * S;
const cri: StatsCri = {
  // The filters are ignored: the provider must not depend on the runtime applying them.
  listPodSandbox: async () => [
    sandbox('sb-web', 'web', UID, 'SANDBOX_READY'),
    sandbox('sb-gone', 'gone', 'uid-gone', 'SANDBOX_NOTREADY'),
    sandbox('sb-other', 'theirs', 'uid-theirs', 'SANDBOX_READY', ownershipSelector('another-node')),
  ],
  listContainers: async () => [container('ctr-b', 'sb-web', 'b'), container('ctr-a', 'sb-web', 'a'), { ...container('ctr-old', 'sb-web', 'a'), state: 'CONTAINER_EXITED' }],
  listContainerStats: async () => [criStats('ctr-a', 'a', cpuA), criStats('ctr-b', 'b', 0.5 * S)],
  imageFsInfo: async (): Promise<FilesystemUsage[]> => [{ timestamp: nowMs * 1e6, fsId: { mountpoint: dirs.snap }, usedBytes: { value: 123456 }, inodesUsed: { value: 77 } }],
};

/** null: --cgroups-per-qos=false. */
function provider(cgroupRoot: string | null = '/') {
  return new StatsProvider({
    cri, nodeName: NODE, rootDir: dirs.root, podLogsDir: dirs.logs, cgroupRoot: cgroupRoot ?? undefined,
    hierarchies: { cpuacct: dirs.cpuacct, memory: dirs.memory }, procDir: dirs.proc, clock: () => nowMs,
  });
}

describe('StatsProvider.summary', () => {
  const p = provider();

  it('the node: boot time, root cgroup cpu and memory against MemTotal, fs, image fs, rlimit, the pods cgroup', async () => {
    const { node } = await p.summary();
    assert.equal(node.nodeName, NODE);
    assert.equal(node.startTime, '2023-11-14T22:13:20Z');
    assert.deepEqual(node.cpu, { time: '2023-11-14T22:30:00Z', usageCoreNanoSeconds: 100 * S });
    assert.deepEqual(node.memory, {
      time: '2023-11-14T22:30:00Z', availableBytes: 1_024_000_000 - 300_000_000, usageBytes: 400_000_000, workingSetBytes: 300_000_000,
      rssBytes: 2048, pageFaults: 7, majorPageFaults: 1,
    });
    assert.ok(node.fs && node.fs.capacityBytes! > node.fs.availableBytes! && node.fs.availableBytes! > 0 && node.fs.inodes! > 0);
    assert.equal(node.runtime?.imageFs?.usedBytes, 123456);
    assert.equal(node.runtime?.imageFs?.inodesUsed, 77);
    assert.equal(node.runtime?.imageFs?.capacityBytes, node.fs.capacityBytes, 'the image fs size from statfs of its mount point');
    assert.deepEqual(node.rlimit, { time: '2023-11-14T22:30:00Z', maxpid: 60000, curproc: 345 });
    assert.deepEqual(node.systemContainers?.map((c) => [c.name, c.cpu?.usageCoreNanoSeconds, c.memory?.workingSetBytes, c.memory?.availableBytes]), [['pods', 10 * S, 50_000_000, undefined]]);
  });

  it('pods: only this node’s ready sandboxes; the running containers by name; pod cpu and memory from its cgroup', async () => {
    const { pods } = await p.summary();
    assert.deepEqual(pods.map((s) => s.podRef), [{ name: 'web', namespace: 'default', uid: UID }]);
    const [web] = pods;
    assert.equal(web!.startTime, '2023-11-14T22:15:00Z');
    assert.deepEqual(web!.containers.map((c) => [c.name, c.startTime, c.cpu?.usageCoreNanoSeconds]), [['a', '2023-11-14T22:16:40Z', cpuA], ['b', '2023-11-14T22:16:40Z', 0.5 * S]]);
    // containerd's availableBytes 0 means "no limit": left out.
    assert.deepEqual(web!.containers[0]!.memory, { time: '2023-11-14T22:30:00Z', usageBytes: 4000, workingSetBytes: 3000, rssBytes: 1000, pageFaults: 9, majorPageFaults: 0 });
    assert.equal(web!.cpu?.usageCoreNanoSeconds, 2 * S);
    assert.deepEqual(web!.memory, { time: '2023-11-14T22:30:00Z', availableBytes: 75_000_000, usageBytes: 30_000_000, workingSetBytes: 25_000_000, rssBytes: 2048, pageFaults: 7, majorPageFaults: 1 });
    assert.deepEqual(web!.process_stats, { process_count: 3 }, 'the containers’ processes, not the pause process');
  });

  it('pods: network from the pause process’s namespace, rootfs, logs, emptyDir and ephemeral storage', async () => {
    const [web] = (await p.summary()).pods;
    assert.deepEqual(web!.network, {
      time: '2023-11-14T22:30:00Z', name: 'eth0', rxBytes: 7000, rxErrors: 1, txBytes: 3000, txErrors: 2,
      interfaces: [{ name: 'eth0', rxBytes: 7000, rxErrors: 1, txBytes: 3000, txErrors: 2 }],
    });
    const [a, b] = web!.containers;
    assert.equal(a!.rootfs?.usedBytes, 8192);
    assert.equal(a!.rootfs?.inodesUsed, 4);
    assert.ok(a!.rootfs!.capacityBytes! > 0, 'capacity of the writable layer’s filesystem');
    assert.deepEqual([a!.logs?.usedBytes, a!.logs?.inodesUsed], [blocks(logA), 1]);
    assert.deepEqual([b!.logs?.usedBytes, b!.logs?.inodesUsed], [blocks(logB), 1]);
    const [cache] = web!.volume ?? [];
    assert.equal(cache?.name, 'cache');
    assert.equal(cache?.inodesUsed, 2, 'the directory and its file');
    const eph = web!['ephemeral-storage']!;
    assert.equal(eph.usedBytes, 2 * 8192 + blocks(logA) + blocks(logB) + cache!.usedBytes! + blocks(hosts));
    assert.equal(eph.inodesUsed, 2 * 4 + 2 + 2 + 1);
  });

  it('usageNanoCores from the previous read: node, pods cgroup, pod, container', async () => {
    const fresh = provider();
    await fresh.summary();
    nowMs += 2000;
    cpu('', 104 * S);
    cpu('kubepods', 11 * S);
    cpu(pod, 3 * S);
    cpuA += 0.5 * S;
    const s = await fresh.summary();
    assert.equal(s.node.cpu?.usageNanoCores, 2e9);
    assert.equal(s.node.systemContainers?.[0]?.cpu?.usageNanoCores, 0.5e9);
    assert.equal(s.pods[0]!.cpu?.usageNanoCores, 0.5e9);
    assert.deepEqual(s.pods[0]!.containers.map((c) => c.cpu?.usageNanoCores), [0.25e9, 0]);
  });

  it('only_cpu_and_memory: no filesystems, network, volumes or rlimit', async () => {
    const s = await p.summary({ onlyCpuAndMemory: true });
    assert.deepEqual(Object.keys(s.node).sort(), ['cpu', 'memory', 'nodeName', 'startTime', 'systemContainers']);
    assert.deepEqual(Object.keys(s.pods[0]!).sort(), ['containers', 'cpu', 'memory', 'podRef', 'startTime']);
    assert.deepEqual(Object.keys(s.pods[0]!.containers[0]!).sort(), ['cpu', 'memory', 'name', 'startTime']);
  });

  it('without pod cgroups (--cgroups-per-qos=false): pod cpu and memory are the containers summed, no pods system container', async () => {
    const s = await provider(null).summary();
    assert.equal(s.node.systemContainers, undefined);
    const [web] = s.pods;
    assert.equal(web!.cpu?.usageCoreNanoSeconds, cpuA + 0.5 * S);
    assert.equal(web!.cpu?.usageNanoCores, undefined, 'no rate until every container has one');
    assert.equal(web!.memory?.workingSetBytes, 6000);
    assert.equal(web!.network, undefined);
    assert.equal(web!.process_stats, undefined);
  });

  it('a runtime failure fails the summary with the reason', async () => {
    const broken = new StatsProvider({ cri: { ...cri, listContainers: async () => { throw new Error('connection refused'); } }, nodeName: NODE, rootDir: dirs.root, podLogsDir: dirs.logs, hierarchies: {}, procDir: dirs.proc });
    await assert.rejects(broken.summary(), /failed to list pod stats: connection refused/);
  });
});
