// /pods encoding cost: encodePodList over N realistic running pods (the bench manifest, defaulted, with a computed status), no runtime needed.
//
// Run: node --import tsx bench/encode.ts   Prints one JSON line per size. Also run by bench/run.ts.
import { performance } from 'node:perf_hooks';
import type { V1Pod } from '@kubernetes/client-node';
import { parseManifest } from '../src/config/manifest.js';
import { encodePodList } from '../src/server/encode.js';
import { computePodStatus } from '../src/status/compute.js';
import { podManifest } from './lib/pods.js';
import { round, summarize, type Summary } from './lib/stats.js';
import { aContainer, anObservedPod, aSandbox } from '../test/support/observed-builders.js';

export interface EncodeResult {
  figure: 'encode';
  pods: number;
  /** One encodePodList call (what GET /pods does besides the JSON.stringify), ms. */
  listMs: Summary;
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
  for (let i = 0; i < 20; i++) encodePodList(pods); // warm up the JIT
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    encodePodList(pods);
    times.push(performance.now() - t0);
  }
  const listMs = summarize(times);
  return { figure: 'encode', pods: n, listMs, perPodUs: round((listMs.p50 * 1000) / n, 1), bytes: JSON.stringify(encodePodList(pods)).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const n of [100, 200]) console.log(JSON.stringify(runEncode(n)));
}
