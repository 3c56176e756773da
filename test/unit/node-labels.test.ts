import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabels } from '../../src/cli/flags-cluster.js';
import { initialNodeLabels, isKubeletLabel, updateDefaultLabels, validateNodeLabels } from '../../src/node/labels.js';

describe('--node-labels validation (kubelet ValidateKubeletFlags)', () => {
  const cases: Array<[string, Record<string, string>, RegExp | undefined]> = [
    ['plain labels', { role: 'worker', 'example.com/tier': 'gold' }, undefined],
    ['an allowed kubernetes.io label', { 'topology.kubernetes.io/zone': 'z1' }, undefined],
    ['the node.kubernetes.io namespace', { 'node.kubernetes.io/pool': 'a' }, undefined],
    ['a subdomain of kubelet.kubernetes.io', { 'x.kubelet.kubernetes.io/y': 'z' }, undefined],
    ['node-role is not the kubelet\'s to set', { 'node-role.kubernetes.io/worker': '' }, /unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: \[node-role.kubernetes.io\/worker\]/],
    ['a k8s.io label', { 'foo.k8s.io/bar': 'x' }, /unknown .*\[foo.k8s.io\/bar\]/],
    ['several, sorted', { 'kubernetes.io/b': '1', 'kubernetes.io/a': '2' }, /\[kubernetes.io\/a kubernetes.io\/b\]/],
    ['a bad key', { 'bad key': 'x' }, /invalid node labels: 'bad key' - name part must consist/],
    ['a bad value', { ok: '-bad-' }, /invalid node labels: '-bad-' - a valid label must be/],
  ];
  for (const [name, labels, want] of cases) {
    it(name, () => {
      const got = validateNodeLabels(labels);
      if (want) assert.match(got ?? '', want);
      else assert.equal(got, undefined);
    });
  }

  it('names the allowed prefixes and set in its message', () => {
    const msg = validateNodeLabels({ 'kubernetes.io/role': 'x' })!;
    assert.match(msg, /allowed prefix \(kubelet.kubernetes.io, node.kubernetes.io\)/);
    assert.match(msg, /kubernetes.io\/hostname/);
  });

  it('the flag refuses them at parse time', () => {
    assert.throws(() => parseLabels('node-role.kubernetes.io/master='), /unknown 'kubernetes.io'/);
    assert.deepEqual(parseLabels('a=1,b=2', { c: '3' }), { c: '3', a: '1', b: '2' });
  });

  it('isKubeletLabel does not take a look-alike namespace', () => {
    assert.equal(isKubeletLabel('evilnode.kubernetes.io/x'), false);
    assert.equal(isKubeletLabel('a.node.kubernetes.io/x'), true);
  });
});

describe('Node labels', () => {
  it('initial labels: the kubelet\'s own, --node-labels over them', () => {
    const labels = initialNodeLabels('n1', { role: 'edge', 'kubernetes.io/hostname': 'other' });
    assert.equal(labels['kubernetes.io/os'], 'linux');
    assert.equal(labels['beta.kubernetes.io/os'], 'linux');
    assert.ok(labels['kubernetes.io/arch']);
    assert.equal(labels['kubernetes.io/hostname'], 'other');
    assert.equal(labels.role, 'edge');
  });

  it('updateDefaultLabels puts back the default labels only, and drops emptied ones', () => {
    const initial = { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': '', role: 'edge' };
    const existing: Record<string, string> = { 'kubernetes.io/hostname': 'old', 'beta.kubernetes.io/arch': 'amd64', custom: 'kept' };
    assert.equal(updateDefaultLabels(initial, existing), true);
    assert.deepEqual(existing, { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux', custom: 'kept' });
    const { 'beta.kubernetes.io/arch': _, ...settled } = initial;
    assert.equal(updateDefaultLabels(settled, existing), false, 'nothing more to do');
  });
});
