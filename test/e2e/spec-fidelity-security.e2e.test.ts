// Pod spec fidelity end to end, security side: users and groups, capabilities, seccomp, runAsNonRoot, sysctls, node policy flags, refused fields.
//
// Two agents: `agent` has the default (allow-all) policy and no cluster DNS; `strict` refuses
// privileged containers, host namespaces and hostPath, and allows one unsafe sysctl. Flags are
// per process, so two policies need two processes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { podYaml, startAgent, type Agent } from '../support/agent.js';
import { configError, deploy, exec, procStatus, running, SLEEP } from '../support/in-pod.js';

let agent: Agent;
let strict: Agent;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mk-e2e-security-'));
  writeFileSync(path.join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\nsearch example.test\n');
  const resolv = ['--resolv-conf', path.join(dir, 'resolv.conf')];
  [agent, strict] = await Promise.all([
    startAgent({ name: 'security', extraArgs: resolv }),
    startAgent({
      name: 'strict',
      extraArgs: [...resolv, '--allow-privileged', 'false', '--allow-host-namespaces', 'false', '--allow-host-path', 'false', '--allowed-unsafe-sysctls', 'net.core.somaxconn'],
    }),
  ]);
});
after(async () => {
  await Promise.all([agent?.cleanup(), strict?.cleanup()]);
  rmSync(dir, { recursive: true, force: true });
});

const capBits = (hex: string): bigint => BigInt(`0x${hex}`);
const CAP = { CHOWN: 0n, NET_BIND_SERVICE: 10n, NET_RAW: 13n, SYS_ADMIN: 21n };
const has = (mask: bigint, bit: bigint) => ((mask >> bit) & 1n) === 1n;
const lines = (resolv: string, key: string): string[] =>
  resolv.split('\n').filter((l) => l.startsWith(`${key} `)).map((l) => l.slice(key.length + 1).trim());

describe('spec fidelity: security', { concurrency: true }, () => {
  it('securityContext: runAsUser, runAsGroup, supplementalGroups and fsGroup (id)', async () => {
    const id = await deploy(agent, 'ids', `
  securityContext: { runAsUser: 1234, runAsGroup: 5678, supplementalGroups: [1111], fsGroup: 2222 }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
    - name: override
      image: busybox:1.36
      command: ${SLEEP}
      securityContext: { runAsUser: 4321 }
`);
    assert.equal((await exec(agent, id, ['id', '-u'])).trim(), '1234');
    assert.equal((await exec(agent, id, ['id', '-g'])).trim(), '5678');
    const groups = (await exec(agent, id, ['id', '-G'])).trim().split(/\s+/).sort();
    assert.deepEqual(groups, ['1111', '2222', '5678']);
    // The container's own runAsUser wins over the pod's; the group still comes from the pod.
    const other = await running(agent, 'ids', 'override');
    assert.equal((await exec(agent, other, ['id', '-u'])).trim(), '4321');
    assert.equal((await exec(agent, other, ['id', '-g'])).trim(), '5678');
  });

  it('securityContext: capabilities add/drop, privileged, allowPrivilegeEscalation, readOnlyRootFilesystem', async () => {
    const id = await deploy(agent, 'caps', `
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      securityContext:
        capabilities: { drop: [ALL], add: [NET_BIND_SERVICE] }
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
    - name: dropped
      image: busybox:1.36
      command: ${SLEEP}
      securityContext: { capabilities: { drop: [CHOWN, NET_RAW] } }
    - name: plain
      image: busybox:1.36
      command: ${SLEEP}
    - name: privileged
      image: busybox:1.36
      command: ${SLEEP}
      securityContext: { privileged: true }
`);
    const status = await exec(agent, id, ['cat', '/proc/1/status']);
    assert.equal(capBits(procStatus(status, 'CapBnd')), 1n << CAP.NET_BIND_SERVICE, 'drop ALL + add NET_BIND_SERVICE');
    assert.equal(capBits(procStatus(status, 'CapEff')), 1n << CAP.NET_BIND_SERVICE);
    assert.equal(procStatus(status, 'NoNewPrivs'), '1');
    const touch = await agent.cri.execSync(id, ['touch', '/probe'], 10);
    assert.notEqual(touch.exitCode, 0, 'the root filesystem is read-only');
    assert.match(touch.stderr.toString(), /Read-only file system/);

    const dropped = capBits(procStatus(await exec(agent, await running(agent, 'caps', 'dropped'), ['cat', '/proc/1/status']), 'CapEff'));
    const plainStatus = await exec(agent, await running(agent, 'caps', 'plain'), ['cat', '/proc/1/status']);
    const plain = capBits(procStatus(plainStatus, 'CapEff'));
    assert.ok(has(plain, CAP.CHOWN) && has(plain, CAP.NET_RAW), 'the runtime default set has CHOWN and NET_RAW');
    assert.ok(!has(dropped, CAP.CHOWN) && !has(dropped, CAP.NET_RAW), 'both are dropped');
    assert.equal(dropped, plain & ~((1n << CAP.CHOWN) | (1n << CAP.NET_RAW)), 'nothing else changed');
    assert.equal(procStatus(plainStatus, 'NoNewPrivs'), '0');
    assert.ok(!has(plain, CAP.SYS_ADMIN));

    const priv = await running(agent, 'caps', 'privileged');
    assert.ok(has(capBits(procStatus(await exec(agent, priv, ['cat', '/proc/1/status']), 'CapEff')), CAP.SYS_ADMIN));
    const mount = ['sh', '-c', 'mkdir -p /tmp/m && mount -t tmpfs probe /tmp/m'];
    await exec(agent, priv, mount);
    const denied = await agent.cri.execSync(await running(agent, 'caps', 'plain'), mount, 10);
    assert.notEqual(denied.exitCode, 0, 'an unprivileged container cannot mount');
  });

  it('securityContext: a capability written with CAP_ is refused, not silently ignored', async () => {
    agent.writeManifest('capprefix.yaml', podYaml('capprefix', `
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      securityContext: { capabilities: { add: [CAP_NET_ADMIN] } }
`));
    const w = await configError(agent, 'capprefix');
    assert.match(w.message ?? '', /unknown capability "CAP_NET_ADMIN" \(write it without the CAP_ prefix: NET_ADMIN\)/);
  });

  it('securityContext: seccomp RuntimeDefault, Unconfined and Localhost (a profile under <root-dir>/seccomp)', async () => {
    const profileDir = path.join(agent.rootDir, 'seccomp', 'profiles');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(path.join(profileDir, 'no-mkdir.json'), JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }));
    const id = await deploy(agent, 'seccomp', `
  securityContext: { seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
    - name: unconfined
      image: busybox:1.36
      command: ${SLEEP}
      securityContext: { seccompProfile: { type: Unconfined } }
    - name: localhost
      image: busybox:1.36
      command: ${SLEEP}
      securityContext: { seccompProfile: { type: Localhost, localhostProfile: profiles/no-mkdir.json } }
`);
    assert.equal(procStatus(await exec(agent, id, ['cat', '/proc/1/status']), 'Seccomp'), '2');
    const unconfined = await running(agent, 'seccomp', 'unconfined');
    assert.equal(procStatus(await exec(agent, unconfined, ['cat', '/proc/1/status']), 'Seccomp'), '0');
    const local = await running(agent, 'seccomp', 'localhost');
    assert.equal(procStatus(await exec(agent, local, ['cat', '/proc/1/status']), 'Seccomp'), '2');
    const mk = await agent.cri.execSync(local, ['mkdir', '/tmp/denied'], 10);
    assert.notEqual(mk.exitCode, 0, 'the Localhost profile denies mkdir');
    await exec(agent, unconfined, ['mkdir', '/tmp/allowed']);
  });

  it('securityContext: runAsNonRoot refuses an image that runs as root, and lets a non-root image run', async () => {
    agent.writeManifest('nonroot-bad.yaml', podYaml('nonroot-bad', `
  securityContext: { runAsNonRoot: true }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`));
    const id = await deploy(agent, 'nonroot-ok', `
  securityContext: { runAsNonRoot: true }
  containers:
    - name: main
      image: busybox-nonroot:1.36
      command: ${SLEEP}
`);
    assert.equal((await exec(agent, id, ['id', '-u'])).trim(), '1000');
    // The image's WorkingDir applies when the spec names none.
    assert.equal((await exec(agent, id, ['pwd'])).trim(), '/home/user');
    const w = await configError(agent, 'nonroot-bad');
    assert.match(w.message ?? '', /container has runAsNonRoot and image will run as root/);
  });

  it('sysctls: a safe one applies; an unsafe one is refused unless --allowed-unsafe-sysctls names it', async () => {
    const id = await deploy(agent, 'sysctl-safe', `
  securityContext:
    sysctls: [{ name: net.ipv4.ip_unprivileged_port_start, value: "80" }, { name: net.ipv4.ip_local_port_range, value: "20000 20100" }]
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`);
    assert.equal((await exec(agent, id, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).trim(), '80');
    assert.equal((await exec(agent, id, ['cat', '/proc/sys/net/ipv4/ip_local_port_range'])).trim().split(/\s+/).join(' '), '20000 20100');
    const unsafe = `
  securityContext: { sysctls: [{ name: net.core.somaxconn, value: "1234" }] }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`;
    agent.writeManifest('sysctl-unsafe.yaml', podYaml('sysctl-unsafe', unsafe));
    const allowed = await deploy(strict, 'sysctl-unsafe', unsafe);
    assert.equal((await exec(strict, allowed, ['cat', '/proc/sys/net/core/somaxconn'])).trim(), '1234');
    // Refused at admission (the kubelet's sysctl admit handler): Failed, no sandbox.
    const refused = await agent.waitPod('sysctl-unsafe', 'Failed/SysctlForbidden', (p) => p.status?.phase === 'Failed' && p.status.reason === 'SysctlForbidden');
    assert.match(refused.status?.message ?? '', /forbidden sysctl: "net.core.somaxconn" not allowlisted/);
  });

  it('DNS: ClusterFirst without --cluster-dns falls back to Default, as the kubelet does', async () => {
    const id = await deploy(strict, 'dns-fallback', `
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`);
    const r = await exec(strict, id, ['cat', '/etc/resolv.conf']);
    assert.deepEqual([lines(r, 'nameserver'), lines(r, 'search')], [['192.0.2.53'], ['example.test']]);
  });

  it('policy flags refuse privileged containers, host namespaces and hostPath, naming the flag', async () => {
    const cases = [
      { name: 'deny-priv', spec: '  containers:\n    - name: main\n      image: busybox:1.36\n      command: ' + SLEEP + '\n      securityContext: { privileged: true }', flag: /--allow-privileged=false/ },
      { name: 'deny-hostnet', spec: '  hostNetwork: true\n  containers:\n    - name: main\n      image: busybox:1.36\n      command: ' + SLEEP, flag: /hostNetwork, but is disallowed by --allow-host-namespaces=false/ },
      { name: 'deny-hostpath', spec: '  volumes: [{ name: h, hostPath: { path: /tmp } }]\n  containers:\n    - name: main\n      image: busybox:1.36\n      command: ' + SLEEP, flag: /hostPath volume "h", but is disallowed by --allow-host-path=false/ },
    ];
    for (const c of cases) strict.writeManifest(`${c.name}.yaml`, podYaml(c.name, c.spec));
    for (const c of cases) {
      const w = await configError(strict, c.name);
      assert.match(w.message ?? '', c.flag);
    }
    // Nothing was made for them in the runtime.
    for (const c of cases) {
      const sbs = await strict.cri.listPodSandbox({ labelSelector: { [POD_NAME_LABEL]: `${c.name}-${strict.nodeName}` } });
      assert.equal(sbs.length, 0, `${c.name} has no sandbox`);
    }
    // The same pods run on the default policy.
    await deploy(agent, 'allow-priv', cases[0]!.spec);
  });

  it('a field mini-kubelet cannot honour gives CreateContainerConfigError with a precise message', async () => {
    agent.writeManifest('unsupported.yaml', podYaml('unsupported', `
  runtimeClassName: gvisor
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`));
    agent.writeManifest('unmasked.yaml', podYaml('unmasked', `
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      securityContext: { procMount: Unmasked }
`));
    agent.writeManifest('elsewhere.yaml', podYaml('elsewhere', `
  nodeSelector: { disktype: ssd }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`));
    assert.match((await configError(agent, 'unsupported')).message ?? '', /runtimeClassName "gvisor" is not supported/);
    // A node selector this node does not match is refused at admission: Failed, not a config error.
    const elsewhere = await agent.waitPod('elsewhere', 'Failed/NodeAffinity', (p) => p.status?.phase === 'Failed' && p.status.reason === 'NodeAffinity');
    assert.match(elsewhere.status?.message ?? '', /NodeAffinity failed: node\(s\) didn't match Pod's node affinity\/selector/);
    assert.match((await configError(agent, 'unmasked')).message ?? '', /procMount Unmasked is not supported/);
    // The agent's logger writes asynchronously: the line may come just after the status.
    await agent.waitFor('the refusal in the agent log', () => /runtimeClassName \\"gvisor\\" is not supported/.test(agent.output()), 10_000);
  });
});
