/** A logger whose output the test can read back, to assert on log lines and prove secrets stay out. */
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/observability/logger.js";

export interface LogCapture {
  logger: Logger;
  /** Every chunk as written (one JSON line each); grows as the logger writes. */
  raw: string[];
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
}

export function captureLogs(level = "debug"): LogCapture {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      raw.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level, destination });
  const text = () => raw.join("");
  return {
    logger,
    raw,
    text,
    lines: () =>
      text()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
