// Keyed exponential back-off with an injected clock: the kubelet's flowcontrol.Backoff (crash loops, image pulls).
import type { V1Pod } from '@kubernetes/client-node';

/** The kubelet's defaults for both CrashLoopBackOff and image-pull back-off (kubelet.go: backOffPeriod, MaxContainerBackOff). */
export const CRASH_LOOP_INITIAL_MS = 10_000;
export const CRASH_LOOP_MAX_MS = 300_000;
export const IMAGE_PULL_INITIAL_MS = 10_000;
export const IMAGE_PULL_MAX_MS = 300_000;
/**
 * A pod whose volumes failed to set up is tried again after 0.5 s, then 1, 2, 4 s..., as the
 * kubelet's volume manager retries a mount (nestedpendingoperations: initialDurationBeforeRetry).
 * Its cap is 2m2s; ours is the pod worker's 10 s error retry, so a mount that failed for a long
 * while (a ConfigMap created late) is never retried more slowly than before. The key is the pod's.
 */
export const MOUNT_RETRY_INITIAL_MS = 500;
export const MOUNT_RETRY_MAX_MS = 10_000;

/** One mount back-off per pod (the kubelet keeps one per volume operation; ours sets every volume up at once). */
export function mountRetryKey(uid: string): string {
  return `${uid}_volumes`;
}

export interface BackOffOptions {
  initialMs: number;
  maxMs: number;
  /** Unix ms. */
  clock: () => number;
}

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

/**
 * flowcontrol.Backoff without jitter (the kubelet builds its crash-loop and pull back-offs with
 * maxJitterFactor 0). An entry not updated for more than 2*max counts as expired: the next event
 * starts again at the initial delay, so a container that behaved for a long while is not punished
 * for an old crash loop.
 */
export class BackOff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: BackOffOptions) {
    this.#initialMs = opts.initialMs;
    this.#maxMs = opts.maxMs;
    this.#clock = opts.clock;
  }

  /** Backoff.Next: record one more failure at eventTime, doubling the delay up to max. */
  next(key: string, eventTime: number): void {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(eventTime, entry.lastUpdate)) {
      this.#entries.set(key, { backoffMs: this.#initialMs, lastUpdate: this.#clock() });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.#maxMs);
    entry.lastUpdate = this.#clock();
  }

  /** Backoff.Get: the current delay for key, 0 when it has none. */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Backoff.IsInBackOffSince: true while less than the current delay has passed since eventTime. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    if (this.#expired(eventTime, entry.lastUpdate)) return false;
    return this.#clock() - eventTime < entry.backoffMs;
  }

  /** Backoff.IsInBackOffSinceUpdate: true while less than the current delay has passed since the last failure (image pulls). */
  isInBackOffSinceUpdate(key: string, eventTime: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    if (this.#expired(eventTime, entry.lastUpdate)) return false;
    return eventTime - entry.lastUpdate < entry.backoffMs;
  }

  /** Backoff.Reset: forget key. */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Backoff.GC: drop entries not updated for more than 2*max. */
  gc(): void {
    const now = this.#clock();
    for (const [key, entry] of this.#entries) {
      if (now - entry.lastUpdate > 2 * this.#maxMs) this.#entries.delete(key);
    }
  }

  /**
   * Drops every entry of one pod (both key forms below carry its UID): a removed pod's entries
   * would otherwise wait for gc(), 2*max after their last update.
   */
  forgetPod(uid: string): void {
    if (!uid) return;
    for (const key of this.#entries.keys()) {
      if (key.startsWith(`${uid}_`) || key.includes(`_${uid}_`)) this.#entries.delete(key);
    }
  }

  /** Number of live entries (for metrics and tests). */
  get size(): number {
    return this.#entries.size;
  }

  // flowcontrol hasExpired
  #expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > 2 * this.#maxMs;
  }
}

/** The kubelet's getStableKey: one back-off per pod, container and container spec. */
export function crashLoopKey(pod: V1Pod, containerName: string, hash: string): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}_${m.uid ?? ''}_${containerName}_${hash}`;
}

/** Image-pull back-off key: per image and pod, as the kubelet's image manager keys it. */
export function imagePullKey(pod: V1Pod, image: string): string {
  return `${pod.metadata?.uid ?? ''}_${image}`;
}
