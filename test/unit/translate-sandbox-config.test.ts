// generatePodSandboxConfig: metadata, hostname rules, log directory, DNS, ports, namespaces, security and sysctls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { generatePodSandboxConfig, podHostname, SandboxConfigError, sysctlName, type SandboxOptions } from '../../src/podworker/translate/sandbox-config.js';

const opts: SandboxOptions = { nodeName: 'node-1', podLogsDir: '/var/log/pods', resolvConf: 'nameserver 192.168.1.1\n', cgroupParent: '/kubepods/pod-u-1' };
const pod = (spec: Partial<V1PodSpec> = {}, name = 'web'): V1Pod => ({
  metadata: { name, namespace: 'prod', uid: 'u-1', labels: { app: 'web' }, annotations: { a: '1' } },
  spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
});

test('sandbox: metadata, labels, annotations, log directory, cgroup parent', () => {
  const c = generatePodSandboxConfig(pod(), 2, opts);
  assert.deepEqual(c.metadata, { name: 'web', uid: 'u-1', namespace: 'prod', attempt: 2 });
  assert.equal(c.logDirectory, '/var/log/pods/prod_web_u-1');
  assert.equal(c.labels!['io.kubernetes.pod.uid'], 'u-1');
  assert.equal(c.labels!['mini-kubelet.io/node-name'], 'node-1');
  assert.equal(c.labels!.app, 'web');
  assert.deepEqual(c.annotations, { a: '1' });
  assert.equal(c.linux!.cgroupParent, '/kubepods/pod-u-1');
  // ClusterFirst without cluster DNS falls back to the node's resolv.conf.
  assert.deepEqual(c.dnsConfig, { servers: ['192.168.1.1'], searches: [], options: [] });
});

const hostnames: { name: string; pod: V1Pod; domain?: string; want: string | undefined }[] = [
  { name: 'the pod name by default', pod: pod(), want: 'web' },
  { name: 'spec.hostname wins', pod: pod({ hostname: 'db-0' }), want: 'db-0' },
  { name: 'a long pod name is cut to 63 without trailing - or .', pod: pod({}, `${'a'.repeat(61)}--bbb`), want: 'a'.repeat(61) },
  { name: 'a subdomain without setHostnameAsFQDN keeps the short name', pod: pod({ hostname: 'db-0', subdomain: 'db' }), domain: 'cluster.local', want: 'db-0' },
  { name: 'setHostnameAsFQDN with a subdomain gives the FQDN', pod: pod({ hostname: 'db-0', subdomain: 'db', setHostnameAsFQDN: true }), domain: 'cluster.local', want: 'db-0.db.prod.svc.cluster.local' },
  { name: 'EMPTY for hostNetwork pods (no UTS namespace of their own)', pod: pod({ hostNetwork: true, hostname: 'db-0' }), want: undefined },
];
for (const h of hostnames) {
  test(`sandbox hostname: ${h.name}`, () => {
    assert.equal(generatePodSandboxConfig(h.pod, 0, { ...opts, clusterDomain: h.domain }).hostname, h.want);
  });
}

test('sandbox hostname: invalid hostname and an over-long FQDN are SandboxConfigErrors', () => {
  assert.throws(() => podHostname(pod({ hostname: 'Not_Valid' })), SandboxConfigError);
  assert.throws(
    () => podHostname(pod({ hostname: 'h'.repeat(40), subdomain: 'sub', setHostnameAsFQDN: true }), 'cluster.local'),
    /FQDN .* is too long \(64 characters is the max, 67 characters requested\)/,
  );
});

test('sandbox: port mappings from the regular containers, named duplicates dropped, TCP by default', () => {
  const c = generatePodSandboxConfig(
    pod({
      containers: [
        { name: 'a', ports: [{ name: 'http', containerPort: 80, hostPort: 8080 }, { name: 'http', containerPort: 81 }, { containerPort: 53, protocol: 'UDP', hostPort: 5353, hostIP: '127.0.0.1' }] },
        { name: 'b', ports: [{ containerPort: 9090 }] },
      ],
      initContainers: [{ name: 'i', ports: [{ containerPort: 1, hostPort: 1 }] }],
    }),
    0,
    opts,
  );
  assert.deepEqual(c.portMappings, [
    { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' },
    { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
    { protocol: 'TCP', containerPort: 9090, hostPort: 0, hostIp: '' },
  ]);
  assert.equal(generatePodSandboxConfig(pod(), 0, opts).portMappings, undefined);
});

const namespaces: { name: string; spec: Partial<V1PodSpec>; want: object }[] = [
  { name: 'defaults: pod network and IPC, per-container PID', spec: {}, want: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
  { name: 'hostNetwork/hostPID/hostIPC: node namespaces', spec: { hostNetwork: true, hostPID: true, hostIPC: true }, want: { network: 'NODE', pid: 'NODE', ipc: 'NODE' } },
  { name: 'shareProcessNamespace: pod PID namespace', spec: { shareProcessNamespace: true }, want: { network: 'POD', pid: 'POD', ipc: 'POD' } },
];
for (const n of namespaces) {
  test(`sandbox namespaces: ${n.name}`, () => {
    assert.deepEqual(generatePodSandboxConfig(pod(n.spec), 0, opts).linux!.securityContext!.namespaceOptions, n.want);
  });
}

test('sandbox security context: users, groups (fsGroup first), privileged if any container is, RuntimeDefault seccomp; sysctls', () => {
  const c = generatePodSandboxConfig(
    pod({
      securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000, supplementalGroups: [4000], sysctls: [{ name: 'net/ipv4/ip_unprivileged_port_start', value: '0' }, { name: 'kernel.shm_rmid_forced', value: '1' }] },
      initContainers: [{ name: 'i', securityContext: { privileged: true } }],
    }),
    0,
    opts,
  );
  assert.deepEqual(c.linux!.securityContext, {
    namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' },
    privileged: true,
    seccomp: { profileType: 'RuntimeDefault' },
    runAsUser: { value: 1000 },
    runAsGroup: { value: 2000 },
    supplementalGroups: [3000, 4000],
  });
  assert.deepEqual(c.linux!.sysctls, { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shm_rmid_forced': '1' });
});

test('sysctlName: slashes become dots, and dots inside a slash-separated name become slashes', () => {
  assert.equal(sysctlName('net.ipv4.ip_forward'), 'net.ipv4.ip_forward');
  assert.equal(sysctlName('net/ipv4/ip_forward'), 'net.ipv4.ip_forward');
  assert.equal(sysctlName('net/ipv4/conf/eno2.100/rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
});

const qosPods: { name: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> }; root: string; want: string }[] = [
  { name: 'BestEffort under kubepods/besteffort', root: '/', want: '/kubepods/besteffort/podu-1' },
  { name: 'Burstable under kubepods/burstable', resources: { requests: { memory: '64Mi' } }, root: '/', want: '/kubepods/burstable/podu-1' },
  { name: 'Guaranteed directly under kubepods', resources: { requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } }, root: '/', want: '/kubepods/podu-1' },
  { name: 'below a --cgroup-root', root: '/mini/node-1/', want: '/mini/node-1/kubepods/besteffort/podu-1' },
];
for (const q of qosPods) {
  test(`sandbox cgroup parent per QoS: ${q.name}`, () => {
    const p = pod({ containers: [{ name: 'app', image: 'busybox', resources: q.resources }] });
    const { cgroupParent: _fixed, ...perPod } = opts;
    assert.equal(generatePodSandboxConfig(p, 0, { ...perPod, cgroupRoot: q.root }).linux!.cgroupParent, q.want);
  });
}

test('sandbox cgroup parent: none without a cgroup root (the runtime decides)', () => {
  const { cgroupParent: _fixed, ...perPod } = opts;
  assert.equal(generatePodSandboxConfig(pod(), 0, perPod).linux!.cgroupParent, undefined);
});
