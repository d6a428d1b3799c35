/**
 * Reads the account's username after an exchange: from the token answer when the provider puts it
 * there (Notion, Slack), else from one userinfo call, else from a code hook. A failed lookup
 * never fails the authorization: the username is a label, the tokens are what matter.
 */
import type { ResolvedProvider } from "../../providers/types.js";
import type { Logger } from "../../observability/logger.js";
import { firstString } from "./object-path.js";
import { send, type HttpDeps, type ProviderRequest } from "./provider-http.js";
import type { TokenSet } from "./token-endpoint.js";

export function userinfoRequest(p: ResolvedProvider, accessToken: string): ProviderRequest | undefined {
  const u = p.definition.oauth?.userinfo;
  if (!u) return undefined;
  const req: ProviderRequest = {
    url: u.url.replaceAll("{token}", encodeURIComponent(accessToken)),
    method: u.method,
    headers: { accept: "application/json", authorization: `Bearer ${accessToken}`, ...u.headers },
  };
  if (u.method === "POST" && u.json_body !== undefined) {
    req.headers["content-type"] = "application/json";
    req.body = JSON.stringify(u.json_body);
  }
  return req;
}

export async function resolveUsername(
  p: ResolvedProvider,
  tokens: TokenSet,
  deps: HttpDeps & { log: Logger },
): Promise<string> {
  const oauth = p.definition.oauth;
  const fromToken = oauth?.username_paths ? firstString(tokens.raw, oauth.username_paths) : undefined;
  if (fromToken) return fromToken;
  try {
    const req = userinfoRequest(p, tokens.accessToken);
    if (req && oauth?.userinfo) {
      const res = await send(p.summary.name, req, deps);
      const name = res.status < 300 ? firstString(res.body, oauth.userinfo.username_paths) : undefined;
      if (name) return name;
      deps.log.warn({ provider: p.summary.name, status: res.status }, "userinfo gave no username");
    }
    if (p.hooks.username) {
      const controller = AbortSignal.timeout(deps.timeoutMs);
      return (await p.hooks.username({ tokenResponse: tokens.raw, accessToken: tokens.accessToken, fetch: deps.fetch, signal: controller })) ?? "";
    }
  } catch (err) {
    deps.log.warn({ provider: p.summary.name, err: (err as Error).message }, "username lookup failed");
  }
  return "";
}
