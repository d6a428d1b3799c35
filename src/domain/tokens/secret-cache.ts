/**
 * Decrypted tokens kept in memory for a short while, keyed by credential id and row version.
 * An entry is only ever served together with a version check against Postgres (the audit gate),
 * so a refresh or delete on any replica makes it unusable at once; the lifetime bounds how long
 * plaintext stays in this process. Bounded in size; the oldest entry goes first.
 */
import type { IssuedToken } from "./token-service.js";

export interface CachedToken {
  userId: string;
  version: number;
  /**
   * The answer itself, built once and frozen: every hand-out of this entry returns this same
   * object, so the layers above can reuse what they derive from it (the encoded response).
   */
  issued: IssuedToken;
  /** Monotonic ms (performance.now) when cached. */
  storedAt: number;
}

export interface SecretCacheOptions {
  /** 0 disables the cache. */
  ttlMs: number;
  maxEntries: number;
}

export interface SecretCache {
  get(credentialId: string, now: number): CachedToken | undefined;
  set(credentialId: string, entry: CachedToken): void;
  delete(credentialId: string): void;
  readonly size: number;
}

export function createSecretCache(opts: SecretCacheOptions): SecretCache {
  const map = new Map<string, CachedToken>();
  const enabled = opts.ttlMs > 0 && opts.maxEntries > 0;
  return {
    get(id, now) {
      if (!enabled) return undefined;
      const e = map.get(id);
      if (e && now - e.storedAt > opts.ttlMs) {
        map.delete(id);
        return undefined;
      }
      return e;
    },
    set(id, entry) {
      if (!enabled) return;
      map.delete(id);
      if (map.size >= opts.maxEntries) map.delete(map.keys().next().value!);
      map.set(id, entry);
    },
    delete(id) {
      map.delete(id);
    },
    get size() {
      return map.size;
    },
  };
}
