/** Google: offline access only with access_type=offline; refresh answers carry no new refresh token. */
import { OAUTH_PROVIDERS } from "../../../src/providers/catalogue/oauth-providers.js";
import { CodeBook, pointAt, startLookalike, token } from "./server.js";

export async function startGoogleLookalike(client: { id: string; secret: string }) {
  const lk = await startLookalike();
  const codes = new CodeBook();
  const refreshTokens = new Set<string>();
  lk.on("POST /token", (req) => {
    const f = req.form;
    if (f.get("client_id") !== client.id || f.get("client_secret") !== client.secret) return { status: 401, body: { error: "invalid_client" } };
    if (f.get("grant_type") === "refresh_token") {
      if (!refreshTokens.has(f.get("refresh_token") ?? "")) return { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } };
      return { body: { access_token: token("ya29."), expires_in: 3599, scope: "openid email profile", token_type: "Bearer" } };
    }
    if (!codes.redeem(f.get("code"), f.get("code_verifier"))) return { status: 400, body: { error: "invalid_grant" } };
    const refresh = token("1//");
    refreshTokens.add(refresh);
    return { body: { access_token: token("ya29."), expires_in: 3599, refresh_token: refresh, scope: "openid email profile", token_type: "Bearer", id_token: "x.y.z" } };
  });
  lk.on("GET /v1/userinfo", () => ({ body: { sub: "1234", email: "grace@example.test", email_verified: true } }));
  const definition = pointAt(OAUTH_PROVIDERS.find((p) => p.name === "google")!, lk.base);
  return { lk, codes, definition, refreshTokens };
}
