// Small statistics for the benchmarks: quantiles, summaries and rounding.

/** The q-quantile of an ascending array (nearest rank, as bench/relist.ts computes it). */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, p50: round(quantile(s, 0.5)), p99: round(quantile(s, 0.99)), min: round(s[0] ?? 0), max: round(s.at(-1) ?? 0), mean: round(mean) };
}

/** a / b rounded, or null when b is not a positive number (a missing floor must not print as Infinity). */
export function ratio(a: number, b: number): number | null {
  return b > 0 && Number.isFinite(a) ? round(a / b) : null;
}

/**
 * The exponent k in y ≈ c·n^k fitted by least squares on logs: 1 is linear, below 1 is better than
 * linear (fixed costs amortised), above 1 worse.
 */
export function growthExponent(points: { n: number; y: number }[]): number | null {
  const pts = points.filter((p) => p.n > 0 && p.y > 0);
  if (pts.length < 2) return null;
  const xs = pts.map((p) => Math.log(p.n));
  const ys = pts.map((p) => Math.log(p.y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den > 0 ? round(num / den) : null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
