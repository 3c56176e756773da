// Hostile input: 1,000+ generated broken Pods through the file path (parseManifest) and the API path (apiPodProblem, then admission): nothing throws, each gets a bounded error naming the broken field, a good pod beside them is still accepted and admitted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { defaultNodeLabels } from '../../src/admission/node-affinity.js';
import { PodAdmission } from '../../src/admission/controller.js';
import type { AdmissionNode } from '../../src/admission/types.js';
import { MAX_MESSAGE_CHARS } from '../../src/bounded.js';
import { apiPodProblem } from '../../src/config/apiserver-source.js';
import { parseManifest } from '../../src/config/manifest.js';
import { safeSysctls, SysctlAllowlist } from '../../src/podworker/translate/sysctls.js';
import { FULL, recordFault } from '../support/faults.js';
import { broken, brokenCase, brokenManifest, goodPod, spelled } from '../support/hostile-pods.js';

const RUNS = FULL ? 10_000 : 1_200;
const NODE_NAME = 'node-1';
const NODE: AdmissionNode = {
  name: NODE_NAME,
  labels: defaultNodeLabels(NODE_NAME, 'amd64'),
  allocatable: { milliCPU: 2000, memory: 4 * 2 ** 30, ephemeralStorage: 10 * 2 ** 30, pods: 110, scalarResources: {} },
  sysctls: new SysctlAllowlist(safeSysctls()),
};

test(`${RUNS} broken pods from a file, each beside a good one: no throw, one bounded error naming the broken field, the good pod accepted`, () => {
  let longest = 0;
  const goodYaml = stringify(goodPod());
  fc.assert(fc.property(brokenCase, (c) => {
    // The document as a file holds it: YAML, and a good pod in the same file.
    const written = brokenManifest(c);
    // The good pod first: a syntax error (or a structure too deep to read) ends the file's reading.
    const text = `${goodYaml}---\n${written}`;
    const { pods, errors } = parseManifest(text, { path: '/etc/kubernetes/manifests/bad.yaml', nodeName: NODE_NAME });
    assert.deepEqual(pods.map((p) => p.metadata?.name), [`good-${NODE_NAME}`], 'the good pod, and only it, accepted');
    assert.equal(errors.length, 1, 'one error, for the broken document');
    const { message } = errors[0]!;
    assert.ok(message.length > 0 && message.length <= MAX_MESSAGE_CHARS + 20, `bounded: ${message.length} chars`);
    // Precise: it names the field; or a structure too deep to read, or YAML the decoder refuses (a
    // generated "<<" merge key with no map), is refused as such, at a line.
    const field = spelled(c.path);
    const named = message.includes(field) || message.includes(spelled(c.path.slice(0, -1)) + '[') || /call stack|too deep/i.test(message)
      || /^document\[1\]: cannot decode: .+ at line \d+/.test(message);
    assert.ok(named, `the error names ${field}: ${message.slice(0, 300)}`);
    longest = Math.max(longest, message.length);
  }), { numRuns: RUNS });
  recordFault({
    kind: 'hostile input', what: 'generated broken Pods in a manifest file (fast-check: a field of another type, a bad name, huge or deeply nested values), a good pod in the same file',
    times: RUNS, unit: 'pods', lost: 0, notes: `each refused with one error naming the field (longest ${longest} chars); the good pod accepted every time`,
  });
});

test(`${RUNS} broken pods from the API (the API server's checks bypassed): no throw, refused with a bounded reason or admitted, the good pod admitted beside them`, () => {
  const statuses = new Map<string, { phase?: string; message?: string }>();
  const admission = new PodAdmission({
    node: NODE,
    workers: { state: () => undefined },
    statusManager: { setPodStatus: (p: V1Pod, s: { phase?: string; message?: string }) => void statuses.set(p.metadata!.uid!, s), peekPodStatus: () => undefined, deletePod: () => undefined },
    recorder: { event: () => undefined, forget: () => undefined },
    cache: { get: () => undefined },
    logger: { info: () => undefined },
  } as never);
  let n = 0;
  let refused = 0;
  const outcomes = new Map<string, number>();
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  fc.assert(fc.property(brokenCase, (c) => {
    const bad = broken(c) as unknown as V1Pod;
    const uid = `uid-${n++}`;
    if (bad.metadata && typeof bad.metadata === 'object') Object.assign(bad.metadata, { uid });
    const good = { ...goodPod(`good-${n}`), metadata: { ...goodPod(`good-${n}`).metadata, uid: `good-${uid}` } } as unknown as V1Pod;
    good.spec!.containers[0]!.ports = [];
    const problem = apiPodProblem(bad);
    const batch = problem ? [good] : [bad, good];
    if (problem) {
      refused++;
      count('refused by the source');
      assert.ok(problem.length <= MAX_MESSAGE_CHARS);
    }
    const admitted = admission.handleAdditions(batch, batch).map((p) => p.metadata!.uid);
    assert.ok(admitted.includes(good.metadata!.uid), 'the good pod admitted');
    if (!problem && !admitted.includes(uid)) {
      refused++;
      const message = statuses.get(uid)?.message ?? '';
      count(`rejected: ${/^Pod was rejected: (\S+)/.exec(message)?.[1] ?? message.slice(0, 30)}`);
      assert.ok(message.length > 0 && message.length <= MAX_MESSAGE_CHARS + 40, `bounded rejection: ${message.length} chars`);
    }
    else if (!problem) count('admitted (a field admission does not read)');
    for (const p of batch) admission.removed(p.metadata!.uid!, []);
  }), { numRuns: RUNS });
  assert.ok(refused > 0);
  recordFault({
    kind: 'hostile input', what: 'the same broken Pods from the API (its validation bypassed: apiPodProblem, then admission), a good pod in each batch',
    times: RUNS, unit: 'pods', lost: 0, notes: `${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}; the good pod admitted every time`,
  });
});
