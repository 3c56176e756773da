// A pod's cpu and memory requests as admission counts them: containers summed, init containers as a peak, sidecars beside both (named table cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { podResource } from '../../src/admission/requests.js';

const c = (name: string, cpu?: string, memory?: string, restartPolicy?: string): V1Container => ({
  name,
  ...(restartPolicy ? { restartPolicy } : {}),
  resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
});
const pod = (containers: V1Container[], initContainers: V1Container[] = []): V1Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: { containers, initContainers },
});

const cases: { name: string; pod: V1Pod; want: { milliCPU: number; memory: number } }[] = [
  { name: 'no requests', pod: pod([{ name: 'a' }]), want: { milliCPU: 0, memory: 0 } },
  { name: 'containers add up', pod: pod([c('a', '250m', '64Mi'), c('b', '1', '1Gi')]), want: { milliCPU: 1250, memory: 64 * 2 ** 20 + 2 ** 30 } },
  { name: 'quantity forms: 0.5 cpu, 1e3 bytes, 1G', pod: pod([c('a', '0.5', '1e3'), c('b', undefined, '1G')]), want: { milliCPU: 500, memory: 1_000_001_000 } },
  { name: 'cpu rounds up to a millicore once per pod (0.4m + 0.4m = 1m)', pod: pod([c('a', '400u'), c('b', '400u')]), want: { milliCPU: 1, memory: 0 } },
  { name: 'an init container larger than the app wins', pod: pod([c('a', '100m', '10Mi')], [c('i', '2', '5Mi')]), want: { milliCPU: 2000, memory: 10 * 2 ** 20 } },
  { name: 'init containers: the largest one, not their sum', pod: pod([c('a', '100m')], [c('i1', '300m'), c('i2', '500m')]), want: { milliCPU: 500, memory: 0 } },
  { name: 'a sidecar adds to the app containers', pod: pod([c('a', '100m', '10Mi')], [c('side', '200m', '20Mi', 'Always')]), want: { milliCPU: 300, memory: 30 * 2 ** 20 } },
  {
    name: 'an init container after a sidecar needs its own request plus the sidecar',
    pod: pod([c('a', '100m')], [c('side', '200m', undefined, 'Always'), c('migrate', '500m')]),
    want: { milliCPU: 700, memory: 0 },
  },
  {
    name: 'an init container before the sidecar runs without it',
    pod: pod([c('a', '100m')], [c('migrate', '500m'), c('side', '200m', undefined, 'Always')]),
    want: { milliCPU: 500, memory: 0 },
  },
  { name: 'limits alone count through defaulting only, not here', pod: pod([{ name: 'a', resources: { limits: { cpu: '2' } } }]), want: { milliCPU: 0, memory: 0 } },
];
for (const tc of cases) {
  test(`admission requests: ${tc.name}`, () => {
    assert.deepEqual(podResource(tc.pod), tc.want);
  });
}
