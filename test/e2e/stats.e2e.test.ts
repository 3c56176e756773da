// GET /stats/summary and /metrics/resource against the real containerd: node figures, a pod with a CPU burner and a memory hog, rates between reads, logs, volumes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerStats, PodStats, Summary } from '../../src/stats/types.js';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';

let agent: Agent;
const MiB = 1024 * 1024;

before(async () => {
  agent = await startAgent({ name: 'stats' });
  agent.writeManifest('stats.yaml', podYaml('stats', `
  containers:
    - name: burn
      image: busybox:1.36
      command: ["sh", "-c", "echo burning; while true; do :; done"]
      resources:
        limits: { cpu: 250m, memory: 64Mi }
    - name: hog
      image: busybox:1.36
      command: ["sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 && echo hogging && echo x > /cache/f; trap 'exit 0' TERM; sleep 3600 & wait"]
      volumeMounts: [{ name: cache, mountPath: /cache }]
  volumes:
    - name: cache
      emptyDir: {}
`));
  await agent.waitPod('stats', 'both containers running', (p) =>
    ['burn', 'hog'].every((c) => containerStatus(p, c)?.state?.running !== undefined), 90_000);
});
after(async () => {
  await agent?.cleanup();
});

async function summary(query = ''): Promise<Summary> {
  const res = await fetch(`http://127.0.0.1:${agent.port}/stats/summary${query}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Summary;
}

const ours = (s: Summary): PodStats | undefined => s.pods.find((p) => p.podRef.name === `stats-${agent.nodeName}`);
const container = (p: PodStats | undefined, name: string): ContainerStats | undefined => p?.containers.find((c) => c.name === name);

describe('/stats/summary', () => {
  it('the node: cpu, memory, its filesystem, the image filesystem, rlimit, the pods cgroup', async () => {
    const { node } = await summary();
    assert.equal(node.nodeName, agent.nodeName);
    assert.ok(Date.parse(node.startTime) < Date.now(), `boot time ${node.startTime}`);
    assert.ok((node.cpu?.usageCoreNanoSeconds ?? 0) > 0, 'node cpu');
    const mem = node.memory!;
    assert.ok(mem.workingSetBytes! > 0 && mem.workingSetBytes! <= mem.usageBytes!, `working set ${mem.workingSetBytes} ≤ usage ${mem.usageBytes}`);
    assert.ok(mem.availableBytes! > 0, 'available = MemTotal − working set');
    const fs = node.fs!;
    assert.ok(fs.capacityBytes! > fs.availableBytes! && fs.availableBytes! > 0, `fs ${fs.capacityBytes} > ${fs.availableBytes} > 0`);
    assert.ok(fs.inodes! > fs.inodesFree! && fs.inodesUsed! > 0);
    assert.ok((node.runtime?.imageFs?.usedBytes ?? 0) > 0, 'the runtime’s images take space');
    assert.ok((node.runtime?.imageFs?.capacityBytes ?? 0) > 0);
    assert.ok((node.rlimit?.maxpid ?? 0) > 0 && (node.rlimit?.curproc ?? 0) > 0);
    const pods = node.systemContainers?.find((c) => c.name === 'pods');
    assert.ok((pods?.cpu?.usageCoreNanoSeconds ?? 0) > 0, 'the kubepods cgroup');
  });

  it('the pod and its containers: cpu rising between reads with a rate, memory, logs, rootfs, volume, ephemeral storage', async () => {
    // The hog and the burner have printed their line once their logs are non-empty.
    const first = await agent.waitFor('the containers’ logs written', async () => {
      const s = await summary();
      const p = ours(s);
      return (container(p, 'burn')?.logs?.usedBytes ?? 0) > 0 && (container(p, 'hog')?.logs?.usedBytes ?? 0) > 0 ? s : undefined;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const second = await summary();
    const [p1, p2] = [ours(first)!, ours(second)!];
    assert.deepEqual(p2.containers.map((c) => c.name), ['burn', 'hog']);
    const [b1, b2] = [container(p1, 'burn')!, container(p2, 'burn')!];
    assert.ok(b2.cpu!.usageCoreNanoSeconds! > b1.cpu!.usageCoreNanoSeconds!, `burn cpu ${b1.cpu!.usageCoreNanoSeconds} → ${b2.cpu!.usageCoreNanoSeconds}`);
    // Limited to 250m: the rate is well above idle and not above the limit (plus slack for sampling).
    const rate = b2.cpu!.usageNanoCores!;
    assert.ok(rate > 50e6 && rate < 400e6, `burn usageNanoCores ${rate}`);
    assert.ok((p2.cpu?.usageNanoCores ?? 0) > 50e6, 'the pod cgroup’s rate includes the burner');

    const hog = container(p2, 'hog')!;
    assert.ok(hog.memory!.workingSetBytes! >= 15 * MiB, `hog working set ${hog.memory!.workingSetBytes} (20 MiB in /dev/shm)`);
    assert.ok(p2.memory!.workingSetBytes! >= hog.memory!.workingSetBytes!, 'the pod cgroup holds the hog');
    assert.ok(b2.memory!.workingSetBytes! > 0);
    // The burner has a 64Mi limit: the runtime reports what is left; the hog has none.
    assert.ok(b2.memory!.availableBytes! > 0 && b2.memory!.availableBytes! <= 64 * MiB, `burn available ${b2.memory!.availableBytes}`);
    assert.equal(hog.memory!.availableBytes, undefined);

    for (const c of p2.containers) {
      assert.ok(c.rootfs!.usedBytes! >= 0 && c.rootfs!.capacityBytes! > 0, `${c.name} rootfs`);
      assert.ok(c.logs!.usedBytes! > 0 && c.logs!.inodesUsed! >= 1, `${c.name} logs`);
    }
    assert.ok(p2.volume?.some((v) => v.name === 'cache' && v.usedBytes! > 0 && v.inodesUsed! >= 2), JSON.stringify(p2.volume));
    const eph = p2['ephemeral-storage']!;
    const logs = p2.containers.reduce((n, c) => n + c.logs!.usedBytes!, 0);
    assert.ok(eph.usedBytes! >= logs && eph.capacityBytes! > 0, `ephemeral ${eph.usedBytes} ≥ logs ${logs}`);
    assert.ok((p2.process_stats?.process_count ?? 0) >= 2, 'at least the burner’s and the hog’s shells');
    assert.ok(p2.network?.interfaces?.some((i) => i.name === 'eth0'), `pod network ${JSON.stringify(p2.network)}`);
  });

  it('?only_cpu_and_memory=true leaves the filesystems, network and volumes out', async () => {
    const s = await summary('?only_cpu_and_memory=true');
    assert.equal(s.node.fs, undefined);
    assert.equal(s.node.runtime, undefined);
    const p = ours(s)!;
    assert.ok(p.cpu && p.memory);
    assert.equal(p.network, undefined);
    assert.equal(p['ephemeral-storage'], undefined);
    assert.ok(p.containers.every((c) => c.cpu && c.memory && c.logs === undefined && c.rootfs === undefined));
  });

  it('/metrics/resource: the burner’s cpu and working set with container, pod and namespace labels; the node’s cpu', async () => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/metrics/resource`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    // `name{labels} value timestamp`: the labels in the kubelet's (sorted) order, a sample time in milliseconds.
    const sample = (name: string, labels: string): RegExpExecArray | null =>
      new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+) (\\d+)$`, 'm').exec(text);
    const burn = `{container="burn",namespace="default",pod="stats-${agent.nodeName}"}`;
    for (const name of ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes']) {
      const m = sample(name, burn);
      assert.ok(m, `${name}${burn} in\n${text}`);
      assert.ok(Number(m[1]) > 0, `${name} ${m[1]}`);
      assert.ok(Math.abs(Number(m[2]) - Date.now()) < 60_000, `${name} stamped ${m[2]}`);
    }
    const node = sample('node_cpu_usage_seconds_total', '');
    assert.ok(node && Number(node[1]) > 0, `node_cpu_usage_seconds_total in\n${text}`);
    assert.match(text, /^resource_scrape_error 0$/m);
  });
});
