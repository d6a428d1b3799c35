/**
 * Core settings: database, dev-mode data directory, token cache, logging.
 *
 *   DATABASE_URL          Postgres; unset → dev mode's embedded PostgreSQL under LATCHKEY_DATA_DIR
 *   DB_POOL_MAX (10)      connections per replica
 *   LATCHKEY_DATA_DIR (.latchkey)   dev mode's embedded Postgres, keyring and generated token
 *   TOKEN_CACHE_TTL_MS (30000)      decrypted-token cache lifetime; 0 turns the cache off
 *   TOKEN_CACHE_MAX_ENTRIES (10000)
 *   LOG_LEVEL (info)
 */
import { InvalidArgument } from "../domain/errors.js";
import { intFrom, str, type Env } from "./env.js";

export type { Env } from "./env.js";

export interface CoreConfig {
  databaseUrl?: string;
  dbPoolMax: number;
  dataDir: string;
  tokenCache: { ttlMs: number; maxEntries: number };
  logLevel: string;
}

export function loadCoreConfig(env: Env): CoreConfig {
  const level = str(env, "LOG_LEVEL") ?? "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(level)) {
    throw new InvalidArgument("LOG_LEVEL", `unknown level "${level}"`);
  }
  const databaseUrl = str(env, "DATABASE_URL");
  return {
    ...(databaseUrl ? { databaseUrl } : {}),
    dbPoolMax: intFrom(env, "DB_POOL_MAX", 10, 1, 1000),
    dataDir: str(env, "LATCHKEY_DATA_DIR") ?? ".latchkey",
    tokenCache: {
      ttlMs: intFrom(env, "TOKEN_CACHE_TTL_MS", 30_000, 0, 3_600_000),
      maxEntries: intFrom(env, "TOKEN_CACHE_MAX_ENTRIES", 10_000, 0, 10_000_000),
    },
    logLevel: level,
  };
}
