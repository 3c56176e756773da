// A pod's requests as admission counts them: containers summed, init containers as a peak, sidecars beside both; ephemeral-storage and scalars (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { isExtendedResourceName, podResource, type PodResource } from '../../src/admission/requests.js';

const c = (name: string, cpu?: string, memory?: string, restartPolicy?: string): V1Container => ({
  name,
  ...(restartPolicy ? { restartPolicy } : {}),
  resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
});
const pod = (containers: V1Container[], initContainers: V1Container[] = []): V1Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: { containers, initContainers },
});

/** The expected PodResource: cpu and memory, and optionally the rest. */
const r = (milliCPU: number, memory: number, more: Partial<PodResource> = {}): PodResource => ({ milliCPU, memory, ephemeralStorage: 0, scalarResources: {}, ...more });
const withRequests = (requests: Record<string, string>, name = 'a'): V1Container => ({ name, resources: { requests } });

const cases: { name: string; pod: V1Pod; keep?: (name: string) => boolean; want: PodResource }[] = [
  { name: 'no requests', pod: pod([{ name: 'a' }]), want: r(0, 0) },
  { name: 'containers add up', pod: pod([c('a', '250m', '64Mi'), c('b', '1', '1Gi')]), want: r(1250, 64 * 2 ** 20 + 2 ** 30) },
  { name: 'quantity forms: 0.5 cpu, 1e3 bytes, 1G', pod: pod([c('a', '0.5', '1e3'), c('b', undefined, '1G')]), want: r(500, 1_000_001_000) },
  { name: 'cpu rounds up to a millicore once per pod (0.4m + 0.4m = 1m)', pod: pod([c('a', '400u'), c('b', '400u')]), want: r(1, 0) },
  { name: 'an init container larger than the app wins', pod: pod([c('a', '100m', '10Mi')], [c('i', '2', '5Mi')]), want: r(2000, 10 * 2 ** 20) },
  { name: 'init containers: the largest one, not their sum', pod: pod([c('a', '100m')], [c('i1', '300m'), c('i2', '500m')]), want: r(500, 0) },
  { name: 'a sidecar adds to the app containers', pod: pod([c('a', '100m', '10Mi')], [c('side', '200m', '20Mi', 'Always')]), want: r(300, 30 * 2 ** 20) },
  {
    name: 'an init container after a sidecar needs its own request plus the sidecar',
    pod: pod([c('a', '100m')], [c('side', '200m', undefined, 'Always'), c('migrate', '500m')]),
    want: r(700, 0),
  },
  {
    name: 'an init container before the sidecar runs without it',
    pod: pod([c('a', '100m')], [c('migrate', '500m'), c('side', '200m', undefined, 'Always')]),
    want: r(500, 0),
  },
  { name: 'limits alone count through defaulting only, not here', pod: pod([{ name: 'a', resources: { limits: { cpu: '2' } } }]), want: r(0, 0) },
  {
    name: 'ephemeral-storage in bytes, summed and peaked like memory',
    pod: pod([withRequests({ 'ephemeral-storage': '1Gi' }), withRequests({ 'ephemeral-storage': '500M' }, 'b')], [withRequests({ 'ephemeral-storage': '2Gi' }, 'i')]),
    want: r(0, 0, { ephemeralStorage: 2 * 2 ** 30 }),
  },
  {
    name: 'hugepages in bytes and an extended resource as a count, kept by name',
    pod: pod([withRequests({ 'hugepages-2Mi': '4Mi', 'example.com/gpu': '1' }), withRequests({ 'hugepages-2Mi': '2Mi', 'example.com/gpu': '2' }, 'b')]),
    want: r(0, 0, { scalarResources: { 'hugepages-2Mi': 6 * 2 ** 20, 'example.com/gpu': 3 } }),
  },
  {
    name: 'kubernetes.io/ and attachable-volumes- names are scalars too',
    pod: pod([withRequests({ 'kubernetes.io/widget': '1', 'attachable-volumes-aws-ebs': '2' })]),
    want: r(0, 0, { scalarResources: { 'kubernetes.io/widget': 1, 'attachable-volumes-aws-ebs': 2 } }),
  },
  { name: 'a name of no known kind is left out, as Resource.Add leaves it', pod: pod([withRequests({ storage: '1Gi', cpu: '1' })]), want: r(1000, 0) },
  {
    name: 'keep drops a request before it is counted (removeMissingExtendedResources)',
    pod: pod([withRequests({ 'example.com/gpu': '1', 'hugepages-1Gi': '1Gi', memory: '1Gi' })]),
    keep: (n) => !isExtendedResourceName(n),
    want: r(0, 2 ** 30, { scalarResources: { 'hugepages-1Gi': 2 ** 30 } }),
  },
];
for (const tc of cases) {
  test(`admission requests: ${tc.name}`, () => {
    assert.deepEqual(podResource(tc.pod, tc.keep), tc.want);
  });
}

const extended: { name: string; resource: string; want: boolean }[] = [
  { name: 'a domain other than kubernetes.io', resource: 'example.com/gpu', want: true },
  { name: 'no domain: native', resource: 'hugepages-2Mi', want: false },
  { name: 'the kubernetes.io domain: native', resource: 'kubernetes.io/widget', want: false },
  { name: 'a kubernetes.io subdomain: native', resource: 'foo.kubernetes.io/widget', want: false },
  { name: 'requests. prefix: a quota name', resource: 'requests.example.com/gpu', want: false },
  { name: 'not a qualified name', resource: 'example.com/-gpu', want: false },
];
for (const tc of extended) {
  test(`isExtendedResourceName: ${tc.name}`, () => {
    assert.equal(isExtendedResourceName(tc.resource), tc.want);
  });
}
