/**
 * GitHub as its docs describe it: token answers form-encoded unless JSON is asked for
 * (`formAnswers` simulates a client that did not ask), client credentials in the body, refresh
 * errors with HTTP 200 and error=bad_refresh_token, rotating refresh tokens for app user tokens.
 */
import { OAUTH_PROVIDERS } from "../../../src/providers/catalogue/oauth-providers.js";
import { CodeBook, pointAt, startLookalike, token, type Answer, type SeenRequest } from "./server.js";

export async function startGitHubLookalike(client: { id: string; secret: string }, opts: { formAnswers?: boolean } = {}) {
  const lk = await startLookalike();
  const codes = new CodeBook();
  const live = new Set<string>();
  const answer = (req: SeenRequest, fields: Record<string, string | number>): Answer =>
    opts.formAnswers || !String(req.headers.accept).includes("application/json")
      ? { body: new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)] as [string, string])).toString(), contentType: "application/x-www-form-urlencoded; charset=utf-8" }
      : { body: fields };
  const issue = (req: SeenRequest) => {
    const refresh = token("ghr_");
    live.add(refresh);
    return answer(req, { access_token: token("ghu_"), expires_in: 28800, refresh_token: refresh, refresh_token_expires_in: 15897600, scope: "read:user", token_type: "bearer" });
  };
  lk.on("POST /login/oauth/access_token", (req) => {
    const f = req.form;
    if (f.get("client_id") !== client.id || f.get("client_secret") !== client.secret) return answer(req, { error: "incorrect_client_credentials" });
    if (f.get("grant_type") === "refresh_token") {
      // GitHub: a bad refresh token is HTTP 200 with an error body.
      if (!live.delete(f.get("refresh_token") ?? "")) return answer(req, { error: "bad_refresh_token", error_description: "The refresh token passed is incorrect or expired." });
      return issue(req);
    }
    if (!codes.redeem(f.get("code"), f.get("code_verifier"))) return answer(req, { error: "bad_verification_code" });
    return issue(req);
  });
  lk.on("GET /user", (req) =>
    String(req.headers.authorization).startsWith("Bearer ") && req.headers["user-agent"] ? { body: { login: "octocat", id: 1 } } : { status: 401, body: { message: "Requires authentication" } },
  );
  const definition = pointAt(OAUTH_PROVIDERS.find((p) => p.name === "github")!, lk.base);
  return { lk, codes, definition, live };
}
