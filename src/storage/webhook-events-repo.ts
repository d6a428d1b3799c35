/**
 * The durable inbox. Concurrent deliveries are inserted in batches, one statement each: the rows
 * and their NOTIFY commit together or not at all, and a duplicate (same webhook and dedupe key) is
 * a no-op even under concurrent arrivals, within a batch or across batches.
 * The NOTIFY payload is the event id only; listeners re-read Postgres for the rest.
 */
import type { EventNotifier, NewWebhookEvent, WebhookEventRow, WebhookEventsRepo } from "../domain/webhooks/webhook.js";
import { createBatcher } from "../lib/batcher.js";
import { db, isConnectionError, type Sql } from "./db.js";

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

type InsertResult = { inserted: boolean } | { error: unknown };

const EVENT_COLUMNS = [
  "id",
  "webhook_id",
  "user_id",
  "provider",
  "event_type",
  "delivery_id",
  "dedupe_key",
  "content_type",
  "payload",
  "received_at",
] as const;

function toDbRow(e: NewWebhookEvent) {
  return {
    id: e.id,
    webhook_id: e.webhookId,
    user_id: e.userId,
    provider: e.provider,
    event_type: e.eventType,
    delivery_id: e.deliveryId,
    dedupe_key: e.dedupeKey,
    content_type: e.contentType,
    payload: e.payload,
    received_at: e.receivedAt,
  };
}

/**
 * Inserts a batch of deliveries in one statement and one commit. Commits that NOTIFY are
 * serialized by Postgres (the notification queue is taken at commit), so one commit per delivery
 * capped ingress at a few hundred per second; one per batch lifts that. The payload is constant,
 * so Postgres folds the batch's notifications into one.
 */
function insertEvents(sql: Sql) {
  return async (events: NewWebhookEvent[]): Promise<Set<string>> => {
    const rows = await sql<{ id: string }[]>`
      with ins as (
        insert into webhook_events ${sql(events.map(toDbRow), ...EVENT_COLUMNS)}
        on conflict (webhook_id, dedupe_key) do nothing
        returning id
      )
      select id::text, pg_notify(${WEBHOOK_EVENTS_CHANNEL}, 'new') from ins`;
    return new Set(rows.map((r) => r.id));
  };
}

export function createWebhookEventsRepo(sql: Sql): WebhookEventsRepo {
  const insertMany = insertEvents(sql);
  const batched = createBatcher<NewWebhookEvent, InsertResult>(async (events) => {
    try {
      const inserted = await insertMany(events);
      return events.map((e) => ({ inserted: inserted.has(e.id) }));
    } catch (err) {
      if (events.length === 1 || isConnectionError(err)) throw err;
      // One bad row must not fail its neighbours: fall back to one statement each.
      return Promise.all(
        events.map((e) => insertMany([e]).then((ids) => ({ inserted: ids.has(e.id) }), (error: unknown) => ({ error }))),
      );
    }
  });
  const insert = (e: NewWebhookEvent) =>
    db(async () => {
      const r = await batched(e);
      if ("error" in r) throw r.error;
      return r;
    });

  return {
    insert,

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
