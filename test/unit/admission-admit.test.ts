// admitPod: the kubelet's admit handlers in order (sysctls, then OS, resources, NodeAffinity, NodeName, NodePorts) for a critical (static) pod and for a pod from the API server, with their reasons and messages (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1ContainerPort, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { admitPod } from '../../src/admission/admit.js';
import { defaultNodeLabels } from '../../src/admission/node-affinity.js';
import type { AdmissionNode } from '../../src/admission/types.js';
import { safeSysctls, SysctlAllowlist } from '../../src/podworker/translate/sysctls.js';

const NODE: AdmissionNode = {
  name: 'node-1',
  labels: defaultNodeLabels('node-1', 'amd64'),
  allocatable: {
    milliCPU: 2000,
    memory: 4 * 2 ** 30,
    ephemeralStorage: 10 * 2 ** 30,
    pods: 3,
    // 4 pre-allocated 2Mi pages; the kernel has 1Gi pages, none allocated.
    scalarResources: { 'hugepages-2Mi': 8 * 2 ** 20, 'hugepages-1Gi': 0 },
  },
  sysctls: new SysctlAllowlist(safeSysctls()),
};
/** The same node with a device plugin's example.com/gpu: 2. */
const GPU_NODE: AdmissionNode = { ...NODE, allocatable: { ...NODE.allocatable, scalarResources: { ...NODE.allocatable.scalarResources, 'example.com/gpu': 2 } } };

let n = 0;
/** A static pod (from a manifest file): critical, whatever its priority. */
const pod = (spec: Partial<V1PodSpec> = {}, labels?: Record<string, string>): V1Pod => ({
  metadata: { name: `p${++n}`, namespace: 'default', uid: `uid-${n}`, annotations: { 'kubernetes.io/config.source': 'file' }, ...(labels ? { labels } : {}) },
  spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec },
});
const requesting = (cpu?: string, memory?: string, extra: Partial<V1Container> = {}): V1Pod =>
  pod({ containers: [{ name: 'main', resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } }, ...extra }] });
/** A pod whose one container requests `requests` (hugepages need an equal limit in the API; admission reads requests only). */
const asking = (requests: Record<string, string>, init: Record<string, string>[] = []): V1Pod =>
  pod({ containers: [{ name: 'main', resources: { requests } }], initContainers: init.map((r, i) => ({ name: `init-${i}`, resources: { requests: r } })) });
const withPorts = (ports: V1ContainerPort[], spec: Partial<V1PodSpec> = {}): V1Pod => pod({ containers: [{ name: 'main', ports }], ...spec });

const NODE_PORTS = { admit: false, reason: 'NodePorts', message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" };
const NODE_AFFINITY = { admit: false, reason: 'NodeAffinity', message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" };
const NODE_NAME = { admit: false, reason: 'NodeName', message: "Predicate NodeName failed: node(s) didn't match the requested node name" };
const OK = { admit: true };
/** What the kubelet says when a critical pod lacks only resources and no pod can be preempted; `list` is the "(res: ..., q: ...), " entries. */
const unexpected = (list: string) => ({
  admit: false,
  reason: 'UnexpectedAdmissionError',
  message: `Unexpected error while attempting to recover from admission failure: preemption: error finding a set of pods to preempt: no set of running pods found to reclaim resources: [${list}]`,
});

const cases: { name: string; pod: V1Pod; others?: V1Pod[]; node?: AdmissionNode; want: object }[] = [
  { name: 'a plain pod on an empty node', pod: pod(), want: OK },
  // resources: a static pod is critical, so running out is a failed preemption listing every shortfall
  { name: 'cpu within allocatable', pod: requesting('2'), want: OK },
  { name: 'cpu only: requested minus what is left, in millicores', pod: requesting('64'), want: unexpected('(res: cpu, q: 62000), ') },
  {
    name: 'cpu counted against what admitted pods request (the kubelet log: q 2550)',
    pod: requesting('4'),
    others: [requesting('300m'), requesting('250m', '1Gi')],
    want: unexpected('(res: cpu, q: 2550), '),
  },
  { name: 'exactly what is left fits', pod: requesting('1450m'), others: [requesting('300m'), requesting('250m')], want: OK },
  { name: 'memory only, in bytes', pod: requesting(undefined, '5Gi'), want: unexpected(`(res: memory, q: ${2 ** 30}), `) },
  { name: 'cpu and memory both short: both listed, cpu first', pod: requesting('3', '5Gi'), want: unexpected(`(res: cpu, q: 1000), (res: memory, q: ${2 ** 30}), `) },
  { name: 'limits do not count, only requests', pod: pod({ containers: [{ name: 'main', resources: { limits: { cpu: '64' }, requests: { cpu: '1' } } }] }), want: OK },
  { name: 'a pod with no requests fits an overcommitted node', pod: pod(), others: [requesting('3')], want: OK },
  { name: 'a memory-only pod is not refused for cpu others overcommitted', pod: requesting(undefined, '1Gi'), others: [requesting('3')], want: OK },
  { name: 'a big init container counts', pod: pod({ initContainers: [{ name: 'init', resources: { requests: { cpu: '4' } } }] }), want: unexpected('(res: cpu, q: 2000), ') },
  { name: 'pods: one more pod than --max-pods allows', pod: pod(), others: [pod(), pod(), pod()], want: unexpected('(res: pods, q: 1), ') },
  { name: 'pods and cpu both short: pods listed first', pod: requesting('64'), others: [pod(), pod(), pod()], want: unexpected('(res: pods, q: 1), (res: cpu, q: 62000), ') },
  // ephemeral-storage, hugepages and extended resources, as noderesources.Fits checks them
  { name: 'ephemeral-storage within allocatable', pod: asking({ 'ephemeral-storage': '10Gi' }), want: OK },
  { name: 'ephemeral-storage short, in bytes', pod: asking({ 'ephemeral-storage': '11Gi' }), want: unexpected(`(res: ephemeral-storage, q: ${2 ** 30}), `) },
  {
    name: 'ephemeral-storage counted against what admitted pods request',
    pod: asking({ 'ephemeral-storage': '6Gi' }),
    others: [asking({ 'ephemeral-storage': '3Gi' }), asking({ 'ephemeral-storage': '2Gi' })],
    want: unexpected(`(res: ephemeral-storage, q: ${2 ** 30}), `),
  },
  { name: 'an init container asking for more ephemeral-storage counts', pod: asking({ 'ephemeral-storage': '1Gi' }, [{ 'ephemeral-storage': '12Gi' }]), want: unexpected(`(res: ephemeral-storage, q: ${2 * 2 ** 30}), `) },
  { name: 'hugepages-2Mi within the pre-allocated pages', pod: asking({ 'hugepages-2Mi': '8Mi', memory: '64Mi' }), want: OK },
  { name: 'hugepages-2Mi short, in bytes', pod: asking({ 'hugepages-2Mi': '4Mi' }), others: [asking({ 'hugepages-2Mi': '6Mi' })], want: unexpected(`(res: hugepages-2Mi, q: ${2 * 2 ** 20}), `) },
  { name: 'hugepages-1Gi the kernel supports but has none allocated', pod: asking({ 'hugepages-1Gi': '1Gi' }), want: unexpected(`(res: hugepages-1Gi, q: ${2 ** 30}), `) },
  { name: 'a hugepages size the node does not list has allocatable 0', pod: asking({ 'hugepages-32Mi': '32Mi' }), want: unexpected(`(res: hugepages-32Mi, q: ${32 * 2 ** 20}), `) },
  { name: 'a zero request of an unknown hugepages size is not checked', pod: asking({ 'hugepages-32Mi': '0', cpu: '1' }), want: OK },
  { name: 'an extended resource the node does not list is ignored (removeMissingExtendedResources)', pod: asking({ 'example.com/gpu': '4' }), want: OK },
  { name: 'an extended resource the node lists is checked', pod: asking({ 'example.com/gpu': '3' }), node: GPU_NODE, want: unexpected('(res: example.com/gpu, q: 1), ') },
  { name: 'an extended resource the node lists, within it', pod: asking({ 'example.com/gpu': '1' }), others: [asking({ 'example.com/gpu': '1' })], node: GPU_NODE, want: OK },
  { name: 'a kubernetes.io/ resource the node lacks is not dropped: allocatable 0', pod: asking({ 'kubernetes.io/widget': '1' }), want: unexpected('(res: kubernetes.io/widget, q: 1), ') },
  {
    name: "every kind short: pods, cpu, memory, ephemeral-storage, then scalars by name (the kubelet's map order is random); the unlisted gpu is not",
    pod: asking({ cpu: '3', memory: '5Gi', 'ephemeral-storage': '11Gi', 'hugepages-2Mi': '10Mi', 'hugepages-1Gi': '1Gi', 'example.com/gpu': '9' }),
    others: [pod(), pod(), pod()],
    want: unexpected(
      `(res: pods, q: 1), (res: cpu, q: 1000), (res: memory, q: ${2 ** 30}), (res: ephemeral-storage, q: ${2 ** 30}), ` +
        `(res: hugepages-1Gi, q: ${2 ** 30}), (res: hugepages-2Mi, q: ${2 * 2 ** 20}), `,
    ),
  },
  { name: 'a hugepages-only pod fits next to cpu others overcommitted', pod: asking({ 'hugepages-2Mi': '2Mi' }), others: [requesting('3')], want: OK },
  {
    name: 'hugepages short and a hostPort conflict: NodePorts',
    pod: pod({ containers: [{ name: 'main', resources: { requests: { 'hugepages-1Gi': '1Gi' } }, ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
    others: [withPorts([{ containerPort: 80, hostPort: 8080 }])],
    want: NODE_PORTS,
  },
  // a failure preemption cannot help is reported instead of the resources
  {
    name: 'cpu short and a hostPort conflict: NodePorts',
    pod: requesting('64', undefined, { ports: [{ containerPort: 80, hostPort: 8080 }] }),
    others: [withPorts([{ containerPort: 80, hostPort: 8080 }])],
    want: NODE_PORTS,
  },
  {
    name: 'nodeAffinity and cpu: NodeAffinity',
    pod: pod({ nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'main', resources: { requests: { cpu: '64' } } }] }),
    want: NODE_AFFINITY,
  },
  {
    name: 'pods short, another node name and a hostPort conflict: the first of the others, NodeName',
    pod: withPorts([{ containerPort: 80, hostPort: 8080 }], { nodeName: 'node-2' }),
    others: [withPorts([{ containerPort: 80, hostPort: 8080 }]), pod(), pod()],
    want: NODE_NAME,
  },
  // Every case passes the pod itself among the active pods too; here that alone would overflow pods and cpu.
  { name: 'the pod itself among the active pods counts for nothing', pod: requesting('2'), others: [pod(), pod()], want: OK },
  // node affinity, node name, OS
  { name: 'nodeSelector on this node', pod: pod({ nodeSelector: { 'kubernetes.io/hostname': 'node-1' } }), want: OK },
  { name: 'nodeSelector on a label the node lacks', pod: pod({ nodeSelector: { disktype: 'ssd' } }), want: NODE_AFFINITY },
  {
    name: 'required node affinity that does not match',
    pod: pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['s390x'] }] }] } } } }),
    want: NODE_AFFINITY,
  },
  { name: 'spec.nodeName of another node', pod: pod({ nodeName: 'node-2' }), want: NODE_NAME },
  { name: 'spec.nodeName of this node', pod: pod({ nodeName: 'node-1' }), want: OK },
  { name: 'spec.os windows', pod: pod({ os: { name: 'windows' } }), want: { admit: false, reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" } },
  { name: 'spec.os linux', pod: pod({ os: { name: 'linux' } }), want: OK },
  {
    name: 'a kubernetes.io/os pod label of another OS',
    pod: pod({}, { 'kubernetes.io/os': 'windows' }),
    want: { admit: false, reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" },
  },
  // host ports
  { name: 'a hostPort nobody uses', pod: withPorts([{ containerPort: 80, hostPort: 8080 }]), others: [withPorts([{ containerPort: 80, hostPort: 8081 }])], want: OK },
  { name: 'the same hostPort, both TCP by default', pod: withPorts([{ containerPort: 80, hostPort: 8080 }]), others: [withPorts([{ containerPort: 81, hostPort: 8080, protocol: 'TCP' }])], want: NODE_PORTS },
  { name: 'the same hostPort on another protocol', pod: withPorts([{ containerPort: 53, hostPort: 5353, protocol: 'UDP' }]), others: [withPorts([{ containerPort: 53, hostPort: 5353 }])], want: OK },
  { name: 'containerPorts alone (no hostPort) never clash', pod: withPorts([{ containerPort: 80 }]), others: [withPorts([{ containerPort: 80 }])], want: OK },
  { name: 'two different hostIPs on the same port', pod: withPorts([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }]), others: [withPorts([{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }])], want: OK },
  { name: 'a hostIP against a port bound on every address', pod: withPorts([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }]), others: [withPorts([{ containerPort: 80, hostPort: 8080 }])], want: NODE_PORTS },
  { name: 'every address against a port bound on one hostIP', pod: withPorts([{ containerPort: 80, hostPort: 8080 }]), others: [withPorts([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }])], want: NODE_PORTS },
  { name: 'hostIP 0.0.0.0 is every address', pod: withPorts([{ containerPort: 80, hostPort: 8080, hostIP: '0.0.0.0' }]), others: [withPorts([{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }])], want: NODE_PORTS },
  {
    name: 'host-network pods on the same (defaulted) port',
    pod: withPorts([{ containerPort: 9100, hostPort: 9100 }], { hostNetwork: true }),
    others: [withPorts([{ containerPort: 9100, hostPort: 9100 }], { hostNetwork: true })],
    want: NODE_PORTS,
  },
  {
    name: 'init container ports hold no host port',
    pod: withPorts([{ containerPort: 80, hostPort: 8080 }]),
    others: [pod({ initContainers: [{ name: 'i', ports: [{ containerPort: 80, hostPort: 8080 }] }] })],
    want: OK,
  },
  {
    name: 'node affinity is reported before host ports',
    pod: withPorts([{ containerPort: 80, hostPort: 8080 }], { nodeSelector: { disktype: 'ssd' } }),
    others: [withPorts([{ containerPort: 80, hostPort: 8080 }])],
    want: NODE_AFFINITY,
  },
  // sysctls come first
  {
    name: 'a forbidden sysctl is reported before everything else',
    pod: pod({ securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1' }] }, nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'main', resources: { requests: { cpu: '64' } } }] }),
    want: { admit: false, reason: 'SysctlForbidden', message: 'forbidden sysctl: "net.core.somaxconn" not allowlisted' },
  },
];
/** The same pod as the API server would send it: not critical unless its priority is system-critical. */
const fromApi = (p: V1Pod, priority?: number): V1Pod => ({
  ...p,
  metadata: { ...p.metadata, annotations: { 'kubernetes.io/config.source': 'api' } },
  spec: { ...p.spec!, ...(priority !== undefined ? { priority } : {}) },
});
cases.push(
  {
    name: 'API pod, cpu short: OutOfcpu with InsufficientResourceError\'s message (no preemption for a pod that is not critical)',
    pod: fromApi(requesting('64')),
    want: { admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 64000, used: 0, capacity: 2000" },
  },
  {
    name: 'API pod, pods and cpu short: the first, OutOfpods',
    pod: fromApi(requesting('64')),
    others: [pod(), pod(), pod()],
    want: { admit: false, reason: 'OutOfpods', message: "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3" },
  },
  { name: 'API pod, cpu short and a nodeSelector that fails: the resource comes first', pod: fromApi(pod({ nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'main', resources: { requests: { cpu: '64' } } }] })), want: { admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 64000, used: 0, capacity: 2000" } },
  { name: 'API pod with a system-critical priority is critical: preemption is tried', pod: fromApi(requesting('64'), 2_000_001_000), want: unexpected('(res: cpu, q: 62000), ') },
  { name: 'API pod with a high priority under system-critical is not', pod: fromApi(requesting('64'), 1_999_999_999), want: { admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 64000, used: 0, capacity: 2000" } },
);
for (const tc of cases) {
  test(`admitPod: ${tc.name}`, () => {
    const others = tc.others ?? [];
    assert.deepEqual(admitPod(tc.pod, [...others, tc.pod], tc.node ?? NODE), tc.want);
  });
}
