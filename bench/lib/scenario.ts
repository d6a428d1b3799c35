/**
 * What a scenario file (bench/*.bench.ts) exports, and what it reports. Every number is reported
 * beside a baseline measured in the same run, with the ratio: machines here are shared and noisy,
 * so absolute numbers drift run to run while ratios mostly hold.
 */
import type { LatencySummary } from "./histogram.js";

export interface Measurement {
  label: string;
  /** Successful calls per second (0 for latency-only measurements). */
  rps: number;
  latencyMs: LatencySummary;
  requests: number;
  errors: number;
  errorCodes?: Record<string, number>;
  /** Scenario-specific numbers (refresh count, wall time...). */
  extra?: Record<string, number | string | boolean>;
}

export interface Target {
  /** subject.rps / baseline.rps must be at least this. */
  throughputRatioAtLeast?: number;
  /** subject.p99 / baseline.p99 must be at most this. */
  p99RatioAtMost?: number;
}

export interface Comparison {
  name: string;
  baseline: Measurement;
  subject: Measurement;
  ratio: { throughput: number; p50: number; p99: number };
  target?: Target;
  /** Undefined when there is no target. */
  met?: boolean;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  comparisons: Comparison[];
  /** Facts worth a line in the report: "refreshes at the token endpoint: 1". */
  facts: Record<string, number | string | boolean>;
  notes: string[];
  error?: string;
  wallS?: number;
}

export interface ScenarioContext {
  /** Seconds per measurement (after warmup). */
  durationS: number;
  warmupS: number;
  databaseUrl: string;
  /** Command-line flags without the leading dashes (e.g. "quick" skips the 1M-row data set). */
  flags: ReadonlySet<string>;
  log(message: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: ScenarioContext): Promise<Omit<ScenarioResult, "scenario" | "title">>;
}

export function defineScenario(s: Scenario): Scenario {
  return s;
}

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : 0);

export function compare(name: string, baseline: Measurement, subject: Measurement, target?: Target): Comparison {
  const ratio = {
    throughput: round(baseline.rps ? subject.rps / baseline.rps : 0),
    p50: round(baseline.latencyMs.p50 ? subject.latencyMs.p50 / baseline.latencyMs.p50 : 0),
    p99: round(baseline.latencyMs.p99 ? subject.latencyMs.p99 / baseline.latencyMs.p99 : 0),
  };
  let met: boolean | undefined;
  if (target) {
    met =
      (target.throughputRatioAtLeast === undefined || ratio.throughput >= target.throughputRatioAtLeast) &&
      (target.p99RatioAtMost === undefined || ratio.p99 <= target.p99RatioAtMost);
  }
  return { name, baseline, subject, ratio, ...(target ? { target } : {}), ...(met !== undefined ? { met } : {}) };
}
