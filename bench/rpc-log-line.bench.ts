/**
 * The cost of the one-line-per-RPC log, in isolation: Latchkey's logger (createLogger, with its
 * wildcard redact paths) against the same pino options without redaction, writing to /dev/null.
 * In-process micro-benchmark (no servers): latency is per batch of 1,000 lines. This is the
 * biggest single cost the GetAccessToken profile shows; rerun after changing the logger.
 */
import { pino, type Logger } from "pino";
import { createLogger } from "../src/observability/logger.js";
import { Histogram } from "./lib/histogram.js";
import { compare, defineScenario, type Measurement } from "./lib/scenario.js";

const BATCH = 1000;
const fields = () => ({
  method: "latchkey.v1.CredentialsService/GetAccessToken",
  status: "OK",
  ms: 1.23,
  caller: "bench-executor",
  request_id: "5f0c0e8e-1b7a-4a1e-9c55-3b3c2f9b7a10",
  transport: "grpc",
});

function measure(label: string, logger: Logger, seconds: number): Measurement {
  for (let i = 0; i < 20 * BATCH; i++) logger.info(fields(), "rpc");
  const hist = new Histogram();
  const end = performance.now() + seconds * 1000;
  let lines = 0;
  const started = performance.now();
  while (performance.now() < end) {
    const t = performance.now();
    for (let i = 0; i < BATCH; i++) logger.info(fields(), "rpc");
    hist.record(performance.now() - t);
    lines += BATCH;
  }
  const s = (performance.now() - started) / 1000;
  return { label, rps: Math.round(lines / s), latencyMs: hist.summary(), requests: lines, errors: 0, extra: { usPerLine: Math.round((s * 1e6 * 100) / lines) / 100 } };
}

export default defineScenario({
  name: "rpc-log-line",
  title: "Per-RPC log line: Latchkey's redacting logger vs plain pino (lines/s; latency per 1,000 lines)",
  async run(ctx) {
    const dest = pino.destination({ dest: "/dev/null", sync: true });
    const seconds = Math.min(ctx.durationS, 3);
    const plain = measure(
      "pino, no redact",
      pino({ base: { service: "latchkey" }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (l) => ({ level: l }) } }, dest),
      seconds,
    );
    const ours = measure("createLogger (redact paths)", createLogger({ destination: dest, level: "info" }), seconds);
    return {
      comparisons: [compare("rpc log line", plain, ours)],
      facts: {
        "µs per line, plain pino": plain.extra!.usPerLine!,
        "µs per line, createLogger": ours.extra!.usPerLine!,
      },
      notes: ["Wildcard redact paths (`*.x`, `*.*.x`) are what costs: pino checks each on every line. The rpc line's fields are fixed and carry no secret."],
    };
  },
});
