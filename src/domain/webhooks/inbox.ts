/**
 * The ingress pipeline behind POST /webhooks/{provider}/{webhook_id}: look the webhook up, verify
 * the raw body with the scheme and secrets the stored record names (never the URL's provider
 * segment), answer handshakes, then commit the event to the inbox before anything answers 2xx.
 * Transport-neutral: the HTTP route maps outcomes to statuses.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "../../observability/logger.js";
import { webhookScheme, type HandshakeResponse, type HeaderBag, type VerifyFailureReason } from "../../providers/webhook-schemes/index.js";
import type { WebhookSecretCache } from "./webhook-secrets.js";
import type { WebhookEventsRepo, WebhooksRepo } from "./webhook.js";

export interface InboundDelivery {
  provider: string;
  webhookId: string;
  body: Buffer;
  headers: HeaderBag;
}

export type InboxOutcome =
  | { kind: "accepted"; status: number; eventId: string; duplicate: boolean }
  | { kind: "handshake"; response: HandshakeResponse }
  | { kind: "not_found" }
  | { kind: "rejected"; reason: VerifyFailureReason | "unknown_scheme" }
  | { kind: "malformed"; reason: string };

export interface WebhookInbox {
  receive(delivery: InboundDelivery): Promise<InboxOutcome>;
}

export interface WebhookInboxDeps {
  webhooks: Pick<WebhooksRepo, "getById">;
  events: Pick<WebhookEventsRepo, "insert">;
  secrets: WebhookSecretCache;
  now?: () => number;
  logger: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function headerText(headers: HeaderBag, name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? "";
}

/** True when the content type says JSON and the bytes are not JSON (a truncated body, say). */
function badJson(body: Buffer, contentType: string): boolean {
  if (!/^application\/(?:[\w.+-]*\+)?json\b/i.test(contentType)) return false;
  try {
    JSON.parse(body.toString("utf8"));
    return false;
  } catch {
    return true;
  }
}

export function createWebhookInbox(deps: WebhookInboxDeps): WebhookInbox {
  const now = deps.now ?? Date.now;
  return {
    async receive({ provider, webhookId, body, headers }) {
      const id = webhookId.toLowerCase();
      if (!UUID.test(id)) return { kind: "not_found" };
      const row = await deps.webhooks.getById(id);
      // Another provider's id, a disabled hook and a missing one look the same from outside.
      if (!row || row.provider !== provider || row.status !== "active") return { kind: "not_found" };

      const scheme = webhookScheme(row.scheme);
      if (!scheme) {
        deps.logger.error({ webhookId: id, scheme: row.scheme }, "webhook names an unknown signature scheme; rejecting");
        return { kind: "rejected", reason: "unknown_scheme" };
      }
      const at = now();
      const secrets = await deps.secrets.secretsFor(row);
      const verdict = scheme.verify({ body, headers, secrets, now: at });
      if (!verdict.ok) {
        deps.logger.info({ webhookId: id, provider, reason: verdict.reason }, "webhook delivery refused");
        return verdict.reason === "malformed_body" ? { kind: "malformed", reason: verdict.reason } : { kind: "rejected", reason: verdict.reason };
      }
      if (verdict.handshake) return { kind: "handshake", response: verdict.handshake };

      const contentType = headerText(headers, "content-type").slice(0, 255);
      if (badJson(body, contentType)) return { kind: "malformed", reason: "body is not the JSON its content type says" };

      const deliveryId = (verdict.deliveryId ?? "").slice(0, 255);
      // Dedupe on what the signature covers: the provider's id when signed, else the body itself.
      const dedupeKey =
        deliveryId && scheme.deliveryIdSigned ? `id:${deliveryId}` : `sha256:${createHash("sha256").update(body).digest("hex")}`;
      const eventId = randomUUID();
      const { inserted } = await deps.events.insert({
        id: eventId,
        webhookId: id,
        userId: row.userId,
        provider: row.provider,
        eventType: (verdict.eventType ?? "").slice(0, 255),
        deliveryId,
        dedupeKey,
        contentType,
        payload: body,
        receivedAt: new Date(at),
      });
      return { kind: "accepted", status: scheme.acceptStatus, eventId, duplicate: !inserted };
    },
  };
}
