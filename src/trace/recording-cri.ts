// A thin wrapper around the CRI client that records, for the pod whose cause is current, each call's start, duration and answer or error.
import type { CriRuntime } from '../cri/types.js';
import { CRI_REQUESTS, criRequest } from '../cri/requests.js';
import { currentCause, type CallCause } from './cause.js';
import { bounded, callAnswer, callTarget } from './summary.js';
import type { NewTraceEntry } from './store.js';

/** Where recorded calls go (TraceStore.record fits). */
export type CallSink = (cause: CallCause, entry: NewTraceEntry) => void;

/**
 * The same CriRuntime, with every method recording through `sink` when a cause is current
 * (cause.ts). Outside a cause (the PLEG's relist every second, the GC) a call costs one
 * AsyncLocalStorage lookup more and is not recorded.
 */
export function recordCriCalls<T extends CriRuntime>(cri: T, sink: CallSink, clock: () => number = Date.now): T {
  const wrapped: Record<string, unknown> = {};
  for (const method of Object.keys(RPC_NAMES) as (keyof CriRuntime)[]) {
    const inner = (cri[method] as (...a: unknown[]) => Promise<unknown>).bind(cri);
    const rpc = RPC_NAMES[method];
    wrapped[method] = (...args: unknown[]): Promise<unknown> => {
      const cause = currentCause();
      if (!cause) return inner(...args);
      const start = clock();
      const t0 = performance.now();
      const done = (ok: boolean, result: string) => {
        const entry: NewTraceEntry = { start, durationMs: Math.round((performance.now() - t0) * 10) / 10, call: rpc, target: callTarget(method, args), ok, result };
        try {
          sink(cause, entry);
        } catch {
          /* recording must never fail the call */
        }
      };
      return inner(...args).then(
        (value) => {
          done(true, callAnswer(method, value));
          return value;
        },
        (err: unknown) => {
          done(false, bounded(err instanceof Error ? err.message : String(err)));
          throw err;
        },
      );
    };
  }
  // Whatever else the client has (close, its endpoints) stays as it is.
  return Object.assign(Object.create(cri) as T, wrapped);
}

/** Every CriRuntime method and its RPC name, from the request builders (one list for the client and for this wrapper). */
const RPC_NAMES = Object.fromEntries(
  (Object.keys(CRI_REQUESTS) as (keyof CriRuntime)[]).map((m) => [m, criRequest(m, []).rpc]),
) as Record<keyof CriRuntime, string>;
