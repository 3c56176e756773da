// Pod spec fidelity end to end, checked from inside real containers: env and downward API, command/args, cgroups and QoS, namespaces, ports, DNS, hostname.
//
// Security contexts, sysctls and the node policy flags are in spec-fidelity-security.e2e.test.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { freePort, startAgent, type Agent } from '../support/agent.js';
import { deploy, exec, running, SLEEP } from '../support/in-pod.js';

let agent: Agent;
let dir: string;
const HOST_RESOLV = 'nameserver 192.0.2.53\nsearch example.test\noptions ndots:2 timeout:3\n';

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mk-e2e-fidelity-'));
  writeFileSync(path.join(dir, 'resolv.conf'), HOST_RESOLV);
  agent = await startAgent({
    name: 'fidelity',
    extraArgs: ['--resolv-conf', path.join(dir, 'resolv.conf'), '--cluster-dns', '10.96.0.10', '--cluster-domain', 'cluster.local'],
  });
});
after(async () => {
  await agent?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** One sleeping busybox container with the given `resources:` lines (the QoS and cgroup tests). */
const sleeperWith = (resources: string) => `
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
${resources}`;

describe('spec fidelity', { concurrency: true }, () => {
  it('env: plain values, $(VAR) expansion and $$ escapes in env, command and args', async () => {
    const id = await deploy(agent, 'env', `
  containers:
    - name: main
      image: busybox:1.36
      # Single quotes: what reaches the shell must not be run as $(...) command substitution.
      command: ["sh", "-c", "echo '$(GREETING) $$(GREETING) $(MISSING)' > /tmp/cmd; echo \\"$0\\" > /tmp/arg; trap 'exit 0' TERM; sleep 3600 & wait"]
      args: ["$(WHO)"]
      env:
        - { name: WHO, value: world }
        - { name: GREETING, value: "hello $(WHO)" }
        - { name: ESCAPED, value: "$$(WHO)" }
        - { name: LATER_REF, value: "$(DEFINED_LATER)" }
        - { name: DEFINED_LATER, value: x }
`);
    const env = await exec(agent, id, ['env']);
    assert.match(env, /^GREETING=hello world$/m);
    assert.match(env, /^ESCAPED=\$\(WHO\)$/m);
    // A reference to a variable defined later is left as written.
    assert.match(env, /^LATER_REF=\$\(DEFINED_LATER\)$/m);
    // The container runs before its shell has written the files: wait until each has content.
    const written = (file: string) => agent.waitFor(`${file} written`, () => exec(agent, id, ['sh', '-c', `test -s ${file} && cat ${file}`]), 30_000);
    assert.equal(await written('/tmp/cmd'), 'hello world $(GREETING) $(MISSING)\n');
    assert.equal(await written('/tmp/arg'), 'world\n');
  });

  it('env: downward API fieldRef and resourceFieldRef (an unset limit is the node allocatable)', async () => {
    agent.writeManifest('downward.yaml', `apiVersion: v1
kind: Pod
metadata:
  name: downward
  labels: { app: web, tier: front }
  annotations: { team: storage }
spec:
  serviceAccountName: builder
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      resources:
        requests: { cpu: 250m, memory: 32Mi }
        limits: { memory: 64Mi }
      env:
        - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
        - { name: POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
        - { name: POD_UID, valueFrom: { fieldRef: { fieldPath: metadata.uid } } }
        - { name: APP, valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }
        - { name: TEAM, valueFrom: { fieldRef: { fieldPath: "metadata.annotations['team']" } } }
        - { name: NODE, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
        - { name: SA, valueFrom: { fieldRef: { fieldPath: spec.serviceAccountName } } }
        - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
        - { name: POD_IPS, valueFrom: { fieldRef: { fieldPath: status.podIPs } } }
        - { name: HOST_IP, valueFrom: { fieldRef: { fieldPath: status.hostIP } } }
        - { name: HOST_IPS, valueFrom: { fieldRef: { fieldPath: status.hostIPs } } }
        - { name: MEM_LIMIT_MI, valueFrom: { resourceFieldRef: { resource: limits.memory, divisor: 1Mi } } }
        - { name: MEM_REQUEST, valueFrom: { resourceFieldRef: { resource: requests.memory } } }
        - { name: CPU_REQUEST_M, valueFrom: { resourceFieldRef: { resource: requests.cpu, divisor: 1m } } }
        - { name: CPU_LIMIT, valueFrom: { resourceFieldRef: { resource: limits.cpu } } }
        - { name: MEM_DEFAULT, valueFrom: { resourceFieldRef: { containerName: nolimit, resource: limits.memory } } }
        - { name: STORAGE_DEFAULT, valueFrom: { resourceFieldRef: { resource: limits.ephemeral-storage } } }
    - name: nolimit
      image: busybox:1.36
      command: ${SLEEP}
`);
    const id = await running(agent, 'downward');
    const pod = await agent.waitFor('downward has its IPs in the status', async () => {
      const p = await agent.pod('downward');
      return p?.status?.podIP && p.status.hostIP ? p : undefined;
    });
    const env = Object.fromEntries((await exec(agent, id, ['env'])).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(env.POD_NAME, `downward-${agent.nodeName}`);
    assert.equal(env.POD_NAMESPACE, 'default');
    assert.equal(env.POD_UID, pod.metadata!.uid);
    assert.equal(env.APP, 'web');
    assert.equal(env.TEAM, 'storage');
    assert.equal(env.NODE, agent.nodeName);
    assert.equal(env.SA, 'builder');
    const podIP = (await exec(agent, id, ['sh', '-c', "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"])).trim();
    assert.equal(env.POD_IP, podIP);
    assert.equal(env.POD_IPS, podIP);
    assert.equal(env.HOST_IP, pod.status?.hostIP);
    assert.equal(env.HOST_IPS, pod.status?.hostIP);
    assert.equal(env.MEM_LIMIT_MI, '64');
    assert.equal(env.MEM_REQUEST, String(32 * 1024 * 1024));
    assert.equal(env.CPU_REQUEST_M, '250');
    // No cpu limit: the node's allocatable cpu, in whole cores rounded up.
    assert.equal(Number(env.CPU_LIMIT) >= 1, true, `CPU_LIMIT=${env.CPU_LIMIT}`);
    // No memory or ephemeral-storage limit: allocatable, the kubelet's default hard-eviction
    // thresholds (memory.available<100Mi, nodefs.available<10% as a float32) and the
    // pre-allocated huge pages taken off MemTotal and the root dir's filesystem.
    const pages = '/sys/kernel/mm/hugepages';
    const hugePageBytes = (existsSync(pages) ? readdirSync(pages) : [])
      .reduce((sum, d) => sum + Number(/\d+/.exec(d)![0]) * 1024 * Number(readFileSync(path.join(pages, d, 'nr_hugepages'), 'utf8')), 0);
    assert.equal(env.MEM_DEFAULT, String(Math.max(0, totalmem() - 100 * 2 ** 20 - hugePageBytes)));
    const fs = statfsSync(agent.rootDir);
    const disk = fs.bsize * fs.blocks;
    assert.equal(env.STORAGE_DEFAULT, String(disk - Math.trunc(disk * Math.fround(0.1))));
  });

  it('command and args follow the image ENTRYPOINT/CMD rules; workingDir', async () => {
    const pods = [
      // busybox: CMD ["sh"], no ENTRYPOINT. command replaces it all (CMD is not appended).
      { name: 'cmd-command', image: 'busybox:1.36', spec: 'command: ["sleep", "3601"]', want: 'sleep 3601' },
      // args alone replace CMD.
      { name: 'cmd-args', image: 'busybox:1.36', spec: 'args: ["sleep", "3602"]', want: 'sleep 3602' },
      // busybox-httpd: ENTRYPOINT httpd ...; args are appended to it.
      { name: 'cmd-entrypoint-args', image: 'busybox-httpd:1.36', spec: 'args: ["-p", "9090"]', want: 'httpd -f -v -p 8080 -h /www -p 9090' },
      // command replaces the ENTRYPOINT.
      { name: 'cmd-entrypoint-command', image: 'busybox-httpd:1.36', spec: 'command: ["sleep", "3603"]', want: 'sleep 3603' },
      // Neither: the image decides.
      { name: 'cmd-image', image: 'busybox-httpd:1.36', spec: '', want: 'httpd -f -v -p 8080 -h /www' },
    ];
    await Promise.all(pods.map(async (p) => {
      const id = await deploy(agent, p.name, `
  containers:
    - name: main
      image: ${p.image}
      workingDir: /etc
      ${p.spec}
`);
      const cmdline = (await exec(agent, id, ['cat', '/proc/1/cmdline'])).split('\0').filter(Boolean).join(' ');
      assert.equal(cmdline, p.want, p.name);
      assert.equal((await exec(agent, id, ['pwd'])).trim(), '/etc');
    }));
  });

  it('resources: cgroup memory limit, cpu quota/period and shares inside; the pod cgroup under kubepods by QoS', async () => {
    const id = await deploy(agent, 'res', `
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      resources:
        requests: { cpu: 100m, memory: 32Mi }
        limits: { cpu: 250m, memory: 64Mi }
`);
    assert.equal((await exec(agent, id, ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'])).trim(), String(64 * 1024 * 1024));
    assert.equal((await exec(agent, id, ['cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'])).trim(), '25000');
    assert.equal((await exec(agent, id, ['cat', '/sys/fs/cgroup/cpu/cpu.cfs_period_us'])).trim(), '100000');
    assert.equal((await exec(agent, id, ['cat', '/sys/fs/cgroup/cpu/cpu.shares'])).trim(), '102');
    const uid = (await agent.pod('res'))!.metadata!.uid!;
    const cgroup = await exec(agent, id, ['cat', '/proc/1/cgroup']);
    assert.match(cgroup, new RegExp(`:memory:/kubepods/burstable/pod${uid}/${id}$`, 'm'));
    // The pod's cgroup is on the host while it runs, and goes with the pod.
    const hostDir = `/sys/fs/cgroup/memory/kubepods/burstable/pod${uid}`;
    assert.ok(cgroupExists(hostDir), `${hostDir} exists`);
    agent.removeManifest('res.yaml');
    await agent.waitFor('the pod cgroup removed', () => !cgroupExists(hostDir), 60_000);
  });

  it('QoS: oom_score_adj per class, as far as the runtime may set it (restrict_oom_score_adj)', async () => {
    const [besteffort, burstable, guaranteed] = await Promise.all([
      deploy(agent, 'qos-besteffort', sleeperWith('')),
      deploy(agent, 'qos-burstable', sleeperWith('      resources: { requests: { memory: 1Mi } }')),
      deploy(agent, 'qos-guaranteed', sleeperWith('      resources: { limits: { cpu: 100m, memory: 32Mi } }')),
    ]);
    const adj = async (id: string) => Number((await exec(agent, id, ['cat', '/proc/1/oom_score_adj'])).trim());
    assert.equal(await adj(besteffort), 1000);
    // 1000 - 1000 * 1Mi / node memory: 999 on any machine with more than 1 GiB.
    assert.equal(await adj(burstable), 999);
    // The kubelet asks -997; containerd with restrict_oom_score_adj raises what it cannot set to
    // its own score (these hosts lack CAP_SYS_RESOURCE to lower it).
    const own = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
    assert.equal(await adj(guaranteed), Math.max(-997, own));
    const qos = async (name: string) => (await agent.pod(name))?.status?.qosClass;
    assert.deepEqual([await qos('qos-besteffort'), await qos('qos-burstable'), await qos('qos-guaranteed')], ['BestEffort', 'Burstable', 'Guaranteed']);
    const uid = (await agent.pod('qos-guaranteed'))!.metadata!.uid!;
    assert.match(await exec(agent, guaranteed, ['cat', '/proc/1/cgroup']), new RegExp(`:cpu:/kubepods/pod${uid}/`, 'm'));
  });

  it('pod cgroups: the kubelet\'s limits on the host, in the pod cgroups and in kubepods/burstable', async () => {
    await Promise.all([
      deploy(agent, 'cg-guaranteed', sleeperWith('      resources: { limits: { cpu: 250m, memory: 64Mi } }')),
      deploy(agent, 'cg-besteffort', sleeperWith('')),
    ]);
    const uid = async (name: string) => (await agent.pod(name))!.metadata!.uid!;
    const host = (hierarchy: string, cgroup: string, file: string) => readFileSync(`/sys/fs/cgroup/${hierarchy}/${cgroup}/${file}`, 'utf8').trim();
    const g = `kubepods/pod${await uid('cg-guaranteed')}`;
    assert.deepEqual(
      [host('memory', g, 'memory.limit_in_bytes'), host('cpu', g, 'cpu.cfs_quota_us'), host('cpu', g, 'cpu.cfs_period_us'), host('cpu', g, 'cpu.shares')],
      ['67108864', '25000', '100000', '256'],
    );
    const be = `kubepods/besteffort/pod${await uid('cg-besteffort')}`;
    assert.equal(host('cpu', be, 'cpu.shares'), '2');
    // No limit: the kernel's "unlimited", as on the hierarchy root.
    assert.equal(host('memory', be, 'memory.limit_in_bytes'), host('memory', '', 'memory.limit_in_bytes'));
    assert.equal(host('cpu', be, 'cpu.cfs_quota_us'), '-1');
    // burstable's shares are its pods' cpu requests: no other test here asks for a whole cpu, so
    // 1024 or more means this pod is counted, and it drops below once the pod is gone.
    const burstableShares = () => Number(host('cpu', 'kubepods/burstable', 'cpu.shares'));
    await deploy(agent, 'cg-burstable', sleeperWith('      resources: { requests: { cpu: "1" } }'));
    assert.ok(burstableShares() >= 1024, `burstable cpu.shares ${burstableShares()} counts the 1-cpu pod`);
    agent.removeManifest('cg-burstable.yaml');
    await agent.waitFor('burstable shares without the 1-cpu pod', () => burstableShares() < 1024, 60_000);
    for (const name of ['cg-guaranteed', 'cg-besteffort']) agent.removeManifest(`${name}.yaml`);
  });

  it('namespaces: hostNetwork sees the host interfaces, no hostname of its own; hostPID, hostIPC', async () => {
    const id = await deploy(agent, 'hostns', `
  hostNetwork: true
  hostPID: true
  hostIPC: true
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`);
    const ns = async (kind: string) => (await exec(agent, id, ['readlink', `/proc/self/ns/${kind}`])).trim();
    assert.equal(await ns('net'), readlinkSync('/proc/self/ns/net'));
    assert.equal(await ns('ipc'), readlinkSync('/proc/self/ns/ipc'));
    assert.equal(await ns('pid'), readlinkSync('/proc/self/ns/pid'));
    // The host's interfaces, the pod bridge included; veths come and go with other pods, so they are left out.
    const stable = (dev: string) => dev.split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter((n) => n && !n.startsWith('veth')).sort();
    const ifaces = stable(await exec(agent, id, ['cat', '/proc/net/dev']));
    assert.deepEqual(ifaces, stable(readFileSync('/proc/net/dev', 'utf8')));
    // A pod network namespace would hold only lo and eth0; the host also has the CNI bridge.
    assert.ok(ifaces.length > 2, `host interfaces seen: ${ifaces.join(' ')}`);
    // The kubelet sets no hostname for a host-network pod: it has the node's.
    assert.equal((await exec(agent, id, ['hostname'])).trim(), hostname());
  });

  it('namespaces: shareProcessNamespace lets containers see each other; by default they do not', async () => {
    const body = (share: boolean) => `
  shareProcessNamespace: ${share}
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
    - name: other
      image: busybox:1.36
      command: ["sh", "-c", "exec sleep 7777"]
`;
    const [shared, separate] = await Promise.all([deploy(agent, 'pidshare', body(true)), deploy(agent, 'pidsep', body(false))]);
    await running(agent, 'pidshare', 'other');
    await running(agent, 'pidsep', 'other');
    assert.match(await exec(agent, shared, ['ps']), /sleep 7777/);
    assert.doesNotMatch(await exec(agent, separate, ['ps']), /sleep 7777/);
    const podNet = (await exec(agent, shared, ['readlink', '/proc/self/ns/net'])).trim();
    assert.notEqual(podNet, readlinkSync('/proc/self/ns/net'), 'a pod network namespace of its own');
  });

  it('ports: a hostPort becomes a CNI port mapping that serves the container on the host', async () => {
    const hostPort = await freePort();
    const id = await deploy(agent, 'hostport', `
  containers:
    - name: main
      image: busybox-httpd:1.36
      ports: [{ containerPort: 8080, hostPort: ${hostPort}, protocol: TCP }]
`);
    const podIP = await agent.waitFor('hostport has a pod IP', async () => (await agent.pod('hostport'))?.status?.podIP);
    // RUNNING is not listening: httpd may not have bound :8080 yet, so retry until it answers.
    const direct = await agent.waitFor(`${podIP}:8080 answers`, async () => {
      const res = await fetch(`http://${podIP}:8080/healthz`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, 20_000);
    assert.equal(direct, 'ok\n');
    const sb = (await agent.cri.listPodSandbox({ labelSelector: { [POD_NAME_LABEL]: `hostport-${agent.nodeName}` } }))[0]!;
    assert.ok(sb, 'a sandbox');
    const body = await agent.waitFor(`127.0.0.1:${hostPort} answers`, async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/healthz`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, 20_000);
    assert.equal(body, 'ok\n');
    assert.ok(id);
  });

  it('DNS: ClusterFirst with --cluster-dns/--cluster-domain; dnsConfig merged within the limits', async () => {
    const id = await deploy(agent, 'dns-cluster', `
  dnsConfig:
    nameservers: [192.0.2.1, 192.0.2.2, 192.0.2.3]
    searches: [extra.test]
    options: [{ name: ndots, value: "3" }, { name: edns0 }]
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`);
    const resolv = await exec(agent, id, ['cat', '/etc/resolv.conf']);
    // The cluster DNS first; three nameservers at most (the third dnsConfig one is dropped).
    assert.deepEqual(lines(resolv, 'nameserver'), ['10.96.0.10', '192.0.2.1', '192.0.2.2']);
    assert.deepEqual(lines(resolv, 'search'), ['default.svc.cluster.local svc.cluster.local cluster.local example.test extra.test']);
    assert.deepEqual(options(resolv), ['edns0', 'ndots:3']);
  });

  it('DNS: Default is the node resolv.conf; None takes dnsConfig alone; host network: ClusterFirst is Default, ClusterFirstWithHostNet is not', async () => {
    const pod = (name: string, spec: string) => deploy(agent, name, `
${spec}
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`);
    const [def, none, hostFirst, hostWith] = await Promise.all([
      pod('dns-default', '  dnsPolicy: Default'),
      pod('dns-none', '  dnsPolicy: None\n  dnsConfig: { nameservers: [192.0.2.9], searches: [only.test], options: [{ name: attempts, value: "1" }] }'),
      pod('dns-hostnet', '  hostNetwork: true'),
      pod('dns-hostnet-cluster', '  hostNetwork: true\n  dnsPolicy: ClusterFirstWithHostNet'),
    ]);
    const read = (id: string) => exec(agent, id, ['cat', '/etc/resolv.conf']);
    for (const id of [def, hostFirst]) {
      const r = await read(id);
      assert.deepEqual(lines(r, 'nameserver'), ['192.0.2.53']);
      assert.deepEqual(lines(r, 'search'), ['example.test']);
      assert.deepEqual(options(r), ['ndots:2', 'timeout:3']);
    }
    const n = await read(none);
    assert.deepEqual([lines(n, 'nameserver'), lines(n, 'search'), options(n)], [['192.0.2.9'], ['only.test'], ['attempts:1']]);
    assert.deepEqual(lines(await read(hostWith), 'nameserver'), ['10.96.0.10']);
  });

  it('hostname, subdomain and setHostnameAsFQDN', async () => {
    const pod = (name: string, spec: string) => deploy(agent, name, `
${spec}
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`);
    const [plain, named, fqdn] = await Promise.all([
      pod('hn-plain', ''),
      pod('hn-named', '  hostname: web-0\n  subdomain: web'),
      pod('hn-fqdn', '  hostname: web-1\n  subdomain: web\n  setHostnameAsFQDN: true'),
    ]);
    assert.equal((await exec(agent, plain, ['hostname'])).trim(), `hn-plain-${agent.nodeName}`);
    assert.equal((await exec(agent, named, ['hostname'])).trim(), 'web-0');
    assert.equal((await exec(agent, fqdn, ['hostname'])).trim(), 'web-1.web.default.svc.cluster.local');
  });

});

/** Whether a cgroup directory exists on the host. */
function cgroupExists(p: string): boolean {
  try {
    readFileSync(path.join(p, 'cgroup.procs'));
    return true;
  } catch {
    return false;
  }
}

const lines = (resolv: string, key: string): string[] =>
  resolv.split('\n').filter((l) => l.startsWith(`${key} `)).map((l) => l.slice(key.length + 1).trim());
const options = (resolv: string): string[] => lines(resolv, 'options').flatMap((l) => l.split(/\s+/)).sort();
