// kubelet_running_pods and kubelet_running_containers are counted from the runtime cache when scraped, as the kubelet's updateRunningPodAndContainerMetrics counts a relist.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerPlegMetrics } from '../../src/metrics/pleg.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { PodCache } from '../../src/pleg/cache.js';
import type { ObservedPod } from '../../src/runtime/types.js';
import { aContainer, aSandbox, anObservedPod, T0 } from '../support/observed-builders.js';
import { sampleOf } from '../support/metrics.js';

function setup() {
  const registry = createMetricsRegistry();
  const cache = new PodCache();
  registerPlegMetrics(registry, { cache, lastRelistAt: () => undefined });
  const put = (pod: ObservedPod) => cache.set(pod.uid, pod, T0);
  const scrape = async () => ({
    pods: await sampleOf(registry, 'kubelet_running_pods'),
    created: await sampleOf(registry, 'kubelet_running_containers', { container_state: 'created' }),
    running: await sampleOf(registry, 'kubelet_running_containers', { container_state: 'running' }),
    exited: await sampleOf(registry, 'kubelet_running_containers', { container_state: 'exited' }),
    unknown: await sampleOf(registry, 'kubelet_running_containers', { container_state: 'unknown' }),
  });
  return { registry, cache, put, scrape };
}

describe('running pods and containers', () => {
  it('an empty cache reads zero for the pods and for every container state', async () => {
    const { scrape } = setup();
    assert.deepEqual(await scrape(), { pods: 0, created: 0, running: 0, exited: 0, unknown: 0 });
  });

  const cases: { name: string; pods: ObservedPod[]; want: Awaited<ReturnType<ReturnType<typeof setup>['scrape']>> }[] = [
    {
      name: 'a pod with a ready sandbox runs; its containers count by state, old instances included',
      pods: [anObservedPod({ containers: [aContainer('app', { restartCount: 1 }), aContainer('app', { state: 'exited', exitCode: 1 }), aContainer('side', { state: 'created' })] })],
      want: { pods: 1, created: 1, running: 1, exited: 1, unknown: 0 },
    },
    {
      name: 'a pod whose only sandbox is not ready does not run, its exited containers still count',
      pods: [anObservedPod({ sandboxes: [aSandbox({ state: 'notready' })], containers: [aContainer('app', { state: 'exited' })] }, { uid: 'u-dead' })],
      want: { pods: 0, created: 0, running: 0, exited: 1, unknown: 0 },
    },
    {
      name: 'a pod with an old not-ready sandbox and a new ready one counts once',
      pods: [anObservedPod({ sandboxes: [aSandbox({ id: 'sb0', state: 'notready' }), aSandbox({ id: 'sb1', attempt: 1, state: 'ready', createdAt: T0 + 10 })] })],
      want: { pods: 1, created: 0, running: 0, exited: 0, unknown: 0 },
    },
    {
      name: 'several pods add up',
      pods: [
        anObservedPod({ containers: [aContainer('a')] }, { uid: 'u1' }),
        anObservedPod({ containers: [aContainer('b'), aContainer('c', { state: 'unknown' })] }, { uid: 'u2' }),
        anObservedPod({ sandboxes: [aSandbox({ state: 'notready' })] }, { uid: 'u3' }),
      ],
      want: { pods: 2, created: 0, running: 2, exited: 0, unknown: 1 },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { put, scrape } = setup();
      for (const p of c.pods) put(p);
      assert.deepEqual(await scrape(), c.want);
    });
  }

  it('each scrape reads the cache as it is then: a pod gone since the last scrape is gone from the counts', async () => {
    const { cache, put, scrape } = setup();
    put(anObservedPod({ containers: [aContainer('a')] }, { uid: 'u1' }));
    put(anObservedPod({ containers: [aContainer('b')] }, { uid: 'u2' }));
    assert.equal((await scrape()).pods, 2);
    cache.delete('u1', T0 + 1);
    assert.deepEqual(await scrape(), { pods: 1, created: 0, running: 1, exited: 0, unknown: 0 });
  });
});
