// The sysctl admit handler: the kubelet's safe set, --allowed-unsafe-sysctls names and patterns, host namespaces; reason and message as the kubelet's (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { admitSysctls } from '../../src/admission/sysctls.js';
import { safeSysctls, SysctlAllowlist } from '../../src/podworker/translate/sysctls.js';

const pod = (sysctls: Record<string, string>, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { containers: [{ name: 'a', image: 'busybox' }], securityContext: { sysctls: Object.entries(sysctls).map(([name, value]) => ({ name, value })) }, ...extra },
});

const SAFE = new SysctlAllowlist(safeSysctls());
const cases: { name: string; pod: V1Pod; allow?: string[]; message?: string }[] = [
  { name: 'no sysctls', pod: pod({}) },
  { name: 'no securityContext at all', pod: { metadata: { name: 'p', uid: 'u' }, spec: { containers: [{ name: 'a' }] } } },
  { name: 'safe: net.ipv4.ip_local_port_range', pod: pod({ 'net.ipv4.ip_local_port_range': '20000 30000' }) },
  { name: 'safe: kernel.shm_rmid_forced', pod: pod({ 'kernel.shm_rmid_forced': '1' }) },
  { name: 'safe, written with slashes', pod: pod({ 'net/ipv4/tcp_syncookies': '1' }) },
  { name: 'unsafe without the flag', pod: pod({ 'net.core.somaxconn': '1024' }), message: 'forbidden sysctl: "net.core.somaxconn" not allowlisted' },
  { name: 'unsafe named by the flag', pod: pod({ 'net.core.somaxconn': '1024' }), allow: ['net.core.somaxconn'] },
  { name: 'unsafe matched by a flag pattern', pod: pod({ 'kernel.msgmax': '65536' }), allow: ['kernel.msg*'] },
  { name: 'a pattern does not match another prefix', pod: pod({ 'kernel.sem': '1 2 3 4' }), allow: ['kernel.msg*'], message: 'forbidden sysctl: "kernel.sem" not allowlisted' },
  { name: 'the first forbidden one is named', pod: pod({ 'net.ipv4.tcp_syncookies': '1', 'kernel.msgmax': '1', 'net.core.somaxconn': '1' }), message: 'forbidden sysctl: "kernel.msgmax" not allowlisted' },
  { name: 'a net sysctl with hostNetwork', pod: pod({ 'net.ipv4.ip_local_port_range': '20000 30000' }, { hostNetwork: true }), message: 'forbidden sysctl: "net.ipv4.ip_local_port_range" not allowed with host net enabled' },
  { name: 'an unsafe pattern sysctl with hostNetwork', pod: pod({ 'net.core.somaxconn': '1' }, { hostNetwork: true }), allow: ['net.core.*'], message: 'forbidden sysctl: "net.core.somaxconn" not allowed with host net enabled' },
  { name: 'an ipc sysctl with hostIPC', pod: pod({ 'kernel.shm_rmid_forced': '1' }, { hostIPC: true }), message: 'forbidden sysctl: "kernel.shm_rmid_forced" not allowed with host ipc enabled' },
  { name: 'a net sysctl with hostIPC only: fine', pod: pod({ 'net.ipv4.tcp_syncookies': '1' }, { hostIPC: true }) },
];
for (const tc of cases) {
  test(`admission sysctls: ${tc.name}`, () => {
    const list = tc.allow ? new SysctlAllowlist([...safeSysctls(), ...tc.allow]) : SAFE;
    const got = admitSysctls(tc.pod, list);
    if (!tc.message) return assert.deepEqual(got, { admit: true });
    assert.deepEqual(got, { admit: false, reason: 'SysctlForbidden', message: tc.message });
  });
}
