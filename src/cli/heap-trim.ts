// Gives a burst's fragmented V8 old space back to the OS as soon as the agent is quiet again, with a compacting GC.
//
// Why: a wave of pod starts (a node boot, a rollout) promotes much short-lived garbage into V8's
// old space, which grows from ~24 to ~35 MB at 100 pods. A full GC frees the garbage but only
// moves objects off pages that are mostly empty, so the rest stays resident; V8's own memory
// reducer compacts them, but only after it has watched the allocation rate stay low for 8 s or
// more, so the agent keeps 10–12 MB it does not use for 10–20 s after every burst. Here a timer
// looks every second: when the old space has grown 8 MB or more over its smallest size since the
// last compaction (or since start), and the event loop was busy less than 5 % of the last 3 s (a
// burst keeps it 25–35 % busy, the seconds after it 1–4 %), it runs a full GC in V8's
// memory-saving mode, 45–65 ms at 100 pods. The size it leaves is the new baseline, so a heap that
// grew because there is more to keep (more pods) is compacted once, not again and again; at
// steady state the old space moves by 2–3 MB and it never runs.
import v8 from 'node:v8';
import vm from 'node:vm';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface HeapTrimPolicy {
  /** How often to look. */
  intervalMs: number;
  /** Compact when the old space has grown this many bytes over the baseline... */
  minGrowthBytes: number;
  /** ...and the event loop was busy less than this share of the time... */
  maxUtilization: number;
  /** ...over the last this many intervals (a slow runtime can leave one second of a burst idle). */
  quietIntervals: number;
}

export const DEFAULT_HEAP_TRIM: HeapTrimPolicy = {
  intervalMs: 1_000,
  minGrowthBytes: 8 * 1024 * 1024,
  maxUtilization: 0.05,
  quietIntervals: 3,
};

export interface OldSpace {
  /** Bytes the old space holds (committed). */
  size: number;
  /** Bytes of objects in it (live, or garbage not yet collected). */
  used: number;
}

/** What one look sees. */
export interface HeapTrimSample {
  oldSpaceSize: number;
  /** The old space's smallest size since the last compaction (or since start). */
  baselineSize: number;
  /** Share of the last `quietIntervals` intervals the event loop was busy (0..1). */
  utilization: number;
}

/** The decision alone, pure: is now a good moment to compact? */
export function shouldTrimHeap(s: HeapTrimSample, policy: HeapTrimPolicy): boolean {
  return s.oldSpaceSize - s.baselineSize >= policy.minGrowthBytes && s.utilization < policy.maxUtilization;
}

export function readOldSpace(): OldSpace {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space');
  return { size: s?.space_size ?? 0, used: s?.space_used_size ?? 0 };
}

let gcFunction: (() => void) | undefined;
/** One full GC in V8's memory-saving mode (see compactHeap). */
function memorySavingGC(): void {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
    v8.setFlagsFromString('--no-expose-gc');
    if (typeof gc !== 'function') throw new Error('this Node.js does not expose V8\'s gc to a new context');
    gcFunction = gc as () => void;
  }
  v8.setFlagsFromString('--optimize-for-size');
  try {
    gcFunction();
  } finally {
    v8.setFlagsFromString('--no-optimize-for-size');
  }
}

/**
 * Full GCs in V8's memory-saving mode: each moves the objects off pages at least 20 % free (up to
 * 6 MB of them) and returns the emptied pages. A GC picks those pages from what the previous one
 * left, so when the burst's garbage has not been collected yet, the first GC only frees it and a
 * second one (run when a quarter of the old space is still free) moves what is left together.
 *
 * Node has no API for this, so V8's own flags are set for the moment: `--expose-gc` only while a
 * fresh context is made (the agent's own global `gc` stays absent), and `--optimize-for-size` only
 * around the GC. Not `--compact-on-every-full-gc`: it moves every live object at once, and the
 * copies raised the agent's peak RSS by ~20 MB.
 */
export function compactHeap(): void {
  memorySavingGC();
  const o = readOldSpace();
  if (o.size - o.used >= 0.25 * o.size) memorySavingGC();
}

export interface HeapTrimLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HeapTrimDeps {
  readOldSpace: () => OldSpace;
  compact: () => void;
  now: () => number;
}

/** Starts the timer (unref'd: it never keeps the process alive); the result stops it. */
export function startHeapTrim(logger: HeapTrimLogger, policy: HeapTrimPolicy = DEFAULT_HEAP_TRIM, deps: HeapTrimDeps = { readOldSpace, compact: compactHeap, now: () => performance.now() }): { stop(): void } {
  let baselineSize = deps.readOldSpace().size;
  // The loop's busy time at each of the last `quietIntervals` ticks, oldest first.
  const marks: EventLoopUtilization[] = [performance.eventLoopUtilization()];
  const timer = setInterval(() => {
    const next = performance.eventLoopUtilization();
    const utilization = marks.length >= policy.quietIntervals ? performance.eventLoopUtilization(next, marks[0]).utilization : 1;
    marks.push(next);
    if (marks.length > policy.quietIntervals) marks.shift();
    const before = deps.readOldSpace();
    // V8 may shrink the old space by itself (pods gone, its memory reducer): grow from there.
    baselineSize = Math.min(baselineSize, before.size);
    if (!shouldTrimHeap({ oldSpaceSize: before.size, baselineSize, utilization }, policy)) return;
    const t0 = deps.now();
    try {
      deps.compact();
    } catch (e) {
      // A Node.js whose V8 refuses the flags: V8's own memory reducer still returns the memory, later.
      clearInterval(timer);
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'heap trim unavailable; it is switched off');
      return;
    }
    const pauseMs = Math.round(deps.now() - t0);
    const after = deps.readOldSpace();
    baselineSize = after.size;
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    logger.debug({ oldSpaceMB: { before: [mb(before.size), mb(before.used)], after: [mb(after.size), mb(after.used)] }, pauseMs, loopUtilization: Math.round(utilization * 100) / 100 }, 'compacted the heap after a burst of work');
  }, policy.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
