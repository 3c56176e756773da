// The CRI calls made for each pod, in a bounded ring per pod UID, dropped with the pod; read by /pods/{namespace}/{name}/trace.
import type { CallCause, SyncKind } from './cause.js';

/** One CRI call the agent made for a pod. Times are unix ms. */
export interface TraceEntry {
  /** Per pod, from 1: a follower asks for what is newer than the last it saw. */
  seq: number;
  start: number;
  durationMs: number;
  /** The RPC, as the proto names it: RunPodSandbox, CreateContainer, ... */
  call: string;
  /** What it was about: "web attempt 2", "busybox:1.36", a short id. */
  target: string;
  ok: boolean;
  /** The answer in a few words (ok) or the error (not ok); bounded. */
  result: string;
  sync: number;
  kind: SyncKind;
  /** The plan step that made the call, in the planner's words. */
  step: string;
}

export type NewTraceEntry = Omit<TraceEntry, 'seq' | 'sync' | 'kind' | 'step'>;

/** How many calls a pod keeps by default: about the start of a pod with a few containers and a long crash loop after it. */
export const DEFAULT_TRACE_PER_POD = 200;

interface PodTrace {
  /** A ring: `next` is where the next entry goes once it is full. */
  entries: TraceEntry[];
  next: number;
  seq: number;
  followers: Set<(e: TraceEntry | undefined) => void>;
}

export class TraceStore {
  private readonly pods = new Map<string, PodTrace>();
  private readonly perPod: number;

  constructor(opts: { perPod?: number } = {}) {
    this.perPod = Math.max(1, opts.perPod ?? DEFAULT_TRACE_PER_POD);
  }

  record(cause: CallCause, e: NewTraceEntry): void {
    let t = this.pods.get(cause.uid);
    if (!t) this.pods.set(cause.uid, (t = { entries: [], next: 0, seq: 0, followers: new Set() }));
    const entry: TraceEntry = { seq: ++t.seq, ...e, sync: cause.sync, kind: cause.kind, step: cause.step };
    if (t.entries.length < this.perPod) t.entries.push(entry);
    else {
      t.entries[t.next] = entry;
      t.next = (t.next + 1) % this.perPod;
    }
    for (const f of t.followers) f(entry);
  }

  /** The pod's calls, oldest first (as recorded, i.e. by completion), newer than seq `after` when given. */
  entries(uid: string, after = 0): TraceEntry[] {
    const t = this.pods.get(uid);
    if (!t) return [];
    const ordered = t.entries.length < this.perPod ? t.entries : [...t.entries.slice(t.next), ...t.entries.slice(0, t.next)];
    return after > 0 ? ordered.filter((e) => e.seq > after) : [...ordered];
  }

  /** Calls fn with each new entry of the pod, and with undefined when the pod is dropped. Returns the unsubscribe. */
  follow(uid: string, fn: (e: TraceEntry | undefined) => void): () => void {
    let t = this.pods.get(uid);
    if (!t) this.pods.set(uid, (t = { entries: [], next: 0, seq: 0, followers: new Set() }));
    t.followers.add(fn);
    const own = t;
    return () => {
      own.followers.delete(fn);
      // A follower of a pod that never made a call (rejected at admission) leaves nothing behind.
      if (own.followers.size === 0 && own.entries.length === 0 && this.pods.get(uid) === own) this.pods.delete(uid);
    };
  }

  /** The pod is gone: its calls go with it, and its followers are told. */
  forget(uid: string): void {
    const t = this.pods.get(uid);
    if (!t) return;
    this.pods.delete(uid);
    for (const f of t.followers) f(undefined);
  }

  /** How many pods have a trace (tests, and to see that forget works). */
  get size(): number {
    return this.pods.size;
  }
}
