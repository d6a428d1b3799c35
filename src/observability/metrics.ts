/**
 * Prometheus metrics on one registry (no global state, so tests and replicas in one process do not
 * collide). The RPC path is hot: each transport asks once per method for an `RpcMetrics` handle,
 * and recording a call only adds to that handle's plain counters and bucket array. prom-client
 * reads them when scraped (its own label children re-hash their labels on every observation,
 * ~2% of the token hot path).
 */
import { Registry, collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricValueWithName } from "prom-client";

/** gRPC status names by code number; Connect uses the same numbers. */
export const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? "UNKNOWN";
}

export interface RpcMetrics {
  /** Records one finished call: its gRPC code number and duration in seconds. */
  observe(code: number, seconds: number): void;
}

export interface Metrics {
  registry: Registry;
  /** Pre-bound handle for one method on one transport; call once per method, not per call. */
  rpc(method: string, transport: string): RpcMetrics;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag). Default true. */
  defaultMetrics?: boolean;
}

// Buckets for token hand-out latency: mostly sub-10ms cache hits, some provider refreshes (seconds).
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface RpcSeries {
  labels: { method: string; transport: string };
  /** Calls by gRPC code number. */
  codes: number[];
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** A registry entry whose values are read from `series` at scrape time. */
function scrapedMetric(name: string, help: string, type: "counter" | "histogram", values: () => MetricValueWithName<string>[]): Metric {
  const get = async () => ({ name, help, type, aggregator: "sum", values: values() }) as unknown as MetricObjectWithValues<MetricValueWithName<string>>;
  return { name, help, type, aggregator: "sum", get, reset: () => undefined } as unknown as Metric;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "latchkey_" });
  const series: RpcSeries[] = [];
  registry.registerMetric(
    scrapedMetric("latchkey_rpc_requests_total", "RPCs finished, by method, gRPC code and transport.", "counter", () =>
      series.flatMap((s) =>
        s.codes.flatMap((n, code) => (n ? [{ value: n, labels: { method: s.labels.method, code: codeName(code), transport: s.labels.transport } }] : [])),
      ),
    ),
  );
  registry.registerMetric(
    scrapedMetric("latchkey_rpc_duration_seconds", "RPC duration in seconds, by method and transport.", "histogram", () =>
      series.flatMap((s) => {
        let cumulative = 0;
        const out: MetricValueWithName<string>[] = DURATION_BUCKETS.map((le, i) => {
          cumulative += s.buckets[i]!;
          return { metricName: "latchkey_rpc_duration_seconds_bucket", value: cumulative, labels: { le, ...s.labels } };
        });
        out.push({ metricName: "latchkey_rpc_duration_seconds_bucket", value: s.count, labels: { le: "+Inf", ...s.labels } });
        out.push({ metricName: "latchkey_rpc_duration_seconds_sum", value: s.sum, labels: s.labels });
        out.push({ metricName: "latchkey_rpc_duration_seconds_count", value: s.count, labels: s.labels });
        return out;
      }),
    ),
  );
  const handles = new Map<string, RpcMetrics>();

  function rpc(method: string, transport: string): RpcMetrics {
    const key = `${transport} ${method}`;
    let handle = handles.get(key);
    if (handle) return handle;
    const s: RpcSeries = {
      labels: { method, transport },
      codes: new Array<number>(CODE_NAMES.length).fill(0),
      buckets: new Float64Array(DURATION_BUCKETS.length + 1),
      sum: 0,
      count: 0,
    };
    series.push(s);
    handle = {
      observe(code, seconds) {
        s.codes[code] = (s.codes[code] ?? 0) + 1;
        let i = 0;
        while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
        s.buckets[i]!++;
        s.sum += seconds;
        s.count++;
      },
    };
    handles.set(key, handle);
    return handle;
  }

  return {
    registry,
    rpc,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
