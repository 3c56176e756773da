// Puts the node's pending StopContainer calls ahead of sandbox teardown and removal in the runtime, so a mass deletion stops every container first.
//
// When many pods are deleted at once, each pod's worker stops its containers, then its sandbox
// (the CNI teardown), then removes both. Without an order, the pods whose containers stopped
// first already load the runtime with network teardown and removals while the other pods'
// StopContainer calls are still pending, and those stops finish later than they need to. The
// kubelet is spared part of this by leaving removal to its garbage collector; here a pod's
// sandbox stop and removal wait until no StopContainer is in flight on the node, but never
// longer than `maxWaitMs`, so that one container with a long grace period cannot hold back the
// cleanup of every other pod.

/** How long a sandbox stop or removal waits at most for other pods' container stops. */
export const DEFAULT_STOP_FIRST_MAX_WAIT_MS = 5_000;

export class StopFirst {
  private inFlight = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly maxWaitMs = DEFAULT_STOP_FIRST_MAX_WAIT_MS) {}

  /** How many StopContainer calls are pending now. */
  get pendingStops(): number {
    return this.inFlight;
  }

  /** Runs one StopContainer call, counted as pending until it settles. */
  async stopping<T>(stop: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await stop();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.release();
    }
  }

  /** Resolves once no StopContainer is pending on the node, or after maxWaitMs. */
  stopsDone(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.maxWaitMs);
      this.waiters.add(done);
    });
  }

  private release(): void {
    for (const done of [...this.waiters]) done();
  }
}
