/**
 * The Postgres connection (postgres.js) and the translation of its failures into domain errors.
 * Repositories take a `Sql` and never see connection strings.
 */
import postgres from "postgres";
import { Unavailable, type DomainError } from "../domain/errors.js";

export type Sql = postgres.Sql<Record<string, never>>;
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;

export interface DbOptions {
  url: string;
  /** Pool size; each replica holds at most this many connections. */
  max?: number;
  /** Schema to put first on the search_path (tests use one schema per file). */
  schema?: string;
  applicationName?: string;
  connectTimeoutSeconds?: number;
}

export function connect(opts: DbOptions): Sql {
  return postgres(opts.url, {
    max: opts.max ?? 10,
    prepare: true,
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    connection: {
      application_name: opts.applicationName ?? "latchkey",
      ...(opts.schema ? { search_path: opts.schema } : {}),
    },
    // Timestamps come back as Date; bigint columns as JS numbers would lose precision, keep strings.
    types: {},
  }) as Sql;
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // Postgres: admin shutdown, cannot connect now, too many connections.
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/** True when the error means Postgres could not be reached (rather than a query being wrong). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONNECTION_CODES.has(code);
}

/**
 * Runs a database operation, turning connection failures into `Unavailable("postgres")`.
 * Domain errors pass through; anything else is rethrown for the transport to log as internal.
 */
export async function db<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (isConnectionError(err)) throw new Unavailable("postgres", { cause: err });
    throw err as DomainError | Error;
  }
}
