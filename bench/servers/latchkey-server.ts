/**
 * Latchkey as the benchmarks run it: one replica per process, through the same `loadConfig` +
 * `startLatchkey` wiring as src/main.ts. Configuration comes from the environment as in production;
 * BENCH_SCHEMA (the run's Postgres schema) and BENCH_LOG_FILE (pino destination, so log cost stays
 * in the measurement without the orchestrator having to drain a pipe) and BENCH_WORKERS=off (no
 * background workers: the stampede must be answered by GetAccessToken's own single-flight, not by
 * the background refresher getting there first) are the only bench additions.
 * Prints {"ready": {"grpcPort", "internalPort", "publicPort", "pid"}}.
 */
import { pino } from "pino";
import { loadConfig, startLatchkey } from "../../src/app.js";
import { createLogger } from "../../src/observability/logger.js";
import { announceReady } from "../lib/child.js";

const config = loadConfig(process.env);
const logFile = process.env.BENCH_LOG_FILE;
const logger = createLogger({
  level: config.core.logLevel,
  ...(logFile ? { destination: pino.destination({ dest: logFile, sync: false, mkdir: true }) } : {}),
});
const schema = process.env.BENCH_SCHEMA;
const app = await startLatchkey(config, {
  logger,
  ...(schema ? { schema } : {}),
  ...(process.env.BENCH_WORKERS === "off" ? { workers: false } : {}),
});
announceReady({ grpcPort: app.grpcPort, internalPort: app.internalPort, publicPort: app.publicPort, pid: process.pid }, () => app.stop());
