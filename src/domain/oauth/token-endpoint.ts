/**
 * Token-endpoint exchanges as `…Request` / `process…Response` pairs (after oauth4webapi): the
 * request builders do no I/O, `processTokenResponse` validates the answer. Every quirk comes from
 * the provider's definition: client auth, body format, nested token objects, error answers sent
 * with HTTP 200 (GitHub, Slack), missing expires_in.
 */
import type { ResolvedProvider } from "../../providers/types.js";
import { FailedPrecondition, Internal, Unavailable } from "../errors.js";
import { encodeClientRequest } from "./client-auth.js";
import { getPath } from "./object-path.js";
import { ProviderOAuthError } from "./oauth-errors.js";
import type { ProviderRequest, ProviderResponse } from "./provider-http.js";

export interface TokenSet {
  accessToken: string;
  /** Absent when the provider sent none (keep the stored one). */
  refreshToken?: string;
  /** Absolute expiry; null when the token does not expire. */
  expiresAt: Date | null;
  /** Granted scopes when the provider says; otherwise undefined (keep what was asked). */
  scopes?: string[];
  /** The whole answer, for username paths. Holds secrets: never log it. */
  raw: Record<string, unknown>;
}

function clientOf(p: ResolvedProvider) {
  if (!p.client || !p.definition.oauth) {
    throw new FailedPrecondition(`provider ${p.summary.name} is not configured for OAuth`);
  }
  return { client: p.client, oauth: p.definition.oauth };
}

function tokenRequest(p: ResolvedProvider, params: Record<string, string>): ProviderRequest {
  const { client, oauth } = clientOf(p);
  const { headers, body } = encodeClientRequest(params, client, oauth.client_auth, oauth.body_format);
  return { url: oauth.token_url, method: "POST", headers: { ...headers, ...oauth.token_headers }, body };
}

export function authorizationCodeGrantRequest(
  p: ResolvedProvider,
  args: { code: string; redirectUri: string; codeVerifier?: string },
): ProviderRequest {
  const params: Record<string, string> = { grant_type: "authorization_code", code: args.code, redirect_uri: args.redirectUri };
  if (args.codeVerifier) params.code_verifier = args.codeVerifier;
  return tokenRequest(p, params);
}

export function refreshTokenGrantRequest(p: ResolvedProvider, refreshToken: string): ProviderRequest {
  return tokenRequest(p, { grant_type: "refresh_token", refresh_token: refreshToken });
}

export function clientCredentialsGrantRequest(p: ResolvedProvider, scopes: string[]): ProviderRequest {
  const params: Record<string, string> = { grant_type: "client_credentials" };
  if (scopes.length > 0) params.scope = scopes.join(clientOf(p).oauth.scope_separator);
  return tokenRequest(p, params);
}

/**
 * Validates a token answer. Throws ProviderOAuthError for an OAuth error body (whatever the HTTP
 * status), Unavailable for 5xx/429, Internal for an answer that is not a token response.
 */
export function processTokenResponse(p: ResolvedProvider, res: ProviderResponse, now: Date): TokenSet {
  const name = p.summary.name;
  const oauth = clientOf(p).oauth;
  const body = res.body;
  const error = body?.error;
  if (typeof error === "string" && error.length > 0) {
    const desc = body?.error_description;
    throw new ProviderOAuthError(name, error, res.status, typeof desc === "string" ? desc : undefined);
  }
  if (res.status >= 500 || res.status === 429) throw new Unavailable(name, { detail: `HTTP ${res.status}` });
  if (res.status < 200 || res.status >= 300 || !body) {
    throw new ProviderOAuthError(name, "invalid_response", res.status);
  }
  // The nested object when present (Slack's code exchange); refresh answers come flat.
  const nested = oauth.token_path ? getPath(body, oauth.token_path) : undefined;
  const t = (typeof nested === "object" && nested !== null ? nested : body) as Record<string, unknown>;
  if (typeof t.access_token !== "string" || t.access_token.length === 0) {
    throw new Internal({ cause: new Error(`${name}: token answer without access_token`) });
  }
  const set: TokenSet = { accessToken: t.access_token, expiresAt: null, raw: body };
  if (typeof t.refresh_token === "string" && t.refresh_token.length > 0) set.refreshToken = t.refresh_token;
  const expiresIn = t.expires_in === undefined || t.expires_in === null || t.expires_in === "" ? undefined : Number(t.expires_in);
  const lifetime = expiresIn !== undefined && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : oauth.default_expires_in_seconds;
  if (lifetime !== undefined) set.expiresAt = new Date(now.getTime() + lifetime * 1000);
  if (typeof t.scope === "string") {
    // Providers answer with their own separator, or spaces (RFC 6749); accept either.
    set.scopes = t.scope.split(oauth.scope_separator === " " ? " " : new RegExp(`[ ${oauth.scope_separator}]`)).filter(Boolean);
  }
  return set;
}

/** True when the provider's answer means the grant is dead and the user must authorize again. */
export function isReauthError(p: ResolvedProvider, err: unknown): err is ProviderOAuthError {
  return err instanceof ProviderOAuthError && (p.definition.oauth?.reauth_errors ?? []).includes(err.error);
}
