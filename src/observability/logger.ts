/**
 * pino with redaction of every secret-bearing field. The paths are validated by pino when the
 * logger is built, so a typo here fails at startup rather than leaking at runtime.
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

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers["authorization"]',
  'req.headers["cookie"]',
  "headers.authorization",
  "headers.cookie",
];

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
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination,
  );
}
