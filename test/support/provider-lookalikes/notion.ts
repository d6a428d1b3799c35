/** Notion: HTTP basic client auth with a JSON body; tokens never expire; the owner is in the token answer. */
import { OAUTH_PROVIDERS } from "../../../src/providers/catalogue/oauth-providers.js";
import { CodeBook, pointAt, startLookalike, token } from "./server.js";

export async function startNotionLookalike(client: { id: string; secret: string }) {
  const lk = await startLookalike();
  const codes = new CodeBook();
  lk.on("POST /v1/oauth/token", (req) => {
    if (req.basic?.id !== client.id || req.basic.secret !== client.secret) return { status: 401, body: { error: "invalid_client" } };
    if (!String(req.headers["content-type"]).includes("application/json") || !req.json) return { status: 400, body: { error: "invalid_request" } };
    if (req.json.grant_type !== "authorization_code" || !codes.redeem(req.json.code as string, undefined)) return { status: 400, body: { error: "invalid_grant" } };
    return {
      body: {
        access_token: token("ntn_"),
        token_type: "bearer",
        bot_id: "b0t",
        workspace_name: "Ada's Workspace",
        workspace_id: "ws1",
        owner: { type: "user", user: { object: "user", id: "u1", name: "Ada", person: { email: "ada@example.test" } } },
      },
    };
  });
  const definition = pointAt(OAUTH_PROVIDERS.find((p) => p.name === "notion")!, lk.base);
  return { lk, codes, definition };
}
