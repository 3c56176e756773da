// Wall-clock time and timers, injected so that periodic controllers (node status, lease, events) can be driven by a fake clock in tests.

export interface TimerHandle {
  unref?(): unknown;
}

export interface Clock {
  /** Unix ms. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Real time; timers are unref'd so that a pending one never keeps the process alive on shutdown. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** wait.Jitter: the duration plus up to `factor` of it at random. */
export const jitter = (ms: number, factor: number, random: () => number = Math.random) => ms + random() * factor * ms;

/** A task that runs at once and then again `periodMs` (jittered) after each run ends: wait.JitterUntil with sliding=true. */
export class Periodic {
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly fn: () => Promise<unknown> | unknown,
    private readonly jitterFactor = 0,
  ) {}

  start(delayMs = 0): void {
    this.stopped = false;
    this.timer = this.clock.setTimeout(() => void this.run(), delayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.fn();
    } catch {
      // The task logs its own failures; a throw must not end the loop.
    }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.run(), jitter(this.periodMs, this.jitterFactor));
  }
}

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
