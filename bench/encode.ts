// /pods encoding cost: the GET /pods body over N realistic running pods (the bench manifest, defaulted, with a computed status), no runtime needed.
//
// Run: node --import tsx bench/encode.ts   Prints one JSON line per size. Also run by bench/run.ts.
import { performance } from 'node:perf_hooks';
import type { V1Pod } from '@kubernetes/client-node';
import { parseManifest } from '../src/config/manifest.js';
import { encodePodListJSON } from '../src/server/encode.js';
import { computePodStatus } from '../src/status/compute.js';
import { podManifest } from './lib/pods.js';
import { round, summarize, type Summary } from './lib/stats.js';
import { aContainer, anObservedPod, aSandbox } from '../test/support/observed-builders.js';

export interface EncodeResult {
  figure: 'encode';
  pods: number;
  /** GET /pods's body (encodePodListJSON) for pods it has not seen, ms. */
  listMs: Summary;
  /** The same body again for unchanged pods (cached per pod object), ms. */
  cachedMs: Summary;
  perPodUs: number;
  bytes: number;
}

/** N running pods as the agent's status manager would hold them. */
export function runningPods(n: number): V1Pod[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const pod = parseManifest(podManifest(`encode-${i}`), { path: `/bench/encode-${i}.yaml`, nodeName: 'bench-encode' }).pods[0]!;
    const observed = anObservedPod(
      { sandboxes: [aSandbox({ ip: `10.88.${i >> 8}.${i & 255}` })], containers: [aContainer('app', { createdAt: now - 5000 })] },
      { uid: pod.metadata!.uid!, name: pod.metadata!.name!, namespace: 'default' },
    );
    pod.status = computePodStatus(pod, observed, { now, hostIP: '10.0.0.1', waiting: new Map(), terminationMessages: new Map() });
    return pod;
  });
}

export function runEncode(n: number, iterations = 200): EncodeResult {
  const pods = runningPods(n);
  // Fresh pod objects each time: the encoder caches by object, and a changed pod is a new object.
  const fresh = () => pods.map((p) => ({ ...p }));
  for (let i = 0; i < 20; i++) encodePodListJSON(fresh()); // warm up the JIT
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const batch = fresh();
    const t0 = performance.now();
    encodePodListJSON(batch);
    times.push(performance.now() - t0);
  }
  // The same objects again: what a poll of /pods costs when nothing changed.
  const same = fresh();
  encodePodListJSON(same);
  const cached: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    encodePodListJSON(same);
    cached.push(performance.now() - t0);
  }
  const listMs = summarize(times);
  return { figure: 'encode', pods: n, listMs, cachedMs: summarize(cached), perPodUs: round((listMs.p50 * 1000) / n, 1), bytes: encodePodListJSON(same).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const n of [100, 200]) console.log(JSON.stringify(runEncode(n)));
}
