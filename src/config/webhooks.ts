/**
 * Webhook settings, parsed and validated once at startup.
 *
 *   LATCHKEY_PUBLIC_URL                      base of ingress URLs (default http://127.0.0.1:<HTTP_PUBLIC_PORT>)
 *   LATCHKEY_WEBHOOK_MAX_BODY_BYTES          largest accepted body (default 1 MiB)
 *   LATCHKEY_WEBHOOK_ACK_TIMEOUT_SECONDS     unacked events are redelivered after this (default 60)
 *   LATCHKEY_WEBHOOK_RETENTION_HOURS         events older than this are pruned (default 168 = 7 days)
 *   LATCHKEY_WEBHOOK_PRUNE_INTERVAL_SECONDS  how often pruning runs (default 600)
 *   LATCHKEY_WEBHOOK_SECRET_CACHE_SECONDS    how long decrypted signing secrets stay in memory (default 60)
 *   LATCHKEY_WEBHOOK_ROTATION_GRACE_SECONDS  default grace period of RotateWebhookSecret (default 86400)
 *   LATCHKEY_GITHUB_API_URL                  GitHub REST API base for hook registration (default https://api.github.com)
 */
import { InvalidArgument } from "../domain/errors.js";
import { defaultPublicUrl, intFrom, type Env } from "./env.js";

export interface WebhooksConfig {
  publicUrl: string;
  maxBodyBytes: number;
  ackTimeoutMs: number;
  retentionMs: number;
  pruneIntervalMs: number;
  secretCacheMs: number;
  rotationGraceMs: number;
  githubApiUrl: string;
}

/** Whole-number settings; the reason for a malformed value is this loader's own. */
function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  return intFrom(env, name, dflt, min, max, "must be a whole number");
}

function url(env: Env, name: string, dflt: string): string {
  const raw = env[name]?.trim() || dflt;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new InvalidArgument(name, "must be an absolute http(s) URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new InvalidArgument(name, "must be an absolute http(s) URL");
  if (parsed.search || parsed.hash) throw new InvalidArgument(name, "must not carry a query or fragment");
  return raw.replace(/\/+$/, "");
}

export function loadWebhooksConfig(env: Env = process.env): WebhooksConfig {
  return {
    publicUrl: url(env, "LATCHKEY_PUBLIC_URL", defaultPublicUrl(env)),
    maxBodyBytes: int(env, "LATCHKEY_WEBHOOK_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    ackTimeoutMs: int(env, "LATCHKEY_WEBHOOK_ACK_TIMEOUT_SECONDS", 60, 1, 86_400) * 1000,
    retentionMs: int(env, "LATCHKEY_WEBHOOK_RETENTION_HOURS", 168, 1, 24 * 366) * 3_600_000,
    pruneIntervalMs: int(env, "LATCHKEY_WEBHOOK_PRUNE_INTERVAL_SECONDS", 600, 1, 86_400) * 1000,
    secretCacheMs: int(env, "LATCHKEY_WEBHOOK_SECRET_CACHE_SECONDS", 60, 0, 3600) * 1000,
    rotationGraceMs: int(env, "LATCHKEY_WEBHOOK_ROTATION_GRACE_SECONDS", 86_400, 0, 30 * 86_400) * 1000,
    githubApiUrl: url(env, "LATCHKEY_GITHUB_API_URL", "https://api.github.com"),
  };
}
