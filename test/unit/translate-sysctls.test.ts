// The node's sysctl allowlist: the kubelet's safe set by kernel, namespaced names and patterns (the admit handler's cases are in admission-sysctls.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namespacedBy, safeSysctls, SysctlAllowlist } from '../../src/podworker/translate/sysctls.js';

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
