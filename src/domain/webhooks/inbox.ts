/**
 * The ingress pipeline behind POST /webhooks/{provider}/{webhook_id}: look the webhook up, verify
 * the raw body with the scheme and secrets the stored record names (never the URL's provider
 * segment), answer handshakes, then commit the event to the inbox before anything answers 2xx.
 * Transport-neutral: the HTTP route maps outcomes to statuses.
 *
 * The record comes from a short-lived in-memory cache, so a delivery costs one Postgres round
 * trip (the batched insert), not two. A cached record is never trusted alone: the insert commits
 * only if the webhook is still active at the version the signature was checked against, and when
 * it is not (secret rotated, hook deleted) the delivery is checked again against a fresh read.
 */
import { createHash } from "node:crypto";
import { Unavailable } from "../errors.js";
import { createPromiseCache } from "../../lib/promise-cache.js";
import { uuidv7 } from "../../lib/uuidv7.js";
import type { Logger } from "../../observability/logger.js";
import { webhookScheme, type HandshakeResponse, type HeaderBag, type VerifyFailureReason } from "../../providers/webhook-schemes/index.js";
import type { WebhookSecretCache } from "./webhook-secrets.js";
import type { WebhookEventsRepo, WebhookRow, WebhooksRepo } from "./webhook.js";

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
  /** How long a webhook record read for ingress is reused (0: read it for every delivery). */
  recordCacheMs: number;
  now?: () => number;
  logger: Logger;
}

/** Reads of a record that changed under the delivery before ingress gives up with 503 (provider retries). */
const MAX_ATTEMPTS = 3;
const MAX_CACHED_RECORDS = 10_000;

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

/** Webhook records by id, each kept `ttlMs`. `cached`: from memory rather than a read just made. */
function createRecordCache(read: (id: string) => Promise<WebhookRow | undefined>, ttlMs: number, now: () => number) {
  const entries = createPromiseCache<WebhookRow | undefined>(MAX_CACHED_RECORDS);
  return {
    async get(id: string, fresh: boolean): Promise<{ row: WebhookRow | undefined; cached: boolean }> {
      const at = now();
      const hit = fresh ? undefined : entries.get(id, at);
      if (hit) return { row: await hit, cached: true };
      const row = read(id);
      // A failed read (Postgres down) is not kept (see createPromiseCache).
      if (ttlMs > 0) entries.set(id, row, at + ttlMs);
      return { row: await row, cached: false };
    },
  };
}

export function createWebhookInbox(deps: WebhookInboxDeps): WebhookInbox {
  const now = deps.now ?? Date.now;
  const records = createRecordCache((id) => deps.webhooks.getById(id), deps.recordCacheMs, now);
  return {
    async receive({ provider, webhookId, body, headers }) {
      const id = webhookId.toLowerCase();
      if (!UUID.test(id)) return { kind: "not_found" };
      let { row, cached } = await records.get(id, false);
      for (let attempt = 1; ; attempt++) {
        // Another provider's id, a disabled hook and a missing one look the same from outside.
        if (!row || row.provider !== provider || row.status !== "active") return { kind: "not_found" };
        const outcome = await verifyAndStore(row, provider, body, headers);
        // Stale: the record changed before the insert. Refused by a remembered record: the
        // signature may use a secret rotated in since (on any replica). Both deserve a fresh read.
        if (outcome !== "stale" && !(outcome.kind === "rejected" && cached)) return outcome;
        if (attempt === MAX_ATTEMPTS) break;
        const latest = (await records.get(id, true)).row;
        if (outcome !== "stale" && latest?.version === row.version) return outcome;
        row = latest;
        cached = false;
      }
      throw new Unavailable("webhook", { detail: "changed while the delivery was checked; retry" });
    },
  };

  async function verifyAndStore(row: WebhookRow, provider: string, body: Buffer, headers: HeaderBag): Promise<InboxOutcome | "stale"> {
    const id = row.id;
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
    const eventId = uuidv7(at);
    const stored = await deps.events.insert({
      id: eventId,
      webhookId: id,
      webhookVersion: row.version,
      userId: row.userId,
      provider: row.provider,
      eventType: (verdict.eventType ?? "").slice(0, 255),
      deliveryId,
      dedupeKey,
      contentType,
      payload: body,
      receivedAt: new Date(at),
    });
    if (stored === "stale") return "stale";
    return { kind: "accepted", status: scheme.acceptStatus, eventId, duplicate: stored === "duplicate" };
  }
}
