// QoS class per GetPodQOS, and the quantity reader behind it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { computePodQOS, getPodQOS } from '../../src/status/qos.js';
import { quantityNano } from '../../src/status/quantity.js';
import { aPod } from '../support/observed-builders.js';

type RL = Record<string, string>;
const c = (name: string, requests?: RL, limits?: RL): V1Container => ({ name, image: 'x', resources: { requests, limits } });
const both = (cpu: string, memory: string): RL => ({ cpu, memory });

describe('computePodQOS', () => {
  const table: { name: string; pod: V1Pod; want: string }[] = [
    { name: 'no resources at all: BestEffort', pod: aPod([c('a')]), want: 'BestEffort' },
    { name: 'only zero requests: BestEffort', pod: aPod([c('a', both('0', '0'))]), want: 'BestEffort' },
    { name: 'requests equal limits for cpu and memory: Guaranteed', pod: aPod([c('a', both('1', '1Gi'), both('1', '1Gi'))]), want: 'Guaranteed' },
    {
      name: 'equal in another spelling (1000m vs 1, 1024Mi vs 1Gi): Guaranteed',
      pod: aPod([c('a', both('1000m', '1024Mi'), both('1', '1Gi'))]),
      want: 'Guaranteed',
    },
    { name: 'requests below limits: Burstable', pod: aPod([c('a', both('500m', '1Gi'), both('1', '1Gi'))]), want: 'Burstable' },
    { name: 'only a memory limit: Burstable', pod: aPod([c('a', undefined, { memory: '128Mi' })]), want: 'Burstable' },
    { name: 'only a cpu request: Burstable', pod: aPod([c('a', { cpu: '100m' })]), want: 'Burstable' },
    {
      name: 'one Guaranteed container and one with nothing: Burstable',
      pod: aPod([c('a', both('1', '1Gi'), both('1', '1Gi')), c('b')]),
      want: 'Burstable',
    },
    {
      name: 'limits without requests (not defaulted): Burstable, as the kubelet computes it',
      pod: aPod([c('a', undefined, both('1', '1Gi'))]),
      want: 'Burstable',
    },
    {
      name: 'init containers count too',
      pod: aPod([c('a', both('1', '1Gi'), both('1', '1Gi'))], {}, [c('init', { cpu: '100m' })]),
      want: 'Burstable',
    },
    {
      name: 'other resources (ephemeral-storage) do not matter',
      pod: aPod([c('a', { ...both('1', '1Gi'), 'ephemeral-storage': '1Gi' }, both('1', '1Gi'))]),
      want: 'Guaranteed',
    },
  ];
  for (const t of table) it(t.name, () => assert.equal(computePodQOS(t.pod), t.want));

  it('getPodQOS keeps a class already in the status', () => {
    const pod = aPod([c('a')]);
    pod.status = { qosClass: 'Burstable' };
    assert.equal(getPodQOS(pod), 'Burstable');
  });
});

describe('quantityNano', () => {
  const table: [string | number, bigint | undefined][] = [
    ['1', 1_000_000_000n],
    ['100m', 100_000_000n],
    ['0.1', 100_000_000n],
    ['1Ki', 1024n * 1_000_000_000n],
    ['1Gi', 1024n ** 3n * 1_000_000_000n],
    ['1G', 10n ** 18n],
    ['1e3', 10n ** 12n],
    ['1E', 10n ** 27n],
    ['1n', 1n],
    ['0.5n', 1n],
    [2, 2_000_000_000n],
    ['abc', undefined],
    ['1Xi', undefined],
  ];
  for (const [q, want] of table) it(`${q} → ${want}`, () => assert.equal(quantityNano(q), want));
});
