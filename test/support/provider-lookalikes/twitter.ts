/** X (Twitter): PKCE required, confidential clients use HTTP basic, refresh tokens rotate on every use. */
import { OAUTH_PROVIDERS } from "../../../src/providers/catalogue/oauth-providers.js";
import { CodeBook, pointAt, startLookalike, token } from "./server.js";

export async function startTwitterLookalike(client: { id: string; secret: string }) {
  const lk = await startLookalike();
  const codes = new CodeBook();
  const live = new Set<string>();
  const issue = () => {
    const refresh = token("xrt_");
    live.add(refresh);
    return { body: { token_type: "bearer", expires_in: 7200, access_token: token("xat_"), scope: "tweet.read users.read offline.access", refresh_token: refresh } };
  };
  lk.on("POST /2/oauth2/token", (req) => {
    if (req.basic?.id !== client.id || req.basic.secret !== client.secret) return { status: 401, body: { error: "unauthorized_client" } };
    const f = req.form;
    if (f.get("grant_type") === "refresh_token") {
      if (!live.delete(f.get("refresh_token") ?? "")) return { status: 400, body: { error: "invalid_request", error_description: "Value passed for the token was invalid." } };
      return issue();
    }
    if (!codes.redeem(f.get("code"), f.get("code_verifier"))) return { status: 400, body: { error: "invalid_request", error_description: "Value passed for the authorization code was invalid." } };
    return issue();
  });
  lk.on("GET /2/users/me", () => ({ body: { data: { id: "2244994945", name: "X Dev", username: "XDevelopers" } } }));
  const definition = pointAt(OAUTH_PROVIDERS.find((p) => p.name === "twitter")!, lk.base);
  return { lk, codes, definition, live };
}
