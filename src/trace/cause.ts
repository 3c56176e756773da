// Why a CRI call is made: the pod, the sync and the plan step around it, carried by AsyncLocalStorage so no signature has to pass it on.
//
// The pod worker sets a cause around each sync (sync-pod.ts) and the executor narrows it around
// each step (execute.ts); the recording CRI wrapper (recording-cri.ts) reads it at each call. A
// call made outside any cause (the PLEG's relist, the GC, stats, log rotation, probes) has none
// and is not recorded for a pod.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';

/** Which of the worker's three syncs (the kubelet's SyncPod, SyncTerminatingPod, SyncTerminatedPod). */
export type SyncKind = 'sync' | 'terminating' | 'terminated';

export interface CallCause {
  uid: string;
  /** namespace/name, for logs. */
  pod: string;
  /** The pod worker's count of syncs of this pod, from 1. */
  sync: number;
  kind: SyncKind;
  /** The plan step, in the planner's words: "start container web: exited with code 1, restartPolicy Always". */
  step: string;
}

const storage = new AsyncLocalStorage<CallCause>();

/** Runs fn with this cause; everything fn starts (calls, promises, timers) sees it. */
export function withCause<T>(cause: CallCause, fn: () => T): T {
  return storage.run(cause, fn);
}

/** Runs fn as one step of the current cause (a no-op outside any cause). */
export function inStep<T>(step: string, fn: () => T): T {
  const cause = storage.getStore();
  return cause ? storage.run({ ...cause, step }, fn) : fn();
}

export function currentCause(): CallCause | undefined {
  return storage.getStore();
}

/**
 * fn bound to the current cause. For work handed to a queue (the image pulls' p-queue): a queued
 * task is started from whichever task finished before it, and would otherwise run under that
 * other pod's cause.
 */
export function bindCause<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return storage.getStore() ? AsyncResource.bind(fn) : fn;
}

/** "sync #12", "sync #13 (terminating)": how a cause's sync is printed. */
export function syncLabel(c: Pick<CallCause, 'sync' | 'kind'>): string {
  return c.kind === 'sync' ? `sync #${c.sync}` : `sync #${c.sync} (${c.kind})`;
}
