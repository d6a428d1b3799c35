/** Todoist: comma-separated scopes, tokens that never expire, no refresh token. */
import { OAUTH_PROVIDERS } from "../../../src/providers/catalogue/oauth-providers.js";
import { CodeBook, pointAt, startLookalike, token } from "./server.js";

export async function startTodoistLookalike(client: { id: string; secret: string }) {
  const lk = await startLookalike();
  const codes = new CodeBook();
  lk.on("POST /oauth/access_token", (req) => {
    const f = req.form;
    if (f.get("client_id") !== client.id || f.get("client_secret") !== client.secret) return { status: 400, body: { error: "invalid_client" } };
    if (!codes.redeem(f.get("code"), undefined)) return { status: 400, body: { error: "invalid_grant" } };
    return { body: { access_token: token("td_"), token_type: "Bearer" } };
  });
  lk.on("GET /api/v1/user", () => ({ body: { email: "kai@example.test", full_name: "Kai" } }));
  const definition = pointAt(OAUTH_PROVIDERS.find((p) => p.name === "todoist")!, lk.base);
  return { lk, codes, definition };
}
