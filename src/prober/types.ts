// The prober's vocabulary: probe types, a single check's outcome, the results kept per container, and the injected clock.
import type { Clock, TimerHandle } from '../clock.js';

/** kubelet prober.probeType; the string is how events name it ("Liveness probe failed: ..."). */
export type ProbeType = 'Liveness' | 'Readiness' | 'Startup';

/** kubelet probe.Result: what one check of one handler found. Warning counts as a success. */
export type CheckResult = 'success' | 'warning' | 'failure' | 'unknown';

/**
 * One handler run: result and output (the event text). `error` means the probe could not be run
 * at all (bad port, refused host); the worker then throws the result away, as the kubelet does.
 */
export interface CheckOutcome {
  result: CheckResult;
  output: string;
  error?: Error;
}

/** kubelet results.Result: what the worker stores for a container. */
export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

/** Time and timers, injected so tests can drive them (the shared Clock). Timers made here are unref'd by the caller. */
export type ProberClock = Clock;
export type { TimerHandle };

/** Unlike clock.ts's realClock, timers are not unref'd here: a hook's sleep must hold the process. */
export const realClock: ProberClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Where HTTP-style probes and hooks may go: the pod's own addresses and loopback, nothing else. */
export interface ProbeTarget {
  /** The pod's primary IP ('' when it has none yet). */
  podIP: string;
  /** Every pod IP; a probe `host` naming one of them is allowed. */
  podIPs: readonly string[];
}

/** The version the kubelet puts in its User-Agent (kube-probe/<major>.<minor>). */
export const KUBE_VERSION = { major: '1', minor: '34' } as const;

export function userAgent(purpose: 'probe' | 'lifecycle'): string {
  return `kube-${purpose}/${KUBE_VERSION.major}.${KUBE_VERSION.minor}`;
}
