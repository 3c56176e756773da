// Pod sysctls against the node's allowlist: the kubelet's safe set, --allowed-unsafe-sysctls names and patterns, host namespaces (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError } from '../../src/podworker/translate/errors.js';
import { checkPodSysctls, namespacedBy, safeSysctls, SysctlAllowlist } from '../../src/podworker/translate/sysctls.js';

const pod = (sysctls: Record<string, string>, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { containers: [{ name: 'a', image: 'busybox' }], securityContext: { sysctls: Object.entries(sysctls).map(([name, value]) => ({ name, value })) }, ...extra },
});

const SAFE = new SysctlAllowlist(safeSysctls());
const cases: { name: string; pod: V1Pod; allow?: string[]; refused?: RegExp }[] = [
  { name: 'no sysctls', pod: pod({}) },
  { name: 'safe: net.ipv4.ip_local_port_range', pod: pod({ 'net.ipv4.ip_local_port_range': '20000 30000' }) },
  { name: 'safe: kernel.shm_rmid_forced', pod: pod({ 'kernel.shm_rmid_forced': '1' }) },
  { name: 'safe, written with slashes', pod: pod({ 'net/ipv4/tcp_syncookies': '1' }) },
  { name: 'unsafe without the flag: refused, naming it and the flag', pod: pod({ 'net.core.somaxconn': '1024' }), refused: /forbidden sysctl: "net.core.somaxconn" not allowlisted.*--allowed-unsafe-sysctls/ },
  { name: 'unsafe named by the flag', pod: pod({ 'net.core.somaxconn': '1024' }), allow: ['net.core.somaxconn'] },
  { name: 'unsafe matched by a flag pattern', pod: pod({ 'kernel.msgmax': '65536' }), allow: ['kernel.msg*'] },
  { name: 'a pattern does not match another prefix', pod: pod({ 'kernel.sem': '1 2 3 4' }), allow: ['kernel.msg*'], refused: /"kernel.sem" not allowlisted/ },
  { name: 'a net sysctl with hostNetwork: refused', pod: pod({ 'net.ipv4.ip_local_port_range': '20000 30000' }, { hostNetwork: true }), refused: /not allowed with host net enabled/ },
  { name: 'an ipc sysctl with hostIPC: refused', pod: pod({ 'kernel.shm_rmid_forced': '1' }, { hostIPC: true }), refused: /"kernel.shm_rmid_forced" not allowed with host ipc enabled/ },
  { name: 'a net sysctl with hostIPC only: fine', pod: pod({ 'net.ipv4.tcp_syncookies': '1' }, { hostIPC: true }) },
];
for (const tc of cases) {
  test(`sysctls: ${tc.name}`, () => {
    const list = tc.allow ? new SysctlAllowlist([...safeSysctls(), ...tc.allow]) : SAFE;
    if (!tc.refused) return assert.doesNotThrow(() => checkPodSysctls(tc.pod, list));
    assert.throws(() => checkPodSysctls(tc.pod, list), (e: unknown) => e instanceof ContainerConfigError && tc.refused!.test(e.message));
  });
}

test('sysctls: the allowlist refuses names not known to be namespaced (vm.*, kernel.pid_max)', () => {
  assert.throws(() => new SysctlAllowlist(['vm.swappiness']), /not known to be namespaced/);
  assert.throws(() => new SysctlAllowlist(['kernel.*']), /not known to be namespaced/);
  assert.doesNotThrow(() => new SysctlAllowlist(['net.*', 'fs.mqueue.*', 'kernel.sem']));
});

test('sysctls: NamespacedBy', () => {
  assert.equal(namespacedBy('kernel.sem'), 'ipc');
  assert.equal(namespacedBy('kernel.shmmax'), 'ipc');
  assert.equal(namespacedBy('fs.mqueue.msg_max'), 'ipc');
  assert.equal(namespacedBy('net.core.somaxconn'), 'net');
  assert.equal(namespacedBy('kernel.pid_max'), undefined);
});

test('sysctls: the safe set depends on the kernel (tcp_rmem needs 4.15, tcp_keepalive_time 4.5)', () => {
  assert.equal(safeSysctls('4.4.0').includes('net.ipv4.tcp_keepalive_time'), false);
  assert.equal(safeSysctls('4.4.0').includes('net.ipv4.ip_local_reserved_ports'), true);
  assert.equal(safeSysctls('4.14.300-foo').includes('net.ipv4.tcp_rmem'), false);
  assert.equal(safeSysctls('6.18.44-fc').includes('net.ipv4.tcp_rmem'), true);
  assert.equal(safeSysctls().length, 12);
});
