// What the node refuses before a sandbox: policy flags (privileged, host namespaces, hostPath) and fields mini-kubelet cannot honour (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { generateContainerConfig } from '../../src/podworker/translate/container-config.js';
import { ContainerConfigError } from '../../src/podworker/translate/errors.js';
import { ALLOW_ALL, checkPodPolicy, type NodePolicy } from '../../src/podworker/translate/policy.js';
import { generatePodSandboxConfig } from '../../src/podworker/translate/sandbox-config.js';
import { checkContainerFields, checkPodFields } from '../../src/podworker/translate/unsupported.js';

const pod = (spec: Partial<V1Pod['spec']> = {}, containers: V1Container[] = [{ name: 'a', image: 'busybox' }]): V1Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u-1' },
  spec: { containers, ...spec },
});
const privileged: V1Container = { name: 'priv', image: 'busybox', securityContext: { privileged: true } };

const policies: { name: string; pod: V1Pod; policy: Partial<NodePolicy>; refused?: RegExp }[] = [
  { name: 'everything is allowed by default (static pods, as the kubelet allows them)', pod: pod({ hostNetwork: true, hostPID: true, volumes: [{ name: 'h', hostPath: { path: '/tmp' } }] }, [privileged]), policy: {} },
  { name: '--allow-privileged=false refuses a privileged container', pod: pod({}, [privileged]), policy: { allowPrivileged: false }, refused: /privileged container "priv", but is disallowed by --allow-privileged=false/ },
  { name: '--allow-privileged=false refuses a privileged init container', pod: pod({ initContainers: [privileged] }), policy: { allowPrivileged: false }, refused: /--allow-privileged=false/ },
  { name: '--allow-privileged=false lets an unprivileged pod run', pod: pod(), policy: { allowPrivileged: false } },
  { name: '--allow-host-namespaces=false names each host namespace asked for', pod: pod({ hostNetwork: true, hostIPC: true }), policy: { allowHostNamespaces: false }, refused: /specified hostNetwork, hostIPC, but is disallowed by --allow-host-namespaces=false/ },
  { name: '--allow-host-namespaces=false and shareProcessNamespace is fine', pod: pod({ shareProcessNamespace: true }), policy: { allowHostNamespaces: false } },
  { name: '--allow-host-path=false refuses a hostPath volume', pod: pod({ volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }] }), policy: { allowHostPath: false }, refused: /hostPath volume "logs", but is disallowed by --allow-host-path=false/ },
  { name: '--allow-host-path=false and an emptyDir is fine', pod: pod({ volumes: [{ name: 'e', emptyDir: {} }] }), policy: { allowHostPath: false } },
];
for (const tc of policies) {
  test(`policy: ${tc.name}`, () => {
    const policy = { ...ALLOW_ALL, ...tc.policy };
    if (!tc.refused) return assert.doesNotThrow(() => checkPodPolicy(tc.pod, policy));
    assert.throws(() => checkPodPolicy(tc.pod, policy), (e: unknown) => e instanceof ContainerConfigError && tc.refused!.test(e.message));
  });
}

const fields: { name: string; pod?: V1Pod; container?: V1Container; appArmor?: boolean; refused?: RegExp }[] = [
  { name: 'os linux is fine', pod: pod({ os: { name: 'linux' } }) },
  { name: 'os windows', pod: pod({ os: { name: 'windows' } }), refused: /pod OS "windows" does not match the node's OS "linux"/ },
  { name: 'runtimeClassName', pod: pod({ runtimeClassName: 'gvisor' }), refused: /runtimeClassName "gvisor" is not supported/ },
  { name: 'hostUsers: false', pod: pod({ hostUsers: false }), refused: /user namespaces/ },
  { name: 'hostUsers: true is the default and fine', pod: pod({ hostUsers: true }) },
  { name: 'resourceClaims', pod: pod({ resourceClaims: [{ name: 'gpu' }] }), refused: /resourceClaims/ },
  { name: 'pod-level resources', pod: pod({ resources: { limits: { cpu: '1' } } }), refused: /pod-level resources/ },
  { name: 'supplementalGroupsPolicy Strict', pod: pod({ securityContext: { supplementalGroupsPolicy: 'Strict' } }), refused: /supplementalGroupsPolicy Strict/ },
  { name: 'supplementalGroupsPolicy Merge is what the runtime does', pod: pod({ securityContext: { supplementalGroupsPolicy: 'Merge' } }) },
  { name: 'pod AppArmor RuntimeDefault without AppArmor', pod: pod({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }), refused: /Cannot enforce AppArmor: AppArmor is not enabled on the host/ },
  { name: 'pod AppArmor Unconfined without AppArmor is fine', pod: pod({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }) },
  { name: 'pod AppArmor RuntimeDefault with AppArmor', pod: pod({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }), appArmor: true },
  { name: 'a hugepages limit', container: { name: 'a', resources: { limits: { 'hugepages-2Mi': '4Mi', memory: '8Mi' } } }, refused: /limits.hugepages-2Mi: huge pages are not supported/ },
  { name: 'an extended resource runs with nothing allocated, as with no device plugin', container: { name: 'a', resources: { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '1' } } } },
  { name: 'a kubernetes.io resource that is not a node resource', container: { name: 'a', resources: { limits: { 'kubernetes.io/foo': '1' } } }, refused: /limits.kubernetes.io\/foo: not a resource this node knows/ },
  { name: 'an ephemeral-storage limit runs (the kubelet enforces it only by eviction)', container: { name: 'a', resources: { limits: { 'ephemeral-storage': '1Gi' } } } },
  { name: 'an ephemeral-storage request is a scheduling hint: fine', container: { name: 'a', resources: { requests: { 'ephemeral-storage': '1Gi' } } } },
  { name: 'resources.claims', container: { name: 'a', resources: { claims: [{ name: 'gpu' }] } }, refused: /resources.claims/ },
  { name: 'volumeDevices', container: { name: 'a', volumeDevices: [{ name: 'v', devicePath: '/dev/xvda' }] }, refused: /volumeDevices/ },
  { name: 'procMount Unmasked', container: { name: 'a', securityContext: { procMount: 'Unmasked' } }, refused: /procMount Unmasked is not supported/ },
  { name: 'container AppArmor Localhost without AppArmor', container: { name: 'a', securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'x' } } }, refused: /container a appArmorProfile Localhost/ },
];
for (const tc of fields) {
  test(`unsupported field: ${tc.name}`, () => {
    const run = () => (tc.pod ? checkPodFields(tc.pod, tc.appArmor) : checkContainerFields(tc.container!, tc.appArmor));
    if (!tc.refused) return assert.doesNotThrow(run);
    assert.throws(run, (e: unknown) => e instanceof ContainerConfigError && tc.refused!.test(e.message));
  });
}

test('the sandbox config refuses before anything is made, and the container config again', () => {
  const p = pod({ hostPID: true, securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1' }] } });
  const opts = { nodeName: 'n', podLogsDir: '/l' };
  // A forbidden sysctl is admission's to refuse (admission/sysctls.ts); a pod here was admitted.
  assert.doesNotThrow(() => generatePodSandboxConfig(p, 0, opts));
  assert.throws(() => generatePodSandboxConfig(p, 0, { ...opts, policy: { ...ALLOW_ALL, allowHostNamespaces: false } }), /--allow-host-namespaces=false/);
  assert.throws(() => generatePodSandboxConfig(pod({ runtimeClassName: 'x' }), 0, opts), ContainerConfigError);
  assert.throws(
    () => generateContainerConfig(p, p.spec!.containers[0]!, 'regular', 0, { nodeName: 'n', policy: { ...ALLOW_ALL, allowHostNamespaces: false } }),
    /--allow-host-namespaces=false/,
  );
});
