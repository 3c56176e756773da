// Jittered, capped exponential back-off for retrying the API server (client-go's wait.Backoff as the reflector uses it).
//
// Many agents (and many pods of one agent) retrying on the same schedule would hit a returning
// API server all at once; the jitter spreads them. The cap bounds how long a recovered server
// waits for us. A quiet spell (no failure for resetAfterMs) starts the sequence again from the
// beginning, as client-go's backoff manager does.

export interface BackoffOptions {
  /** The first wait (client-go's reflector: 800 ms). */
  initialMs: number;
  /** No wait is longer than this (the reflector: 30 s). */
  maxMs: number;
  /** Growth per failure (2). */
  factor?: number;
  /** Each wait is d + random·jitter·d, then capped (client-go: 1.0). */
  jitter?: number;
  /** After this long without a failure the next wait is the first one again (the reflector: 2 min). */
  resetAfterMs?: number;
  random?: () => number;
  now?: () => number;
}

export class Backoff {
  private next: number;
  private lastFailure: number | undefined;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly o: BackoffOptions) {
    this.next = o.initialMs;
    this.factor = o.factor ?? 2;
    this.jitter = o.jitter ?? 1;
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
  }

  /** The wait before the next attempt, after a failure; each call grows the following one. */
  failure(): number {
    const now = this.now();
    if (this.lastFailure !== undefined && this.o.resetAfterMs !== undefined && now - this.lastFailure > this.o.resetAfterMs) {
      this.next = this.o.initialMs;
    }
    this.lastFailure = now;
    const base = this.next;
    this.next = Math.min(this.o.maxMs, base * this.factor);
    return Math.min(this.o.maxMs, base + this.random() * this.jitter * base);
  }

  /** A success: the next failure waits the first wait again. */
  reset(): void {
    this.next = this.o.initialMs;
    this.lastFailure = undefined;
  }
}
