// Measures PLEG relist cost at 100 and 200 pods: against the fake CRI, and against a real runtime when CONTAINER_RUNTIME_ENDPOINT is set.
//
// Run: node --import tsx bench/relist.ts   (CONTAINER_RUNTIME_ENDPOINT=unix:///path/containerd.sock for the real one)
// Prints one JSON line per scenario, then a markdown table. Not part of the test suite.
//
// Scenarios: "cold" is the first relist (every pod inspected); "steady" relists with nothing
// changed (the common case, 2 list calls); "one-change" has one container exit before each relist.
// Real-runtime pods are host-network (the dev CNI range is a /24) and run the local pause image;
// they carry a bench-only node name, so nothing else is touched, and are removed at the end.

import { performance } from 'node:perf_hooks';
import type { CriRuntime, PodSandboxConfig } from '../src/cri/types.js';
import { PodCache } from '../src/pleg/cache.js';
import { GenericPLEG } from '../src/pleg/generic.js';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, ownershipSelector } from '../src/runtime/labels.js';
import { FakeCri } from '../test/support/fake-cri.js';

const SIZES = [100, 200];
const STEADY_RELISTS = Number(process.env.RELISTS ?? 100);
const IMAGE = process.env.BENCH_IMAGE ?? 'registry.k8s.io/pause:3.9';

interface Result {
  runtime: string;
  pods: number;
  scenario: string;
  relists: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  criCallsPerRelist: number;
}

/** Wraps a CriRuntime so every call is counted. */
function counting(cri: CriRuntime): { cri: CriRuntime; calls: () => number } {
  let n = 0;
  // An empty target: proxy invariants forbid answering for read-only properties of the real object.
  const wrapped = new Proxy({} as CriRuntime, {
    get(_target, prop) {
      const v = Reflect.get(cri, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        n++;
        return (v as (...a: unknown[]) => unknown).apply(cri, args);
      };
    },
  });
  return { cri: wrapped, calls: () => n };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
const round = (x: number): number => Math.round(x * 100) / 100;

/** Creates `count` owned pods (sandbox + one running container), `parallel` at a time. Returns the container ids. */
async function makePods(cri: CriRuntime, nodeName: string, count: number, parallel: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const uid = `bench-${process.pid}-${i}`;
      const labels = { [POD_UID_LABEL]: uid, [POD_NAME_LABEL]: `bench-${i}`, [POD_NAMESPACE_LABEL]: 'bench', ...ownershipSelector(nodeName) };
      const sb: PodSandboxConfig = {
        metadata: { name: `bench-${i}`, uid, namespace: 'bench', attempt: 0 },
        labels,
        linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
      };
      const sandboxId = await cri.runPodSandbox(sb);
      const id = await cri.createContainer(
        sandboxId,
        { metadata: { name: 'app', attempt: 0 }, image: { image: IMAGE }, labels: { ...labels, [CONTAINER_NAME_LABEL]: 'app' } },
        sb,
      );
      await cri.startContainer(id);
      ids.push(id);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return ids;
}

async function removePods(cri: CriRuntime, nodeName: string): Promise<void> {
  const sandboxes = await cri.listPodSandbox({ labelSelector: ownershipSelector(nodeName) });
  for (const s of sandboxes) {
    await cri.stopPodSandbox(s.id).catch(() => undefined);
    await cri.removePodSandbox(s.id).catch(() => undefined);
  }
}

async function measure(
  runtime: string,
  pods: number,
  scenario: string,
  relists: number,
  pleg: GenericPLEG,
  calls: () => number,
  before: (i: number) => Promise<void> = async () => {},
): Promise<Result> {
  const times: number[] = [];
  let criCalls = 0;
  for (let i = 0; i < relists; i++) {
    await before(i);
    const c0 = calls();
    const t0 = performance.now();
    await pleg.relist();
    times.push(performance.now() - t0);
    criCalls += calls() - c0;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result: Result = {
    runtime,
    pods,
    scenario,
    relists,
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    meanMs: round(times.reduce((a, b) => a + b, 0) / times.length),
    criCallsPerRelist: round(criCalls / relists),
  };
  console.log(JSON.stringify(result));
  return result;
}

async function benchOne(runtime: string, raw: CriRuntime, pods: number, exit: (id: string) => Promise<void>): Promise<Result[]> {
  const nodeName = `bench-relist-${process.pid}-${pods}`;
  const { cri, calls } = counting(raw);
  // The PLEG logs and swallows relist failures; a benchmark of failing relists would be meaningless.
  const logger = {
    debug() {},
    info() {},
    error: (o: object, m?: string) => {
      throw new Error(`${m ?? 'relist failed'}: ${String((o as { err?: unknown }).err)}`);
    },
  };
  const pleg = new GenericPLEG({ cri, nodeName, cache: new PodCache(), clock: { now: Date.now }, logger });
  try {
    const containers = await makePods(raw, nodeName, pods, runtime === 'fake' ? 1 : 4);
    const results = [await measure(runtime, pods, 'cold', 1, pleg, calls)];
    results.push(await measure(runtime, pods, 'steady', runtime === 'fake' ? STEADY_RELISTS : Math.min(STEADY_RELISTS, 50), pleg, calls));
    const changes = Math.min(containers.length, runtime === 'fake' ? STEADY_RELISTS : 20);
    results.push(await measure(runtime, pods, 'one-change', changes, pleg, calls, (i) => exit(containers[i]!)));
    return results;
  } finally {
    if (runtime !== 'fake') await removePods(raw, nodeName);
  }
}

function table(results: Result[]): string {
  const head = '| runtime | pods | scenario | relists | p50 ms | p99 ms | mean ms | CRI calls / relist |\n|---|---|---|---|---|---|---|---|';
  const rows = results.map((r) => `| ${r.runtime} | ${r.pods} | ${r.scenario} | ${r.relists} | ${r.p50Ms} | ${r.p99Ms} | ${r.meanMs} | ${r.criCallsPerRelist} |`);
  return [head, ...rows].join('\n');
}

const results: Result[] = [];
for (const pods of SIZES) {
  const fake = new FakeCri();
  fake.addImage(IMAGE);
  results.push(...(await benchOne('fake', fake, pods, async (id) => fake.exitContainer(id, 1))));
}
const endpoint = process.env.CONTAINER_RUNTIME_ENDPOINT;
if (endpoint) {
  const { createCriClient } = await import('../src/cri/index.js');
  const real = createCriClient({ runtimeEndpoint: endpoint });
  try {
    for (const pods of SIZES) {
      results.push(...(await benchOne('containerd', real, pods, (id) => real.stopContainer(id, 0))));
    }
  } finally {
    real.close();
  }
}
console.log(`\n${table(results)}`);
