/** Slack OAuth v2: user tokens nested under authed_user; errors are HTTP 200 with ok=false. */
import { OAUTH_PROVIDERS } from "../../../src/providers/catalogue/oauth-providers.js";
import { CodeBook, pointAt, startLookalike, token } from "./server.js";

export async function startSlackLookalike(client: { id: string; secret: string }) {
  const lk = await startLookalike();
  const codes = new CodeBook();
  const live = new Set<string>();
  const user = () => {
    const refresh = token("xoxe-1-");
    live.add(refresh);
    return { id: "U0123", scope: "users:read", access_token: token("xoxp-"), token_type: "user", refresh_token: refresh, expires_in: 43200 };
  };
  lk.on("POST /api/oauth.v2.access", (req) => {
    const f = req.form;
    if (f.get("client_id") !== client.id || f.get("client_secret") !== client.secret) return { body: { ok: false, error: "invalid_client_id" } };
    if (f.get("grant_type") === "refresh_token") {
      if (!live.delete(f.get("refresh_token") ?? "")) return { body: { ok: false, error: "invalid_refresh_token" } };
      // A user-token refresh answers at the top level.
      const u = user();
      return { body: { ok: true, ...u } };
    }
    if (!codes.redeem(f.get("code"), undefined)) return { body: { ok: false, error: "invalid_code" } };
    return {
      body: { ok: true, app_id: "A1", access_token: token("xoxb-"), token_type: "bot", scope: "", team: { id: "T1", name: "Acme" }, authed_user: user() },
    };
  });
  const definition = pointAt(OAUTH_PROVIDERS.find((p) => p.name === "slack")!, lk.base);
  return { lk, codes, definition, live };
}
