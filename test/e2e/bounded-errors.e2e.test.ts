// Files that are no manifests beside a good one (the agent's own log, random bytes, JSON lines, a YAML file of errors): one short error each, bounded memory and log.
//
// Two agents run side by side on the same machine for two minutes: one with only the good
// manifest (the baseline), one with the bad files too and its own log written into its manifest
// directory. The second must run the good pod, report each bad file once and briefly, keep its
// RSS within 20 % of the baseline's, and its log must grow by a bounded amount per check period.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { podYaml, startAgent, type Agent } from '../support/agent.js';

/** The harness's --file-check-frequency. */
const CHECK_PERIOD_MS = 2000;
const RUN_MS = 120_000;
const LOG_FILE = 'agent.log';

const good = podYaml('good', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`);

/** 50 MB of random bytes, written in chunks. */
function writeRandom(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  try {
    for (let left = bytes; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
  } finally {
    closeSync(fd);
  }
}

/** About `bytes` of lines made by `line`. */
function linesOf(bytes: number, line: (i: number) => string): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const l = line(i);
    out.push(l);
    size += l.length + 1;
  }
  return out.join('\n') + '\n';
}

function vmRSSKiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);

interface ErrorsItem { path: string; message: string }

let baseline: Agent;
let withBadFiles: Agent;

before(async () => {
  [baseline, withBadFiles] = await Promise.all([
    startAgent({ name: 'bounded-base' }),
    startAgent({
      name: 'bounded-bad',
      logFile: LOG_FILE,
    }),
  ]);
});
after(async () => {
  await Promise.all([baseline?.cleanup(), withBadFiles?.cleanup()]);
});

describe('bounded errors', () => {
  it('bad files beside a good manifest: the pod runs, one short error each, RSS and log growth bounded', { timeout: RUN_MS + 240_000 }, async () => {
    const dir = withBadFiles.manifestDir;
    writeRandom(path.join(dir, 'random.bin'), 50 * 1024 * 1024);
    const jsonLines = linesOf(1 << 20, (i) => JSON.stringify({ level: 30, time: 1712345678901 + i, pid: 4242, msg: 'rejected manifest', path: `/srv/pods/x-${i}.yaml`, error: `line ${i}: "quoted" text` }));
    withBadFiles.writeManifest('lines.json', jsonLines);
    // One error on every line: a compact nested mapping ("key: value: n") is not allowed.
    withBadFiles.writeManifest('errors.yaml', linesOf(1 << 20, (i) => `key${i}: value: ${i}`));
    baseline.writeManifest('good.yaml', good);
    withBadFiles.writeManifest('good.yaml', good);
    const started = Date.now();

    const samples: Array<{ t: number; base?: number; bad?: number; baseLog: number; badLog: number }> = [];
    const logSize = () => statSync(path.join(dir, LOG_FILE)).size;
    while (Date.now() - started < RUN_MS) {
      samples.push({ t: Date.now() - started, base: vmRSSKiB(baseline.pid()), bad: vmRSSKiB(withBadFiles.pid()), baseLog: baseline.output().length, badLog: logSize() });
      await new Promise((r) => setTimeout(r, CHECK_PERIOD_MS));
    }

    // The good pod runs on both.
    for (const a of [baseline, withBadFiles]) await a.waitPod('good', 'Running', (p) => p.status?.phase === 'Running');

    // One short error per bad file at /manifests/errors, the log file included.
    const res = await fetch(`http://127.0.0.1:${withBadFiles.port}/manifests/errors`);
    const body = await res.text();
    const items = (JSON.parse(body) as { items: ErrorsItem[] }).items;
    const byFile = new Map<string, string[]>();
    for (const e of items) byFile.set(path.basename(e.path), [...(byFile.get(path.basename(e.path)) ?? []), e.message]);
    assert.deepEqual([...byFile.keys()].sort(), [LOG_FILE, 'errors.yaml', 'lines.json', 'random.bin']);
    for (const [file, messages] of byFile) {
      assert.equal(messages.length, 1, `${file}: ${messages.length} errors`);
      assert.ok(messages[0]!.length <= 300, `${file}: ${messages[0]!.length} characters`);
    }
    assert.match(byFile.get('errors.yaml')![0]!, /at line 1, column 7: "value: 0"$/);
    assert.match(byFile.get('lines.json')![0]!, /at line 2, column 1: /);
    assert.match(byFile.get('random.bin')![0]!, /too large/);

    // RSS: within 20 % of the baseline's, the usual level (median) and the peak once both run (20 s).
    const settled = samples.filter((s) => s.t >= 20_000 && s.base !== undefined && s.bad !== undefined);
    const base = settled.map((s) => s.base!);
    const bad = settled.map((s) => s.bad!);
    // Log growth per check period, after the first reports.
    const growth = settled.slice(1).map((s, i) => s.badLog - settled[i]!.badLog);
    const baseGrowth = settled.slice(1).map((s, i) => s.baseLog - settled[i]!.baseLog);
    const rejectedLines = withBadFiles.output().split('\n').filter((l) => l.includes('"rejected manifest"')).length;
    // The whole run too, the agents' start and the first reads of the bad files included.
    const whole = samples.filter((s) => s.base !== undefined && s.bad !== undefined);
    const peakBase = max(whole.map((s) => s.base!));
    const peakBad = max(whole.map((s) => s.bad!));
    const figures = {
      rssKiB: { baseline: { median: median(base), max: max(base), peakWholeRun: peakBase }, withBadFiles: { median: median(bad), max: max(bad), peakWholeRun: peakBad } },
      logBytesPerCheckPeriod: { withBadFiles: { median: median(growth), max: max(growth) }, baseline: { median: median(baseGrowth), max: max(baseGrowth) } },
      logFileBytes: logSize(),
      rejectedManifestLines: rejectedLines,
      errorsBodyBytes: body.length,
      errorMessageChars: Object.fromEntries([...byFile].map(([f, m]) => [f, m[0]!.length])),
    };
    console.log(`bounded-errors figures: ${JSON.stringify(figures)}`);
    assert.ok(median(bad) <= 1.2 * median(base), `median RSS ${median(bad)} KiB vs baseline ${median(base)} KiB`);
    assert.ok(max(bad) <= 1.2 * max(base), `peak RSS ${max(bad)} KiB vs baseline ${max(base)} KiB`);
    assert.ok(peakBad <= 1.2 * peakBase, `whole-run peak RSS ${peakBad} KiB vs baseline ${peakBase} KiB`);
    // Bounded: no period adds more than 64 KiB, the bad files add a handful of lines in all, and the
    // growth does not build on itself (the last half grows no faster than the first).
    assert.ok(max(growth) <= 64 * 1024, `${max(growth)} bytes in one check period`);
    assert.ok(rejectedLines <= 10, `${rejectedLines} "rejected manifest" lines in ${RUN_MS / 1000}s`);
    const half = Math.floor(growth.length / 2);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(growth.slice(half)) <= 1.5 * mean(growth.slice(0, half)) + 2048, `growth ${mean(growth.slice(0, half))} then ${mean(growth.slice(half))} bytes per period`);
  });
});
