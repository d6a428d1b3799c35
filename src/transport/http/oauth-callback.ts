/**
 * GET /oauth/callback — the one redirect URI registered at every provider. Completes the flow and
 * answers 303 to the caller's redirect_uri with `state` and `credential_id`, or `state` and
 * `error`. An unknown, expired or replayed state answers 400 and redirects nowhere: without a
 * valid state we do not know where the browser may safely go.
 */
import { StateRefused, type AuthorizationFlow } from "../../domain/oauth/authorization-flow.js";
import { withParams } from "../../domain/oauth/redirect-allowlist.js";
import type { Logger } from "../../observability/logger.js";
import type { Route } from "./route.js";
import { sendError, sendJson } from "./status-map.js";

export interface OAuthCallbackDeps {
  flow: AuthorizationFlow;
  log: Logger;
}

function redirect(res: import("node:http").ServerResponse, location: string): void {
  res.writeHead(303, { location, "cache-control": "no-store", "content-length": 0 });
  res.end();
}

export function createOAuthCallbackRoute(deps: OAuthCallbackDeps): Route {
  return {
    method: "GET",
    path: "/oauth/callback",
    async handler(req, res) {
      const q = new URL(req.url ?? "/", "http://callback.invalid").searchParams;
      const state = q.get("state") ?? "";
      const code = q.get("code") ?? "";
      const error = q.get("error") ?? "";
      const refuse = () => sendJson(res, 400, { error: "invalid_state", message: "unknown, expired or already used state" });
      if (state.length === 0 || state.length > 256) return refuse();
      try {
        if (error) {
          const failed = await deps.flow.fail(state, error);
          return redirect(res, withParams(failed.redirectUri, { state, error: failed.error }));
        }
        if (!code) {
          const failed = await deps.flow.fail(state, "invalid_request");
          return redirect(res, withParams(failed.redirectUri, { state, error: failed.error }));
        }
        const outcome = await deps.flow.exchange(state, code);
        if ("error" in outcome) return redirect(res, withParams(outcome.redirectUri, { state, error: outcome.error }));
        return redirect(res, withParams(outcome.redirectUri, { state, credential_id: outcome.credential.id }));
      } catch (err) {
        if (err instanceof StateRefused) return refuse();
        sendError(res, err, deps.log);
      }
    },
  };
}
