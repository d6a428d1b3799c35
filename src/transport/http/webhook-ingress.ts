/**
 * POST /webhooks/:provider/:webhookId — the public ingress. Reads the raw body under the size
 * limit, hands it to the inbox (verify with the stored record's scheme and secrets, then commit),
 * and answers only after the commit: 2xx accepted or duplicate, 401 forged or stale (Discord
 * requires exactly 401), 404 unknown (another provider's or tenant's id reads the same), 413 too
 * large, 400 malformed, 503 when Postgres or the secret store is down (safe for the provider to retry).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { WebhookInbox } from "../../domain/webhooks/inbox.js";
import { isDomainError } from "../../domain/errors.js";
import type { Logger } from "../../observability/logger.js";
import { BodyTooLarge, closeAfterResponse, readRawBody } from "./raw-body.js";
import type { Route, RouteParams } from "./route.js";

export interface WebhookIngressDeps {
  inbox: WebhookInbox;
  maxBodyBytes: number;
  logger: Logger;
}

function reply(res: ServerResponse, status: number, body?: unknown, contentType = "application/json"): void {
  if (res.headersSent) return void res.destroy();
  if (body === undefined || status === 204) return void res.writeHead(status).end();
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) }).end(text);
}

export function createWebhookIngressRoute(deps: WebhookIngressDeps): Route {
  const log = deps.logger.child({ component: "webhook-ingress" });

  async function handler(req: IncomingMessage, res: ServerResponse, params: RouteParams): Promise<void> {
    const provider = params.provider ?? "";
    const webhookId = params.webhookId ?? "";
    let body: Buffer;
    try {
      body = await readRawBody(req, deps.maxBodyBytes);
    } catch (err) {
      closeAfterResponse(req, res);
      if (err instanceof BodyTooLarge) return reply(res, 413, { error: "resource_exhausted", message: err.message });
      return reply(res, 400, { error: "invalid_argument", message: "request body could not be read" });
    }
    try {
      const outcome = await deps.inbox.receive({ provider, webhookId, body, headers: req.headers });
      switch (outcome.kind) {
        case "accepted":
          if (outcome.duplicate) log.debug({ webhookId, provider }, "duplicate webhook delivery acknowledged");
          return reply(res, outcome.status, outcome.status === 204 ? undefined : { ok: true });
        case "handshake":
          return reply(res, outcome.response.status, outcome.response.body, outcome.response.contentType);
        case "not_found":
          return reply(res, 404, { error: "not_found", message: "webhook not found" });
        case "rejected":
          return reply(res, 401, { error: "unauthenticated", message: "invalid or stale signature" });
        case "malformed":
          return reply(res, 400, { error: "invalid_argument", message: "malformed webhook body" });
      }
    } catch (err) {
      if (isDomainError(err) && err.code === "unavailable") {
        log.warn({ err, webhookId, provider }, "webhook not stored: dependency unavailable");
        res.setHeader("retry-after", "5");
        return reply(res, 503, { error: "unavailable", message: "temporarily unavailable, retry" });
      }
      log.error({ err, webhookId, provider }, "webhook ingress failed");
      return reply(res, 500, { error: "internal", message: "internal error" });
    }
  }

  return { method: "POST", path: "/webhooks/:provider/:webhookId", handler };
}
