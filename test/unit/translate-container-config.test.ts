// generateContainerConfig: metadata, image, command/args, env, mounts, log path, tty, resources and security context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod, V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import { ContainerConfigError, generateContainerConfig, type ContainerOptions } from '../../src/podworker/translate/container-config.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../src/podworker/translate/security.js';

const opts: ContainerOptions = { nodeName: 'node-1', podIP: '10.0.0.5', podIPs: ['10.0.0.5'], hostIP: '192.168.1.2' };
const pod = (c: V1Container, sc?: V1PodSecurityContext, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1' },
  spec: { containers: [c], securityContext: sc, ...extra },
});

test('container config: the whole shape for a typical container', () => {
  const c: V1Container = {
    name: 'app',
    image: 'busybox:1.36',
    command: ['sh', '-c'],
    args: ['echo $(GREETING) from $(POD_NAME) $$(HOME) $(UNSET)'],
    workingDir: '/work',
    env: [{ name: 'GREETING', value: 'hello' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    stdin: true,
    tty: true,
    resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } },
  };
  const mounts = [{ containerPath: '/data', hostPath: '/var/lib/x/data', readonly: true }];
  const cfg = generateContainerConfig(pod(c), c, 'regular', 2, { ...opts, mounts });
  assert.deepEqual(cfg.metadata, { name: 'app', attempt: 2 });
  assert.deepEqual(cfg.image, { image: 'busybox:1.36' });
  assert.deepEqual(cfg.command, ['sh', '-c']);
  assert.deepEqual(cfg.args, ['echo hello from web $(HOME) $(UNSET)']);
  assert.equal(cfg.workingDir, '/work');
  assert.deepEqual(cfg.envs, [{ key: 'GREETING', value: 'hello' }, { key: 'POD_NAME', value: 'web' }]);
  assert.deepEqual(cfg.mounts, mounts);
  assert.equal(cfg.logPath, 'app/2.log');
  assert.deepEqual([cfg.stdin, cfg.stdinOnce, cfg.tty], [true, false, true]);
  assert.equal(cfg.labels!['mini-kubelet.io/container-type'], 'regular');
  assert.equal(cfg.annotations!['io.kubernetes.container.restartCount'], '2');
  assert.deepEqual(cfg.linux!.resources, { cpuShares: 256, cpuPeriod: 100_000, cpuQuota: 50_000, memoryLimitInBytes: 67_108_864 });
});

test('container config: no command/args means the image decides (fields absent); no mounts is []', () => {
  const c: V1Container = { name: 'app', image: 'busybox' };
  const cfg = generateContainerConfig(pod(c), c, 'init', 0, opts);
  assert.equal('command' in cfg, false);
  assert.equal('args' in cfg, false);
  assert.equal(cfg.workingDir, undefined);
  assert.deepEqual(cfg.mounts, []);
  assert.equal(cfg.logPath, 'app/0.log');
});

const base = { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, privileged: false, readonlyRootfs: false, noNewPrivs: false, seccomp: { profileType: 'Unconfined' }, maskedPaths: DEFAULT_MASKED_PATHS, readonlyPaths: DEFAULT_READONLY_PATHS };
const security: { name: string; podSc?: V1PodSecurityContext; sc?: V1SecurityContext; hostNetwork?: boolean; want: object }[] = [
  { name: 'nothing set: defaults, Unconfined seccomp, default masked paths', want: base },
  {
    name: 'pod runAsUser/Group and groups apply; the container overrides the user',
    podSc: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000] },
    sc: { runAsUser: 1001 },
    want: { ...base, runAsUser: { value: 1001 }, runAsGroup: { value: 1000 }, supplementalGroups: [2000, 3000] },
  },
  {
    name: 'capabilities go as the API names them (the runtime adds CAP_), ALL stays ALL',
    sc: { capabilities: { add: ['NET_ADMIN', 'sys_time'], drop: ['ALL'] } },
    want: { ...base, capabilities: { addCapabilities: ['NET_ADMIN', 'sys_time'], dropCapabilities: ['ALL'] } },
  },
  { name: 'allowPrivilegeEscalation=false sets noNewPrivs', sc: { allowPrivilegeEscalation: false }, want: { ...base, noNewPrivs: true } },
  { name: 'allowPrivilegeEscalation=true does not', sc: { allowPrivilegeEscalation: true }, want: base },
  { name: 'privileged and readOnlyRootFilesystem', sc: { privileged: true, readOnlyRootFilesystem: true }, want: { ...base, privileged: true, readonlyRootfs: true } },
  { name: 'pod seccomp RuntimeDefault applies', podSc: { seccompProfile: { type: 'RuntimeDefault' } }, want: { ...base, seccomp: { profileType: 'RuntimeDefault' } } },
  {
    name: 'container seccomp Localhost wins over the pod’s, under the profile root',
    podSc: { seccompProfile: { type: 'RuntimeDefault' } },
    sc: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } },
    want: { ...base, seccomp: { profileType: 'Localhost', localhostRef: '/var/lib/kubelet/seccomp/profiles/audit.json' } },
  },
  { name: 'procMount Default keeps the masks', sc: { procMount: 'Default' }, want: base },
  { name: 'namespaces match the sandbox’s (hostNetwork)', hostNetwork: true, want: { ...base, namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
];
for (const s of security) {
  test(`container security context: ${s.name}`, () => {
    const c: V1Container = { name: 'app', image: 'busybox', securityContext: s.sc };
    const cfg = generateContainerConfig(pod(c, s.podSc, { hostNetwork: s.hostNetwork }), c, 'regular', 0, opts);
    assert.deepEqual(cfg.linux!.securityContext, s.want);
  });
}

test('container config errors are ContainerConfigError with a precise message', () => {
  const check = (c: V1Container, re: RegExp) =>
    assert.throws(() => generateContainerConfig(pod(c), c, 'regular', 0, opts), (e: unknown) => e instanceof ContainerConfigError && re.test(e.message));
  check({ name: 'app' }, /container app has no image/);
  check({ name: 'app', image: 'b', securityContext: { seccompProfile: { type: 'Localhost' } } }, /localhostProfile must be set/);
  check({ name: 'app', image: 'b', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, /couldn't get secret prod\/s/);
  check({ name: 'app', image: 'b', securityContext: { capabilities: { add: ['CAP_NET_ADMIN'] } } }, /unknown capability "CAP_NET_ADMIN" \(write it without the CAP_ prefix: NET_ADMIN\)/);
  check({ name: 'app', image: 'b', securityContext: { capabilities: { drop: ['NET_FLY'] } } }, /container app: unknown capability "NET_FLY"$/);
  check({ name: 'app', image: 'b', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../etc/x.json' } } }, /must be a path below the seccomp profile root/);
  check({ name: 'app', image: 'b', securityContext: { procMount: 'Unmasked' } }, /procMount Unmasked is not supported/);
});

test('container config: oom_score_adj by QoS from the node memory capacity (or allocatable memory); none when unknown', () => {
  const burstable: V1Container = { name: 'app', image: 'b', resources: { requests: { memory: '1Gi' } } };
  const adj = (o: Partial<ContainerOptions>, c: V1Container = burstable) => generateContainerConfig(pod(c), c, 'regular', 0, { ...opts, ...o }).linux!.resources!.oomScoreAdj;
  assert.equal(adj({ memoryCapacity: 4 * 1024 ** 3 }), 750);
  assert.equal(adj({ allocatable: { cpu: '2', memory: '8Gi' } }), 875);
  assert.equal(adj({}), undefined);
  assert.equal(adj({ memoryCapacity: 1024 ** 3 }, { name: 'app', image: 'b' }), 1000);
});

test('container config: seccomp Localhost is joined and cleaned under the node’s profile root', () => {
  const c: V1Container = { name: 'app', image: 'b', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'a/./b.json' } } };
  const cfg = generateContainerConfig(pod(c), c, 'regular', 0, { ...opts, seccompProfileRoot: '/var/lib/mini-kubelet/seccomp' });
  assert.deepEqual(cfg.linux!.securityContext!.seccomp, { profileType: 'Localhost', localhostRef: '/var/lib/mini-kubelet/seccomp/a/b.json' });
});
