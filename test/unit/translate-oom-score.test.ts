// oom_score_adj per QoS class: Guaranteed, BestEffort, the Burstable formula and its clamps, node-critical and sidecars (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { containerOOMScoreAdjust } from '../../src/podworker/translate/oom-score.js';

const GI = 1024 ** 3;
const CAPACITY = 10 * GI;
const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>, extra: Partial<V1Container> = {}): V1Container => ({
  name, image: 'busybox', resources: { requests, limits }, ...extra,
});
const pod = (containers: V1Container[], extra: Partial<V1Pod['spec']> = {}, annotations?: Record<string, string>): V1Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u', annotations },
  spec: { containers, ...extra },
});

const cases: { name: string; pod: V1Pod; container?: string; want: number }[] = [
  { name: 'Guaranteed: -997', pod: pod([c('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })]), want: -997 },
  { name: 'BestEffort: 1000', pod: pod([c('a')]), want: 1000 },
  { name: 'Burstable requesting 10% of memory: 900', pod: pod([c('a', { memory: '1Gi' })]), want: 900 },
  { name: 'Burstable requesting 25% of memory: 750', pod: pod([c('a', { memory: '2560Mi' })]), want: 750 },
  { name: 'Burstable with a cpu request only: 1000 would tie BestEffort, so 999', pod: pod([c('a', { cpu: '100m' })]), want: 999 },
  { name: 'Burstable requesting a sliver: integer division rounds the share down (999)', pod: pod([c('a', { memory: '1Mi' })]), want: 999 },
  { name: 'Burstable requesting all the memory: raised to 3, above Guaranteed', pod: pod([c('a', { memory: '10Gi' })]), want: 3 },
  { name: 'Burstable requesting more than the node has: still 3', pod: pod([c('a', { memory: '20Gi' })]), want: 3 },
  {
    name: 'each container scores by its own request',
    pod: pod([c('a', { memory: '1Gi' }), c('b', { memory: '5Gi' })]), container: 'b', want: 500,
  },
  {
    name: 'a static system-node-critical pod is treated as Guaranteed, whatever its class',
    pod: pod([c('a')], { priorityClassName: 'system-node-critical' }, { 'kubernetes.io/config.source': 'file' }),
    want: -997,
  },
  {
    name: 'system-node-critical on a pod from the API server is no node-critical pod',
    pod: pod([c('a')], { priorityClassName: 'system-node-critical' }, { 'kubernetes.io/config.source': 'api' }),
    want: 1000,
  },
  {
    name: 'a sidecar scores no higher than the regular container with the smallest request',
    pod: pod([c('main', { memory: '5Gi' }), c('other', { memory: '2Gi' })], { initContainers: [c('side', { memory: '1Gi' }, undefined, { restartPolicy: 'Always' })] }),
    container: 'side', want: 800,
  },
  {
    name: 'a sidecar that asks more than the regular containers keeps its own score',
    pod: pod([c('main', { memory: '1Gi' })], { initContainers: [c('side', { memory: '5Gi' }, undefined, { restartPolicy: 'Always' })] }),
    container: 'side', want: 500,
  },
  {
    name: 'a plain init container is not a sidecar',
    pod: pod([c('main', { memory: '5Gi' })], { initContainers: [c('init', { memory: '1Gi' })] }),
    container: 'init', want: 900,
  },
];

for (const tc of cases) {
  test(`oom_score_adj: ${tc.name}`, () => {
    const all = [...(tc.pod.spec!.containers ?? []), ...(tc.pod.spec!.initContainers ?? [])];
    const container = all.find((x) => x.name === (tc.container ?? all[0]!.name))!;
    assert.equal(containerOOMScoreAdjust(tc.pod, container, CAPACITY), tc.want);
  });
}
