/**
 * Prometheus metrics on one registry (no global state, so tests and replicas in one process do not
 * collide). The RPC path is hot: each transport asks once per method for an `RpcMetrics` handle,
 * whose label children are bound up front, so recording a call is two lookups and two increments.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "latchkey_" });
  const requests = new Counter({
    name: "latchkey_rpc_requests_total",
    help: "RPCs finished, by method, gRPC code and transport.",
    labelNames: ["method", "code", "transport"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "latchkey_rpc_duration_seconds",
    help: "RPC duration in seconds, by method and transport.",
    labelNames: ["method", "transport"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const handles = new Map<string, RpcMetrics>();

  function rpc(method: string, transport: string): RpcMetrics {
    const key = `${transport} ${method}`;
    let handle = handles.get(key);
    if (handle) return handle;
    const hist = duration.labels({ method, transport });
    // One counter child per code, bound on first use (17 codes at most).
    const counters: Array<ReturnType<typeof requests.labels> | undefined> = [];
    handle = {
      observe(code, seconds) {
        let c = counters[code];
        if (!c) {
          c = requests.labels({ method, code: codeName(code), transport });
          counters[code] = c;
        }
        c.inc();
        hist.observe(seconds);
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
