// nodeSelector and required node affinity against this node's labels, as the kubelet's NodeAffinity admission predicate (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1NodeSelectorTerm, V1Pod } from '@kubernetes/client-node';
import { defaultNodeLabels, matchesNodeAffinity } from '../../src/admission/node-affinity.js';

const NODE = 'node-1';
const LABELS = { ...defaultNodeLabels(NODE, 'amd64'), 'example.com/rack': '7' };
const pod = (nodeSelector?: Record<string, string>, terms?: V1NodeSelectorTerm[]): V1Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: {
    containers: [{ name: 'a' }],
    nodeSelector,
    ...(terms ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } : {}),
  },
});
const expr = (key: string, operator: string, values?: string[]) => ({ matchExpressions: [{ key, operator, values }] });

const cases: { name: string; pod: V1Pod; ok: boolean }[] = [
  { name: 'no selector, no affinity', pod: pod(), ok: true },
  { name: 'nodeSelector on the built-in os label', pod: pod({ 'kubernetes.io/os': 'linux' }), ok: true },
  { name: 'nodeSelector on hostname', pod: pod({ 'kubernetes.io/hostname': NODE }), ok: true },
  { name: 'nodeSelector on another node', pod: pod({ 'kubernetes.io/hostname': 'other' }), ok: false },
  { name: 'nodeSelector on a label the node lacks', pod: pod({ disktype: 'ssd' }), ok: false },
  { name: 'affinity In', pod: pod(undefined, [expr('kubernetes.io/arch', 'In', ['arm64', 'amd64'])]), ok: true },
  { name: 'affinity NotIn', pod: pod(undefined, [expr('kubernetes.io/arch', 'NotIn', ['amd64'])]), ok: false },
  { name: 'affinity Exists / DoesNotExist', pod: pod(undefined, [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'Exists' }, { key: 'gpu', operator: 'DoesNotExist' }] }]), ok: true },
  { name: 'affinity Gt', pod: pod(undefined, [expr('example.com/rack', 'Gt', ['5'])]), ok: true },
  { name: 'affinity Lt', pod: pod(undefined, [expr('example.com/rack', 'Lt', ['5'])]), ok: false },
  { name: 'terms are ORed: one matching term is enough', pod: pod(undefined, [expr('zone', 'In', ['a']), expr('kubernetes.io/os', 'In', ['linux'])]), ok: true },
  { name: 'matchFields on metadata.name', pod: pod(undefined, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [NODE] }] }]), ok: true },
  { name: 'an empty term matches nothing', pod: pod(undefined, [{}]), ok: false },
  { name: 'selector and affinity must both hold', pod: pod({ 'kubernetes.io/os': 'linux' }, [expr('zone', 'In', ['a'])]), ok: false },
];
for (const c of cases) {
  test(`node affinity: ${c.name}`, () => {
    assert.equal(matchesNodeAffinity(c.pod, NODE, LABELS), c.ok);
  });
}

test('node affinity: without labels given, the node has the kubelet’s own', () => {
  assert.equal(matchesNodeAffinity(pod({ 'kubernetes.io/hostname': NODE }), NODE), true);
  assert.equal(matchesNodeAffinity(pod({ 'example.com/rack': '7' }), NODE), false);
});

test('node affinity: the default labels are the kubelet’s own, arch as Go names it', () => {
  assert.deepEqual(defaultNodeLabels('n', 'arm64'), {
    'kubernetes.io/hostname': 'n', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'arm64',
  });
  assert.equal(defaultNodeLabels('n', 'x64')['kubernetes.io/arch'], 'x64', 'an explicit arch is taken as given');
  if (process.arch === 'x64') assert.equal(defaultNodeLabels('n')['kubernetes.io/arch'], 'amd64');
});
