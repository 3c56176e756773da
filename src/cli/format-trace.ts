// A pod's CRI calls as a timeline: one heading per sync step (its cause), then one line per call with its time, duration and answer.
import type { TraceEntry } from '../trace/store.js';
import { syncLabel } from '../trace/cause.js';

/** HH:MM:SS.mmm in UTC. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** 0.4ms, 12ms, 1.3s: short enough for a column. */
export function shortDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** By start time; a call that completed first breaks ties (seq is completion order). */
export function byStart(entries: readonly TraceEntry[]): TraceEntry[] {
  return [...entries].sort((a, b) => a.start - b.start || a.seq - b.seq);
}

const causeKey = (e: TraceEntry) => `${e.kind} ${e.sync} ${e.step}`;

/** Prints timeline lines, remembering the last heading so that a follower's lines continue its groups. */
export class TimelinePrinter {
  private lastCause: string | undefined;

  /** The heading once per run of calls with the same cause, then the call. */
  lines(entries: readonly TraceEntry[]): string {
    let out = '';
    for (const e of entries) {
      const key = causeKey(e);
      if (key !== this.lastCause) {
        out += `${syncLabel(e)}: ${e.step}\n`;
        this.lastCause = key;
      }
      const result = e.ok ? e.result : `error: ${e.result}`;
      out += `  ${clockTime(e.start)}  ${e.call.padEnd(17)} ${e.target.padEnd(26)} ${shortDuration(e.durationMs).padStart(7)}  ${result}\n`;
    }
    return out;
  }
}

/** The whole timeline of a pod, with a line naming it first. */
export function formatTimeline(pod: { namespace: string; name: string; uid: string }, entries: readonly TraceEntry[]): string {
  const head = `CRI calls for pod ${pod.namespace}/${pod.name} (uid ${pod.uid}), times in UTC:\n`;
  if (entries.length === 0) return `${head}  (none recorded yet)\n`;
  return head + new TimelinePrinter().lines(byStart(entries));
}
