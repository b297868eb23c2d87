/**
 * Latency summaries for the packet-loss test and the channel benchmark (pure functions, used in
 * Node and in bundled pages): nearest-rank quantiles of millisecond samples, rounded to 0.1 ms.
 */

/** The `q` quantile (0…1) of `xs` by nearest rank; NaN for no samples. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Count, p50, p99 and max of `ms`. */
export function summarize(ms: readonly number[]): LatencySummary {
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: ms.length,
    p50: round(quantile(ms, 0.5)),
    p99: round(quantile(ms, 0.99)),
    max: round(ms.length ? Math.max(...ms) : Number.NaN),
  };
}
