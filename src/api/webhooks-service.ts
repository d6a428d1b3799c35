/**
 * latchkey.v1.WebhooksService: validates requests, calls the webhooks domain, maps rows to proto.
 * No response carries a secret except the one-time `signing_secret` Latchkey generated.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  WebhookStatus,
  WebhooksService,
  type WebhookEventSchema,
  type WebhookSchema,
} from "../gen/latchkey/v1/webhooks_pb.js";
import { InvalidArgument } from "../domain/errors.js";
import type { WebhookEvents } from "../domain/webhooks/event-stream.js";
import type { WebhookManager } from "../domain/webhooks/webhook-manager.js";
import type { DeliveredEvent, WebhookEventRow, WebhookRow } from "../domain/webhooks/webhook.js";
import type { ServiceImplementation } from "./types.js";
import { decodePageToken, encodePageToken, maxLength, optionalUuid, pageSize, requireString, requireUserId, requireUuid } from "./validate.js";

export interface WebhooksServiceDeps {
  manager: WebhookManager;
  events: WebhookEvents;
  /** A ListEvents page stops before its payloads exceed this (still at least one event). Default 3 MiB. */
  listPageMaxBytes?: number;
}

/** Below grpc-js clients' default 4 MiB receive limit, leaving room for the events' other fields. */
const DEFAULT_LIST_PAGE_MAX_BYTES = 3 * 1024 * 1024;

const STATUS = { active: WebhookStatus.ACTIVE, disabled: WebhookStatus.DISABLED } as const;
const MAX_GRACE_SECONDS = 30 * 86_400;
const MAX_SECRET_BYTES = 1024;
const MAX_FILTER_ITEMS = 100;
const MAX_ACK_IDS = 1000;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

function toProtoWebhook(row: WebhookRow, ingressUrl: string): MessageInitShape<typeof WebhookSchema> {
  return {
    id: row.id,
    userId: row.userId,
    provider: row.provider,
    resource: row.resource,
    events: row.events,
    ingressUrl,
    credentialId: row.credentialId ?? "",
    providerWebhookId: row.providerWebhookId,
    status: STATUS[row.status],
    createdAt: timestampFromDate(row.createdAt),
  };
}

function toProtoEvent(e: WebhookEventRow | DeliveredEvent): MessageInitShape<typeof WebhookEventSchema> {
  return {
    id: e.id,
    webhookId: e.webhookId,
    userId: e.userId,
    provider: e.provider,
    eventType: e.eventType,
    deliveryId: e.deliveryId,
    receivedAt: timestampFromDate(e.receivedAt),
    payload: new Uint8Array(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength),
    contentType: e.contentType,
    deliveryAttempt: "attempt" in e ? e.attempt : 0,
  };
}

function stringList(values: string[], field: string, max: number): string[] {
  if (values.length > MAX_FILTER_ITEMS) throw new InvalidArgument(field, `must have at most ${MAX_FILTER_ITEMS} entries`);
  for (const v of values) {
    if (v.length === 0 || v.length > max) throw new InvalidArgument(field, `entries must be 1..${max} characters`);
  }
  return values;
}

function uuidList(values: string[], field: string, max: number): string[] {
  if (values.length > max) throw new InvalidArgument(field, `must have at most ${max} entries`);
  return values.map((v) => requireUuid(v, field));
}

function optionalSecret(value: string): string | undefined {
  if (value === "") return undefined;
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new InvalidArgument("secret", `must be at most ${MAX_SECRET_BYTES} bytes`);
  return value;
}

export function createWebhooksService(deps: WebhooksServiceDeps): ServiceImplementation<typeof WebhooksService> {
  const { manager, events } = deps;
  const listPageMaxBytes = deps.listPageMaxBytes ?? DEFAULT_LIST_PAGE_MAX_BYTES;
  const proto = (row: WebhookRow) => toProtoWebhook(row, manager.ingressUrl(row));

  return {
    async createWebhook(req) {
      const userId = requireUserId(req.userId);
      const provider = requireString(req.provider, "provider", 64);
      const credentialId = optionalUuid(req.credentialId, "credential_id");
      const secret = optionalSecret(req.secret);
      const { webhook, signingSecret } = await manager.create({
        userId,
        provider,
        resource: maxLength(req.resource, "resource", 512),
        events: stringList(req.events, "events", 128),
        ...(credentialId ? { credentialId } : {}),
        ...(secret ? { secret } : {}),
      });
      return { webhook: proto(webhook), signingSecret: signingSecret ?? "" };
    },

    async getWebhook(req) {
      const row = await manager.get(requireUserId(req.userId), requireUuid(req.webhookId, "webhook_id"));
      return { webhook: proto(row) };
    },

    async listWebhooks(req) {
      const rows = await manager.list(requireUserId(req.userId), req.provider ? maxLength(req.provider, "provider", 64) : undefined);
      return { webhooks: rows.map(proto) };
    },

    async deleteWebhook(req) {
      return manager.delete(requireUserId(req.userId), requireUuid(req.webhookId, "webhook_id"));
    },

    async rotateWebhookSecret(req) {
      const grace = req.gracePeriodSeconds;
      if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
        throw new InvalidArgument("grace_period_seconds", `must be between 0 and ${MAX_GRACE_SECONDS}`);
      }
      const secret = optionalSecret(req.secret);
      const { webhook, signingSecret } = await manager.rotateSecret({
        userId: requireUserId(req.userId),
        id: requireUuid(req.webhookId, "webhook_id"),
        ...(secret ? { secret } : {}),
        // 0 means the configured default (24h unless changed).
        ...(grace > 0 ? { graceMs: grace * 1000 } : {}),
      });
      return { webhook: proto(webhook), signingSecret: signingSecret ?? "" };
    },

    async *streamEvents(req, ctx) {
      const filter = {
        webhookIds: uuidList(req.webhookIds, "webhook_ids", MAX_FILTER_ITEMS),
        providers: stringList(req.providers, "providers", 64),
        eventTypes: stringList(req.eventTypes, "event_types", 255),
      };
      for await (const event of events.stream(req.consumer, filter, ctx.signal)) yield toProtoEvent(event);
    },

    async ackEvents(req) {
      await events.ack(req.consumer, uuidList(req.eventIds, "event_ids", MAX_ACK_IDS));
      return {};
    },

    async listEvents(req) {
      const userId = requireUserId(req.userId);
      const webhookId = requireUuid(req.webhookId, "webhook_id");
      const size = pageSize(req.pageSize);
      const cursor = decodePageToken<{ seq: string }>(req.pageToken, { seq: "string" });
      // seq is a Postgres bigint: 19 digits still reach past its maximum, which Postgres would refuse (22003).
      if (cursor && !(/^\d{1,19}$/.test(cursor.seq) && BigInt(cursor.seq) <= MAX_BIGINT)) {
        throw new InvalidArgument("page_token", "is not a token this service issued");
      }
      const rows = await events.list(userId, webhookId, size + 1, cursor?.seq);
      // Bounded by bytes as well as by count: payloads reach LATCHKEY_WEBHOOK_MAX_BODY_BYTES each.
      const page: WebhookEventRow[] = [];
      let bytes = 0;
      for (const row of rows.slice(0, size)) {
        if (page.length > 0 && bytes + row.payload.byteLength > listPageMaxBytes) break;
        page.push(row);
        bytes += row.payload.byteLength;
      }
      const next = rows.length > page.length ? encodePageToken({ seq: page.at(-1)!.seq }) : "";
      return { events: page.map(toProtoEvent), nextPageToken: next };
    },
  };
}
