// Waits for the machine to go quiet before a measured round, so that one round's tail does not land in the next.
//
// After a round's cleanup the runtime is still busy for a few seconds (100 shims exiting,
// containerd's snapshot GC), and a freshly started agent still compiles its code paths. Whichever
// round came next (floor or agent) paid for that, and the paired ratios swung by 0.3 on the same
// machine. Both sides of a pair wait the same way, so the wait favours neither.
import { readFileSync } from 'node:fs';
import { sleep } from './stats.js';

export interface QuietPolicy {
  /** The whole machine's busy share (0–1, all cores) that counts as quiet. */
  busyBelow: number;
  /** How long each look lasts. */
  windowMs: number;
  /** Measure anyway after this long: a machine busy with other work never goes quiet. */
  maxMs: number;
}

export const DEFAULT_QUIET: QuietPolicy = { busyBelow: 0.2, windowMs: 1000, maxMs: 20_000 };

/** Busy and total jiffies over all cores, from /proc/stat's first line (idle and iowait count as not busy). */
export function cpuTimes(stat = readFileSync('/proc/stat', 'utf8')): { busy: number; total: number } {
  const fields = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Resolves once a whole window was quiet, or after maxMs; says how long it waited and how busy the last window was. */
export async function waitForQuiet(policy: QuietPolicy = DEFAULT_QUIET): Promise<{ waitedMs: number; busy: number; quiet: boolean }> {
  const started = Date.now();
  for (;;) {
    const a = cpuTimes();
    await sleep(policy.windowMs);
    const b = cpuTimes();
    const busy = b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
    const waitedMs = Date.now() - started;
    if (busy < policy.busyBelow) return { waitedMs, busy, quiet: true };
    if (waitedMs >= policy.maxMs) {
      process.stderr.write(`bench: the machine is still ${Math.round(busy * 100)} % busy after ${Math.round(waitedMs / 1000)} s; measuring anyway\n`);
      return { waitedMs, busy, quiet: false };
    }
  }
}
