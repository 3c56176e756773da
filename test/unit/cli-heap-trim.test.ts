// The heap trim: when it decides to compact (table), that the compaction really returns a fragmented old space, and the timer's pacing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { compactHeap, DEFAULT_HEAP_TRIM, readOldSpace, shouldTrimHeap, startHeapTrim, type HeapTrimSample } from '../../src/cli/heap-trim.js';

const MB = 1024 * 1024;
const P = DEFAULT_HEAP_TRIM;

describe('shouldTrimHeap', () => {
  const cases: Array<[string, HeapTrimSample, boolean]> = [
    ['after a burst, quiet: grown from 24 to 35 MB', { oldSpaceSize: 35 * MB, baselineSize: 24 * MB, utilization: 0.02 }, true],
    ['steady: 3 MB over the baseline', { oldSpaceSize: 27 * MB, baselineSize: 24 * MB, utilization: 0.02 }, false],
    ['mid-burst (loop 30 % busy)', { oldSpaceSize: 35 * MB, baselineSize: 24 * MB, utilization: 0.3 }, false],
    ['a burst winding down (loop 7 % busy over the last 3 s)', { oldSpaceSize: 35 * MB, baselineSize: 24 * MB, utilization: 0.07 }, false],
    ['exactly 8 MB over, quiet', { oldSpaceSize: 32 * MB, baselineSize: 24 * MB, utilization: 0.049 }, true],
    ['smaller than the baseline (V8 shrank it itself)', { oldSpaceSize: 20 * MB, baselineSize: 24 * MB, utilization: 0 }, false],
  ];
  for (const [name, sample, want] of cases) {
    it(name, () => assert.equal(shouldTrimHeap(sample, P), want));
  }
});

describe('compactHeap', () => {
  it('after a burst: frees the garbage and moves what is left together, in one call', () => {
    // ~24 MB of small objects in the old space, then two of every three dropped and not yet
    // collected: every page keeps a third of its objects. One plain full GC would only free the
    // garbage (its pages were full when it started); the trim also moves the rest together.
    let all: Array<{ i: number; s: string; a: number[] }> | undefined = [];
    for (let i = 0; i < 150_000; i++) all.push({ i, s: `object-${i}`, a: [i, i + 1] });
    compactHeap();
    const kept = all.filter((_, i) => i % 3 === 0);
    all = undefined;
    const before = readOldSpace();
    compactHeap();
    const after = readOldSpace();
    assert.equal(kept.length, 50_000);
    assert.ok(before.size - after.size > 8 * MB, `old space ${before.size} -> ${after.size}`);
    assert.ok(after.size - after.used < 0.15 * after.size, `after: ${after.used} used of ${after.size}`);
  });

  it('leaves no global gc behind', () => {
    compactHeap();
    const exposed = process.execArgv.includes('--expose-gc');
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, exposed ? 'function' : 'undefined');
  });
});

describe('startHeapTrim', () => {
  const quick = { ...P, intervalMs: 10, quietIntervals: 1, maxUtilization: 0.5 };

  it('compacts once after the old space grew, and the size it leaves is the new baseline', async () => {
    let heap = { size: 24 * MB, used: 23 * MB };
    let compactions = 0;
    const lines: string[] = [];
    const trim = startHeapTrim(
      { debug: (_o, msg) => lines.push(msg), warn: (_o, msg) => lines.push(`warn ${msg}`) },
      quick,
      { readOldSpace: () => heap, compact: () => { compactions++; heap = { size: heap.size - 4 * MB, used: 23 * MB }; }, now: () => performance.now() },
    );
    await sleep(50);
    assert.equal(compactions, 0, 'nothing grew');
    heap = { size: 35 * MB, used: 24 * MB }; // a burst
    await sleep(80);
    assert.equal(compactions, 1, 'once, although only 4 MB came back: 31 MB is the baseline now');
    assert.deepEqual(lines, ['compacted the heap after a burst of work']);
    heap = { size: 40 * MB, used: 24 * MB }; // 9 MB over the new baseline: the next burst
    await sleep(80);
    trim.stop();
    assert.equal(compactions, 2);
  });

  it('after V8 shrank the old space by itself, growth counts from the smaller size', async () => {
    let heap = { size: 60 * MB, used: 50 * MB };
    let compactions = 0;
    const trim = startHeapTrim(
      { debug: () => {}, warn: () => {} },
      quick,
      { readOldSpace: () => heap, compact: () => void compactions++, now: () => performance.now() },
    );
    await sleep(50);
    heap = { size: 25 * MB, used: 23 * MB }; // most pods gone; V8's memory reducer shrank it
    await sleep(50);
    heap = { size: 35 * MB, used: 24 * MB }; // the next burst: 10 MB over 25, though under 60
    await sleep(80);
    trim.stop();
    assert.equal(compactions, 1);
  });

  it('waits while the event loop is busy', async () => {
    let compactions = 0;
    const trim = startHeapTrim(
      { debug: () => {}, warn: () => {} },
      { ...P, intervalMs: 20, quietIntervals: 2, maxUtilization: 0.5 },
      { readOldSpace: (() => { let n = 0; return () => ({ size: (n++ === 0 ? 24 : 35) * MB, used: 23 * MB }); })(), compact: () => void compactions++, now: () => performance.now() },
    );
    // Busy nearly all the time, yielding only to let timers run (setImmediate: no idle wait).
    const until = performance.now() + 150;
    while (performance.now() < until) {
      const spin = performance.now() + 5;
      while (performance.now() < spin);
      await new Promise(setImmediate);
    }
    assert.equal(compactions, 0, 'not while busy');
    await sleep(200);
    trim.stop();
    assert.ok(compactions >= 1, 'once quiet');
  });

  it('a compaction that throws switches the trim off with one warning, and the process goes on', async () => {
    let calls = 0;
    const lines: string[] = [];
    let heap = { size: 35 * MB, used: 24 * MB };
    const trim = startHeapTrim(
      { debug: (_o, msg) => lines.push(msg), warn: (_o, msg) => lines.push(`warn ${msg}`) },
      quick,
      { readOldSpace: () => heap, compact: () => { calls++; throw new Error('no gc here'); }, now: () => performance.now() },
    );
    await sleep(60);
    heap = { size: 50 * MB, used: 24 * MB };
    await sleep(60);
    trim.stop();
    assert.equal(calls, 1);
    assert.deepEqual(lines, ['warn heap trim unavailable; it is switched off']);
  });
});
