// usageNanoCores from two samples of a cumulative CPU counter: the last sample kept per object, the rate worked out on read.
//
// The kubelet's CRI stats provider keeps such a cache (cpuUsageCache) because runtimes report only
// the cumulative usageCoreNanoSeconds. Its cache is advanced by one periodic caller (the eviction
// manager, every 10s); here the readers of /stats/summary advance it. So that two reads a moment
// apart do not yield a rate over a few milliseconds of noise, a sample younger than `minWindowMs`
// relative to the kept one answers with the last rate instead of replacing the kept sample.
// The CPU-and-memory path (?only_cpu_and_memory, /metrics/resource) reads the cache without
// advancing it, as the kubelet's getContainerUsageNanoCores does, so a scraper does not change the
// rates /stats/summary reports.

/** What the stats readers need: a sample in, the rate out. */
export interface CpuRates {
  sample(key: string, usageNs: number, atNs: number): number | undefined;
}

export interface CpuRateOptions {
  /** The shortest window a rate is computed over (default 1s). */
  minWindowMs?: number;
  /** Entries not sampled for this long are dropped (the kubelet's defaultCachePeriod, 10m). */
  maxAgeMs?: number;
}

interface Entry {
  usageNs: number;
  atNs: number;
  /** The rate computed when this sample was kept; undefined for an object's first sample. */
  nanoCores?: number;
}

export class CpuRateCache implements CpuRates {
  private readonly entries = new Map<string, Entry>();
  private readonly minWindowNs: number;
  private readonly maxAgeNs: number;

  constructor(opts: CpuRateOptions = {}) {
    this.minWindowNs = (opts.minWindowMs ?? 1000) * 1e6;
    this.maxAgeNs = (opts.maxAgeMs ?? 10 * 60_000) * 1e6;
  }

  /**
   * Records a sample of `key`'s cumulative usage taken at `atNs` (unix nanoseconds) and returns
   * the rate in nanocores, or undefined when there is no earlier sample to compare with. A counter
   * that went down belongs to a new object under the same key (a recreated cgroup): start over.
   */
  sample(key: string, usageNs: number, atNs: number): number | undefined {
    const prev = this.entries.get(key);
    if (!prev || usageNs < prev.usageNs || atNs < prev.atNs) {
      this.entries.set(key, { usageNs, atNs });
      return undefined;
    }
    const window = atNs - prev.atNs;
    if (window < this.minWindowNs) return prev.nanoCores;
    const nanoCores = Math.round(((usageNs - prev.usageNs) / window) * 1e9);
    this.entries.set(key, { usageNs, atNs, nanoCores });
    return nanoCores;
  }

  /** A view that answers each object's last computed rate and keeps no sample. */
  readOnly(): CpuRates {
    return { sample: (key) => this.entries.get(key)?.nanoCores };
  }

  /** Drops entries last kept more than maxAge before `nowNs` (cleanupOutdatedCaches). */
  prune(nowNs: number): void {
    for (const [key, e] of this.entries) if (nowNs - e.atNs > this.maxAgeNs) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
