// A ProberClock whose timers fire only when a test advances time, for probe worker and manager tests.
import type { ProberClock } from '../../src/prober/types.js';

/** Timers that fire only when the test advances time. */
export class FakeClock implements ProberClock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;

  constructor(public t: number) {}

  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return { id, unref: () => undefined };
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== (h as { id: number }).id);
  };
  /** Moves time forward by ms, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

/** Lets pending promise chains run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
