/**
 * pino with redaction of every secret-bearing field, by key name at any depth (redactSecrets).
 */
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

/** Field names that may carry secret material anywhere in a logged object. */
export const SECRET_FIELDS = [
  "api_key",
  "apiKey",
  "access_token",
  "accessToken",
  "refresh_token",
  "refreshToken",
  "id_token",
  "client_secret",
  "clientSecret",
  "secret",
  "signing_secret",
  "signingSecret",
  "code_verifier",
  "codeVerifier",
  "code",
  "password",
  "token",
  "authorization",
  "plaintext",
] as const;

const SECRET_KEYS: ReadonlySet<string> = new Set([...SECRET_FIELDS, "cookie", "set-cookie", "x-vault-token"]);
const CENSOR = "[REDACTED]";
const MAX_DEPTH = 8;

/**
 * Replaces the value of every secret-named key, at any depth, with a censor. Objects with nothing
 * to redact are returned as they are (no copy), so a flat line such as the per-RPC log costs a
 * few key lookups. pino's path-based redaction needs a wildcard path per depth and costs ~10x a
 * plain line on the hot path (bench/rpc-log-line.bench.ts); this catches secrets at any depth for less.
 * Errors pass through to pino's error serializer: domain errors never carry secret material.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH || value instanceof Error || ArrayBuffer.isView(value)) {
    return value;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const r = redactSecrets(value[i], depth + 1);
      if (r !== value[i]) (out ??= value.slice())[i] = r;
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const v = obj[key];
    const r = SECRET_KEYS.has(key) || SECRET_KEYS.has(key.toLowerCase()) ? CENSOR : redactSecrets(v, depth + 1);
    if (r !== v) (out ??= { ...obj })[key] = r;
  }
  return out ?? value;
}

export interface LoggerOptions {
  level?: string;
  /** Tests pass a stream to capture lines and prove secrets are absent. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      base: { service: "latchkey" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Top-level paths only (cheap): they also cover child bindings, which pino does not pass
      // through formatters. Nested fields are redactSecrets' job.
      redact: { paths: [...SECRET_KEYS].map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`)), censor: CENSOR },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactSecrets(obj) as Record<string, unknown>,
      },
    },
    // Asynchronous stdout: a synchronous write per line would block the event loop on every RPC.
    // main.ts flushes it before exiting.
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
