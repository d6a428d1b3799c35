/**
 * Signing secrets: encrypted through the SecretStore bound to the webhook row, and decrypted on
 * ingress through a short-lived in-memory cache keyed by webhook id + row version, because a Vault
 * round trip per delivery would be slow and a rotation bumps the version (no stale secret served).
 */
import { rowContext, type SecretStore } from "../../secrets/secret-store.js";
import { createPromiseCache } from "../../lib/promise-cache.js";
import type { WebhookRow } from "./webhook.js";

export function encryptWebhookSecret(store: SecretStore, userId: string, webhookId: string, secret: string): Promise<string> {
  return store.encrypt(Buffer.from(secret, "utf8"), rowContext("webhook", userId, webhookId));
}

export interface WebhookSecretCache {
  /** The secrets that verify now: the current one, then the previous one inside its grace period. */
  secretsFor(row: WebhookRow): Promise<string[]>;
  clear(): void;
}

export interface WebhookSecretCacheOptions {
  store: SecretStore;
  ttlMs: number;
  now?: () => number;
  maxEntries?: number;
}

export function createWebhookSecretCache(opts: WebhookSecretCacheOptions): WebhookSecretCache {
  const now = opts.now ?? Date.now;
  const entries = createPromiseCache<string[]>(opts.maxEntries ?? 10_000);

  async function decrypt(row: WebhookRow, at: number): Promise<string[]> {
    const ctx = rowContext("webhook", row.userId, row.id);
    const items = [{ ciphertext: row.secretCiphertext, context: ctx }];
    if (row.previousSecretCiphertext && row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > at) {
      items.push({ ciphertext: row.previousSecretCiphertext, context: ctx });
    }
    const plain = await opts.store.decryptBatch(items);
    return plain.map((b) => b.toString("utf8"));
  }

  return {
    secretsFor(row) {
      const at = now();
      const key = `${row.id}:${row.version}`;
      const hit = entries.get(key, at);
      if (hit) return hit;
      let expiresAt = at + opts.ttlMs;
      // The previous secret must stop verifying when its grace ends, cache or not.
      const graceEnd = row.previousSecretExpiresAt?.getTime();
      if (graceEnd !== undefined && graceEnd > at) expiresAt = Math.min(expiresAt, graceEnd);
      const secrets = decrypt(row, at);
      // A failed decrypt (Vault down) is not kept (see createPromiseCache).
      if (opts.ttlMs > 0) entries.set(key, secrets, expiresAt);
      return secrets;
    },
    clear: () => entries.clear(),
  };
}
