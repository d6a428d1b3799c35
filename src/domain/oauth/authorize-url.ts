/** The provider's authorization URL for a new flow, built from its definition. */
import type { ResolvedProvider } from "../../providers/types.js";
import { FailedPrecondition } from "../errors.js";

export function buildAuthorizationUrl(
  p: ResolvedProvider,
  args: { state: string; redirectUri: string; scopes: string[]; codeChallenge?: string },
): string {
  const oauth = p.definition.oauth;
  if (!oauth?.authorize_url || !p.client) {
    throw new FailedPrecondition(`provider ${p.summary.name} is not configured for OAuth`);
  }
  const url = new URL(oauth.authorize_url);
  for (const [k, v] of Object.entries(oauth.authorize_params ?? {})) url.searchParams.set(k, v);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", p.client.clientId);
  url.searchParams.set("redirect_uri", args.redirectUri);
  if (args.scopes.length > 0) url.searchParams.set(oauth.scope_param, args.scopes.join(oauth.scope_separator));
  url.searchParams.set("state", args.state);
  if (args.codeChallenge) {
    url.searchParams.set("code_challenge", args.codeChallenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  return url.toString();
}
