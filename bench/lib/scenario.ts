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

export interface PairedResult {
  /** The round with the median throughput ratio, named "<name> (median of N paired rounds)". */
  median: Comparison;
  /** Every round's throughput ratio, in the order run. */
  ratios: number[];
}

/**
 * Measures baseline and subject alternately, `rounds` times, and reports the median round.
 * On a shared machine a neighbour can slow one measurement by a third; alternating cancels slow
 * drift, and the median ignores a round that was disturbed, where a single pair can land
 * anywhere in that spread. Every round's ratio goes into the report too.
 */
export async function pairedRounds(
  name: string,
  rounds: number,
  baseline: () => Promise<Measurement>,
  subject: () => Promise<Measurement>,
  target?: Target,
): Promise<PairedResult> {
  const all: Comparison[] = [];
  for (let i = 0; i < rounds; i++) all.push(compare(name, await baseline(), await subject(), target));
  const sorted = [...all].sort((a, b) => a.ratio.throughput - b.ratio.throughput);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return {
    median: { ...mid, name: rounds > 1 ? `${name} (median of ${rounds} paired rounds)` : name },
    ratios: all.map((c) => c.ratio.throughput),
  };
}
