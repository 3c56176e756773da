// Hostile input against the REAL agent and containerd: a sample of the generated broken Pods as manifest files beside a good one; the agent stays up, the good pod runs, each file gets one bounded error naming the field.
//
// The unit test (test/unit/hostile-pods.test.ts) puts 1,200 of them through the same parse,
// validation and admission code; this checks the running agent with a sample of 30 (300 in full).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { startAgent, type Agent } from '../support/agent.js';
import { recordFault, size } from '../support/faults.js';
import { brokenCase, brokenManifest, goodPod, spelled } from '../support/hostile-pods.js';

let agent: Agent | undefined;
after(async () => agent?.cleanup());

interface ErrorsItem { path: string; message: string }

test('broken Pods as manifest files beside a good one: the agent stays up, the good pod runs, one bounded error per file naming the field', { timeout: 300_000 }, async (t) => {
  const a = (agent = await startAgent({ name: 'hostile' }));
  const cases = fc.sample(brokenCase, size(30, 300));
  cases.forEach((c, i) => a.writeManifest(`bad-${i}.yaml`, brokenManifest(c)));
  const good = goodPod();
  // The good pod needs no volume, probe or host port here: it must simply run.
  good.spec.containers[0]!.ports = [];
  delete (good.spec.containers[0] as { livenessProbe?: unknown }).livenessProbe;
  a.writeManifest('good.yaml', stringify(good));

  const started = Date.now();
  await a.waitPod(`good-${a.nodeName}`, 'Running', (p) => p.status?.phase === 'Running', 120_000);
  const runningMs = Date.now() - started;
  const items = await a.waitFor('an error for every bad file at /manifests/errors', async () => {
    const res = await fetch(`http://127.0.0.1:${a.port}/manifests/errors`);
    const { items } = (await res.json()) as { items: ErrorsItem[] };
    return items.filter((e) => /bad-\d+\.yaml$/.test(e.path)).length >= cases.length ? items : undefined;
  }, 60_000);

  const problems: string[] = [];
  cases.forEach((c, i) => {
    const mine = items.filter((e) => e.path.endsWith(`/bad-${i}.yaml`));
    const field = spelled(c.path);
    if (mine.length !== 1) problems.push(`bad-${i}.yaml: ${mine.length} errors`);
    else if (mine[0]!.message.length > 1100) problems.push(`bad-${i}.yaml: ${mine[0]!.message.length} chars`);
    else if (!mine[0]!.message.includes(field) && !mine[0]!.message.includes(spelled(c.path.slice(0, -1)) + '[') && !/call stack|too deep|cannot decode: .+ at line \d+/i.test(mine[0]!.message)) {
      problems.push(`bad-${i}.yaml: does not name ${field}: ${mine[0]!.message.slice(0, 200)}`);
    }
  });
  const pods = await a.pods();
  const alive = a.pid() !== undefined;
  t.diagnostic(`${cases.length} broken files: good pod Running after ${runningMs} ms; ${problems.length} problems`);
  recordFault({
    kind: 'hostile input', what: 'generated broken Pods as manifest files on the running agent, a good pod beside them', times: cases.length, unit: 'files',
    lost: problems.length + (alive ? 0 : 1), lostWhat: problems.length ? problems.slice(0, 3).join('; ') : undefined,
    notes: `the good pod Running ${(runningMs / 1000).toFixed(1)} s after the files were written; one error per file at /manifests/errors`,
  });
  assert.ok(alive, 'the agent is alive');
  assert.deepEqual(problems, []);
  assert.deepEqual(pods.map((p) => p.metadata?.name), [`good-${a.nodeName}`], 'only the good pod');
});
