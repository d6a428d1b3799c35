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

export type Env = Record<string, string | undefined>;

export interface CoreConfig {
  databaseUrl?: string;
  dbPoolMax: number;
  dataDir: string;
  tokenCache: { ttlMs: number; maxEntries: number };
  logLevel: string;
}

export function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new InvalidArgument(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new InvalidArgument(name, `must be between ${min} and ${max}`);
  return n;
}

export function loadCoreConfig(env: Env): CoreConfig {
  const level = env.LOG_LEVEL?.trim() || "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(level)) {
    throw new InvalidArgument("LOG_LEVEL", `unknown level "${level}"`);
  }
  return {
    ...(env.DATABASE_URL?.trim() ? { databaseUrl: env.DATABASE_URL.trim() } : {}),
    dbPoolMax: intFrom(env, "DB_POOL_MAX", 10, 1, 1000),
    dataDir: env.LATCHKEY_DATA_DIR?.trim() || ".latchkey",
    tokenCache: {
      ttlMs: intFrom(env, "TOKEN_CACHE_TTL_MS", 30_000, 0, 3_600_000),
      maxEntries: intFrom(env, "TOKEN_CACHE_MAX_ENTRIES", 10_000, 0, 10_000_000),
    },
    logLevel: level,
  };
}
