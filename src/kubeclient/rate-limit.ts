// A token bucket that bounds requests per second with a burst, as client-go's flowcontrol limiter does for --kube-api-qps / --kube-api-burst.

/**
 * `qps` tokens are added per second up to `burst`; each request takes one, waiting when none is
 * left. qps <= 0 means no limit (client-go's QPS < 0). Requests are served in arrival order.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = Math.max(1, burst);
    this.last = now();
  }

  /** Resolves when the caller may send its request. */
  take(): Promise<void> {
    if (this.qps <= 0) return Promise.resolve();
    // Chained, so that waiters leave in the order they came.
    const turn = this.tail.then(() => this.wait());
    this.tail = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.sleep(((1 - this.tokens) / this.qps) * 1000);
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(Math.max(1, this.burst), this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
  }
}
