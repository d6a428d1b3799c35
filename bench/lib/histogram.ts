/**
 * Latency recorder for load generators. Samples are kept exactly (a growable Float64Array of
 * microseconds) rather than bucketed: a 10 s run at 30k req/s is 300k doubles, 2.4 MB, and exact
 * percentiles avoid arguing about bucket error when comparing against a baseline.
 */
export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  private samples = new Float64Array(1 << 16);
  private n = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    if (this.n === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  summary(): LatencySummary {
    return summarize(this.samples.subarray(0, this.n));
  }
}

/** Nearest-rank percentiles of `values` (milliseconds), rounded to microseconds. */
export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count: n,
    mean: r(n ? sum / n : 0),
    p50: r(at(0.5)),
    p90: r(at(0.9)),
    p99: r(at(0.99)),
    p999: r(at(0.999)),
    max: r(n ? sorted[n - 1]! : 0),
  };
}

/** What every load generator reports: counts, rate and latency. */
export interface LoadResult {
  requests: number;
  errors: number;
  errorCodes: Record<string, number>;
  elapsedS: number;
  rps: number;
  latencyMs: LatencySummary;
}
