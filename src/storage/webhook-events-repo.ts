/**
 * The durable inbox. An insert is one statement: the row and its NOTIFY commit together or not at
 * all, and a duplicate (same webhook and dedupe key) is a no-op even under concurrent arrivals.
 * The NOTIFY payload is the event id only; listeners re-read Postgres for the rest.
 */
import type { EventNotifier, NewWebhookEvent, WebhookEventRow, WebhookEventsRepo } from "../domain/webhooks/webhook.js";
import { db, type Sql } from "./db.js";

export const WEBHOOK_EVENTS_CHANNEL = "latchkey_webhook_events";

export interface RawEvent {
  id: string;
  seq: string;
  webhook_id: string;
  user_id: string;
  provider: string;
  event_type: string;
  delivery_id: string;
  content_type: string;
  payload: Buffer;
  received_at: Date;
}

export function toEventRow(r: RawEvent): WebhookEventRow {
  return {
    id: r.id,
    seq: String(r.seq),
    webhookId: r.webhook_id,
    userId: r.user_id,
    provider: r.provider,
    eventType: r.event_type,
    deliveryId: r.delivery_id,
    contentType: r.content_type,
    payload: r.payload,
    receivedAt: r.received_at,
  };
}

export function createWebhookEventsRepo(sql: Sql): WebhookEventsRepo {
  return {
    insert: (e: NewWebhookEvent) =>
      db(async () => {
        const rows = await sql`
          with ins as (
            insert into webhook_events (id, webhook_id, user_id, provider, event_type, delivery_id, dedupe_key,
                                        content_type, payload, received_at)
            values (${e.id}, ${e.webhookId}, ${e.userId}, ${e.provider}, ${e.eventType}, ${e.deliveryId}, ${e.dedupeKey},
                    ${e.contentType}, ${e.payload}, ${e.receivedAt})
            on conflict (webhook_id, dedupe_key) do nothing
            returning id
          )
          select id, pg_notify(${WEBHOOK_EVENTS_CHANNEL}, id::text) from ins`;
        return { inserted: rows.length > 0 };
      }),

    listForWebhook: (userId, webhookId, limit, beforeSeq) =>
      db(async () => {
        const rows = beforeSeq
          ? await sql<RawEvent[]>`
              select * from webhook_events where webhook_id = ${webhookId} and user_id = ${userId} and seq < ${beforeSeq}
              order by seq desc limit ${limit}`
          : await sql<RawEvent[]>`
              select * from webhook_events where webhook_id = ${webhookId} and user_id = ${userId}
              order by seq desc limit ${limit}`;
        return rows.map(toEventRow);
      }),

    pruneBefore: (cutoff, limit) =>
      db(async () => {
        // Batched so one prune never holds long locks; the caller loops until a short batch.
        const rows = await sql`
          delete from webhook_events where id in (
            select id from webhook_events where received_at < ${cutoff} order by received_at limit ${limit}
          ) returning id`;
        return rows.length;
      }),
  };
}

/**
 * One LISTEN connection per pool (postgres.js shares it), fanned out to in-process subscribers.
 * `onlisten` fires again after a reconnect: subscribers are woken to catch up on anything missed.
 */
export function createPgEventNotifier(sql: Sql): EventNotifier {
  const listeners = new Set<() => void>();
  let listening: Promise<unknown> | undefined;
  const wakeAll = () => {
    for (const l of listeners) l();
  };
  return {
    async subscribe(onEvent) {
      listeners.add(onEvent);
      try {
        listening ??= db(() => sql.listen(WEBHOOK_EVENTS_CHANNEL, wakeAll, wakeAll));
        await listening;
      } catch (err) {
        listening = undefined;
        listeners.delete(onEvent);
        throw err;
      }
      return () => listeners.delete(onEvent);
    },
  };
}
