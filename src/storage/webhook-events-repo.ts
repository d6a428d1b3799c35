/**
 * The durable inbox. Concurrent deliveries are inserted in batches, one statement and one commit
 * each, and a duplicate (same webhook and dedupe key) is a no-op even under concurrent arrivals,
 * within a batch or across batches.
 *
 * Listeners on every replica are woken by a NOTIFY sent after the commit, not inside it: Postgres
 * serializes commits that NOTIFY (a lock taken before the commit's WAL flush and held through it),
 * so notifying inside the insert made every batch wait for the previous batch's fsync. At most
 * one wake-up is in flight per replica; commits meanwhile are covered by the next one. The NOTIFY
 * carries no data (listeners re-read Postgres), and a lost one (a crash right after the commit)
 * costs a consumer one poll interval, never the event.
 */
import type { EventNotifier, InsertOutcome, NewWebhookEvent, WebhookEventRow, WebhookEventsRepo } from "../domain/webhooks/webhook.js";
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

type BatchResult = InsertOutcome | { error: unknown };

/**
 * Inserts a batch of deliveries in one statement and one commit, each only if its webhook is still
 * active at the version its signature was checked against (ingress may verify with a cached
 * record). One commit, and so one WAL flush, per batch rather than per delivery.
 *
 * The batch travels as one JSON text parameter (payloads base64) and comes back as one row:
 * postgres.js's per-value serialisation (bytea as hex) and per-row parsing were most of the
 * statement's client-side cost.
 */
function insertEvents(sql: Sql) {
  return async (events: NewWebhookEvent[]): Promise<InsertOutcome[]> => {
    const batch = JSON.stringify(
      events.map((e) => [
        e.id,
        e.webhookId,
        e.webhookVersion,
        e.userId,
        e.provider,
        e.eventType,
        e.deliveryId,
        e.dedupeKey,
        e.contentType,
        e.payload.toString("base64"),
        e.receivedAt.toISOString(),
      ]),
    );
    const [row] = await sql<{ live: string | null; inserted: string | null }[]>`
      with x as (
        select (e->>0)::uuid as id, (e->>1)::uuid as webhook_id, (e->>2)::bigint as webhook_version,
               e->>3 as user_id, e->>4 as provider, e->>5 as event_type, e->>6 as delivery_id,
               e->>7 as dedupe_key, e->>8 as content_type, decode(e->>9, 'base64') as payload,
               (e->>10)::timestamptz as received_at, ord
        from jsonb_array_elements(${batch}::text::jsonb) with ordinality as j(e, ord)
      ), live as (
        select x.* from x join webhooks w
          on w.id = x.webhook_id and w.version = x.webhook_version and w.status = 'active'
      ), ins as (
        insert into webhook_events (id, webhook_id, user_id, provider, event_type, delivery_id,
                                    dedupe_key, content_type, payload, received_at)
        select id, webhook_id, user_id, provider, event_type, delivery_id, dedupe_key, content_type,
               payload, received_at
        from live order by ord
        on conflict (webhook_id, dedupe_key) do nothing
        returning id
      )
      select (select string_agg(ord::text, ',') from live) as live,
             (select string_agg(id::text, ',') from ins) as inserted`;
    const live = new Set(row?.live ? row.live.split(",").map(Number) : []);
    const inserted = new Set(row?.inserted ? row.inserted.split(",") : []);
    return events.map((e, i) => (!live.has(i + 1) ? "stale" : inserted.has(e.id) ? "inserted" : "duplicate"));
  };
}

/** Coalesced wake-ups: one NOTIFY in flight at a time, one more after it if commits came meanwhile. */
function createWakeup(sql: Sql): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    do {
      again = false;
      // Best effort: the events are committed; a consumer that misses this polls.
      await sql`select pg_notify(${WEBHOOK_EVENTS_CHANNEL}, '')`.catch(() => undefined);
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}

export function createWebhookEventsRepo(sql: Sql): WebhookEventsRepo {
  const insertMany = insertEvents(sql);
  const wakeup = createWakeup(sql);
  const batched = createBatcher<NewWebhookEvent, BatchResult>(async function insertBatch(events) {
    try {
      const outcomes = await insertMany(events);
      if (outcomes.includes("inserted")) wakeup();
      return outcomes;
    } catch (err) {
      if (events.length === 1 || isConnectionError(err)) throw err;
      // One bad row must not fail its neighbours: fall back to one statement each.
      const outcomes = await Promise.all(events.map((e) => insertMany([e]).then(([r]) => r!, (error: unknown) => ({ error }))));
      if (outcomes.includes("inserted")) wakeup();
      return outcomes;
    }
  });
  const insert = (e: NewWebhookEvent) =>
    db(async () => {
      const r = await batched(e);
      if (typeof r === "object") throw r.error;
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
