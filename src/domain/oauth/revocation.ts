/**
 * Token revocation (RFC 7009, or the provider's own endpoint as its data describes), as a
 * request/response pair. Revoking an already-invalid token is success (RFC 7009 §2.2).
 */
import type { ResolvedProvider } from "../../providers/types.js";
import { FailedPrecondition, Unavailable } from "../errors.js";
import { basicAuthorization, encodeClientRequest } from "./client-auth.js";
import { ProviderOAuthError } from "./oauth-errors.js";
import type { ProviderRequest, ProviderResponse } from "./provider-http.js";

export function revocationRequest(p: ResolvedProvider, token: string, kind: "refresh_token" | "access_token"): ProviderRequest {
  const r = p.definition.oauth?.revoke;
  if (!r || !p.client) throw new FailedPrecondition(`provider ${p.summary.name} does not support revocation`);
  const url = r.url
    .replaceAll("{client_id}", encodeURIComponent(p.client.clientId))
    .replaceAll("{token}", encodeURIComponent(token));
  if (r.body_format === "none") {
    const headers: Record<string, string> = { accept: "application/json" };
    if (r.client_auth === "client_secret_basic") headers.authorization = basicAuthorization(p.client);
    return { url, method: r.method, headers };
  }
  const params: Record<string, string> = { [r.token_param]: token };
  if (r.token_type_hint) params.token_type_hint = kind;
  const { headers, body } = encodeClientRequest(params, p.client, r.client_auth, r.body_format);
  return { url, method: r.method, headers, body };
}

/** Throws Unavailable for 5xx/429 (retry later); ProviderOAuthError for other refusals. */
export function processRevocationResponse(p: ResolvedProvider, res: ProviderResponse): void {
  const name = p.summary.name;
  if (res.status >= 500 || res.status === 429) throw new Unavailable(name, { detail: `HTTP ${res.status}` });
  const error = res.body?.error;
  // A token the provider no longer knows is as revoked as it gets.
  if (res.status === 404 || error === "invalid_token" || error === "invalid_grant") return;
  if (typeof error === "string" && error.length > 0) throw new ProviderOAuthError(name, error, res.status);
  if (res.status >= 300) throw new ProviderOAuthError(name, "revocation_refused", res.status);
}
