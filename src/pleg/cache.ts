// The runtime cache: the newest ObservedPod per UID and how fresh it is, with waits for fresher state (kubelet: container/cache.go).

import type { ObservedPod } from '../runtime/types.js';

interface Entry {
  pod: ObservedPod;
  /** Unix ms when the observation began (the relist or inspection start, not its end). */
  timestamp: number;
}

interface Waiter {
  minTimestamp: number;
  resolve: (pod: ObservedPod | undefined) => void;
}

/**
 * A missing entry means the runtime had nothing for that UID at the last relist. The global
 * timestamp (updateTime) says every entry is at least that fresh, as a relist saw all pods; a UID
 * whose last inspection failed is "stale" and does not ride on it, so a worker never takes old or
 * missing state for new (it would start again what already runs).
 */
export class PodCache {
  private readonly entries = new Map<string, Entry>();
  private readonly stale = new Set<string>();
  /**
   * UIDs seen gone from the runtime, and as of when. A relist that listed a pod before its worker
   * removed it would otherwise store it again afterwards, and housekeeping would take the removed
   * pod for an orphan. Kept until a relist that began later has finished (updateTime).
   */
  private readonly goneAt = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();
  private globalTimestamp: number | undefined;

  get(uid: string): ObservedPod | undefined {
    return this.entries.get(uid)?.pod;
  }

  /** The timestamp of the UID's own entry, undefined when there is none. */
  timestampOf(uid: string): number | undefined {
    return this.entries.get(uid)?.timestamp;
  }

  /** The global freshness: the start of the last relist that covered every pod. */
  timestamp(): number | undefined {
    return this.globalTimestamp;
  }

  uids(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Stores an observation unless the entry already holds a newer one (a worker's own updatePod can
   * land while an older relist is still inspecting). Returns whether it was stored.
   */
  set(uid: string, pod: ObservedPod, timestamp: number): boolean {
    const current = this.entries.get(uid);
    if (current && current.timestamp > timestamp) return false;
    const gone = this.goneAt.get(uid);
    if (gone !== undefined && gone > timestamp) return false;
    this.entries.set(uid, { pod, timestamp });
    this.goneAt.delete(uid);
    this.stale.delete(uid);
    this.notify(uid);
    return true;
  }

  /**
   * Forgets a UID: the runtime held nothing for it as of `timestamp` (when the caller began to
   * look). An entry newer than that is kept, as it was written after the caller looked; an older
   * observation that arrives later is refused.
   */
  delete(uid: string, timestamp: number): void {
    const current = this.entries.get(uid);
    if (current && current.timestamp > timestamp) return;
    this.entries.delete(uid);
    this.stale.delete(uid);
    this.goneAt.set(uid, Math.max(timestamp, this.goneAt.get(uid) ?? timestamp));
    this.notify(uid);
  }

  /** The UID's inspection failed: its entry (or its absence) is no longer vouched for by the global timestamp. */
  markStale(uid: string): void {
    this.stale.add(uid);
  }

  /** kubelet: cache.UpdateTime. Every non-stale UID is now known to be at least this fresh. */
  updateTime(timestamp: number): void {
    if (this.globalTimestamp !== undefined && timestamp < this.globalTimestamp) return;
    this.globalTimestamp = timestamp;
    // Relists never overlap: once one that began after a removal has finished, no older listing
    // of that pod is still on its way.
    for (const [uid, at] of this.goneAt) if (at < timestamp) this.goneAt.delete(uid);
    for (const uid of [...this.waiters.keys()]) this.notify(uid);
  }

  /**
   * kubelet: cache.GetNewerThan. Resolves once the UID's state is known at least as of minTimestamp:
   * with the entry, or undefined when the runtime holds nothing for it. Rejects with the signal's
   * reason when aborted. (The kubelet compares strictly "after"; with millisecond clocks "at least"
   * lets a caller that just acted pass its own now() and be answered by the next relist.)
   */
  getNewerThan(uid: string, minTimestamp: number, signal?: AbortSignal): Promise<ObservedPod | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.isFresh(uid, minTimestamp)) return Promise.resolve(this.get(uid));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.removeWaiter(uid, waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        minTimestamp,
        resolve: (pod) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(pod);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(uid, [...(this.waiters.get(uid) ?? []), waiter]);
    });
  }

  private isFresh(uid: string, minTimestamp: number): boolean {
    const own = this.entries.get(uid)?.timestamp ?? this.goneAt.get(uid);
    if (own !== undefined && own >= minTimestamp) return true;
    return !this.stale.has(uid) && this.globalTimestamp !== undefined && this.globalTimestamp >= minTimestamp;
  }

  private notify(uid: string): void {
    const list = this.waiters.get(uid);
    if (!list) return;
    const waiting = list.filter((w) => !this.isFresh(uid, w.minTimestamp));
    if (waiting.length > 0) this.waiters.set(uid, waiting);
    else this.waiters.delete(uid);
    for (const w of list) if (!waiting.includes(w)) w.resolve(this.get(uid));
  }

  private removeWaiter(uid: string, waiter: Waiter): void {
    const rest = (this.waiters.get(uid) ?? []).filter((w) => w !== waiter);
    if (rest.length > 0) this.waiters.set(uid, rest);
    else this.waiters.delete(uid);
  }
}
