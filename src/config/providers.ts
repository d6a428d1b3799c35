/**
 * OAuth and provider configuration, parsed and validated once at startup.
 *   LATCHKEY_PUBLIC_URL               public base URL (default http://127.0.0.1:<HTTP_PUBLIC_PORT>); callback = <it>/oauth/callback
 *   LATCHKEY_REDIRECT_ALLOWLIST       comma-separated exact URLs, or origins / path prefixes ending in "/"
 *   LATCHKEY_OAUTH_STATE_TTL_SECONDS  authorization lifetime (default 600)
 *   LATCHKEY_REFRESH_MARGIN_SECONDS   background refresh this long before expiry (default 300)
 *   LATCHKEY_IDLE_REFRESH_HOURS       refresh idle refreshable credentials at least this often (default 24)
 *   LATCHKEY_PROVIDER_TIMEOUT_MS      timeout of one provider HTTP call (default 10000)
 *   LATCHKEY_PROVIDERS_FILE           custom providers and client credentials (YAML or JSON)
 *   LATCHKEY_PROVIDER_<NAME>_CLIENT_ID / _CLIENT_SECRET   (read by the provider registry)
 */
import { defaultPublicUrl } from "./env.js";

export interface OAuthConfig {
  publicUrl: string;
  callbackUrl: string;
  redirectAllowlist: string[];
  stateTtlSeconds: number;
  refreshMarginSeconds: number;
  idleRefreshHours: number;
  providerTimeoutMs: number;
  providersFile?: string;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: must be a positive integer, got "${raw}"`);
  return n;
}

function httpUrl(name: string, raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${name}: "${raw}" is not an absolute URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error(`${name}: "${raw}" must be http(s)`);
  if (u.username || u.password || u.hash) throw new Error(`${name}: "${raw}" must not carry credentials or a fragment`);
  return u;
}

export function loadOAuthConfig(env: NodeJS.ProcessEnv): OAuthConfig {
  const publicUrl = httpUrl("LATCHKEY_PUBLIC_URL", env.LATCHKEY_PUBLIC_URL || defaultPublicUrl(env))
    .toString()
    .replace(/\/+$/, "");
  const redirectAllowlist = (env.LATCHKEY_REDIRECT_ALLOWLIST ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of redirectAllowlist) httpUrl("LATCHKEY_REDIRECT_ALLOWLIST", entry);
  const cfg: OAuthConfig = {
    publicUrl,
    callbackUrl: `${publicUrl}/oauth/callback`,
    redirectAllowlist,
    stateTtlSeconds: positiveInt(env, "LATCHKEY_OAUTH_STATE_TTL_SECONDS", 600),
    refreshMarginSeconds: positiveInt(env, "LATCHKEY_REFRESH_MARGIN_SECONDS", 300),
    idleRefreshHours: positiveInt(env, "LATCHKEY_IDLE_REFRESH_HOURS", 24),
    providerTimeoutMs: positiveInt(env, "LATCHKEY_PROVIDER_TIMEOUT_MS", 10_000),
  };
  if (env.LATCHKEY_PROVIDERS_FILE) cfg.providersFile = env.LATCHKEY_PROVIDERS_FILE;
  return cfg;
}
