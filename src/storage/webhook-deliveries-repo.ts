/**
 * Per-consumer delivery state: at-least-once with redelivery after the ack timeout. A claim is one
 * statement, so two streams of the same consumer (on one replica or two) never receive the same
 * event at once: the loser of an insert conflict re-checks the winner's row and skips it.
 */
import type { DeliveredEvent, EventFilter, WebhookDeliveriesRepo } from "../domain/webhooks/webhook.js";
import { db, type Sql } from "./db.js";
import { toEventRow, type RawEvent } from "./webhook-events-repo.js";

/**
 * The stream filter as SQL over `webhook_events e`. Only the filters given become conditions: an
 * `(cardinality($1) = 0 or e.webhook_id = any($1))` form hides the condition from the planner,
 * which then walked every retained event in seq order (all webhooks) to serve one webhook's stream.
 * The claim itself is sent unprepared: a prepared statement may switch to a generic plan that
 * ignores the values, and with one busy webhook among few that plan walks the global seq index to
 * find a quiet webhook's events.
 */
function matches(sql: Sql, f: EventFilter) {
  const conditions = [
    // One webhook (the common stream) as an equality, so even a generic plan walks that
    // webhook's (webhook_id, seq) index in order and stops at the limit.
    f.webhookIds.length === 1
      ? sql`e.webhook_id = ${f.webhookIds[0]!}::uuid`
      : f.webhookIds.length > 1
        ? sql`e.webhook_id = any(${f.webhookIds}::uuid[])`
        : undefined,
    f.providers.length > 0 ? sql`e.provider = any(${f.providers}::text[])` : undefined,
    f.eventTypes.length > 0 ? sql`e.event_type = any(${f.eventTypes}::text[])` : undefined,
  ].filter((c) => c !== undefined);
  if (conditions.length === 0) return sql`true`;
  return conditions.slice(1).reduce((acc, c) => sql`${acc} and ${c}`, conditions[0]!);
}

export function createWebhookDeliveriesRepo(sql: Sql): WebhookDeliveriesRepo {
  return {
    touchConsumer: (consumer, now) =>
      db(async () => {
        await sql`
          insert into webhook_consumers (name, created_at, last_seen_at) values (${consumer}, ${now}, ${now})
          on conflict (name) do update set last_seen_at = excluded.last_seen_at`;
      }),

    claim: (consumer, f: EventFilter, now, ackTimeoutMs, limit) =>
      db(async () => {
        const due = new Date(now.getTime() + ackTimeoutMs);
        const args: unknown[] = [];
        const $ = (v: unknown) => `$${args.push(v)}`;
        const where = [
          // One webhook as an equality, so the planner can walk that webhook's (webhook_id, seq)
          // index in order and stop at the limit. With = any(...), stale statistics (a webhook that
          // grew fast) made it walk the global seq index through every other webhook's events
          // (~40 ms at 60k retained events, growing with retention). This is still the planner's
          // choice, not a guarantee: statistics that overstate the webhook's share of the table
          // can pick the seq index for the equality too (migration 007 keeps them fresher).
          f.webhookIds.length === 1
            ? `e.webhook_id = ${$(f.webhookIds[0])}::uuid`
            : f.webhookIds.length > 1
              ? `e.webhook_id = any(${$(f.webhookIds)}::uuid[])`
              : "",
          f.providers.length > 0 ? `e.provider = any(${$(f.providers)}::text[])` : "",
          f.eventTypes.length > 0 ? `e.event_type = any(${$(f.eventTypes)}::text[])` : "",
        ].filter(Boolean);
        const c = $(consumer);
        const at = $(now);
        // Unnamed statement (unsafe, not prepared): planned for these filter values every time.
        const rows = await sql.unsafe<(RawEvent & { attempts: number })[]>(
          `with candidates as (
            select e.* from webhook_events e
            where ${where.length ? where.join(" and ") : "true"}
              and not exists (
                select 1 from webhook_deliveries d
                where d.consumer = ${c} and d.event_id = e.id
                  and (d.acked_at is not null or d.next_attempt_at > ${at})
              )
            order by e.seq
            limit ${$(limit)}
          ), claimed as (
            insert into webhook_deliveries (consumer, event_id, attempts, next_attempt_at)
            select ${c}, id, 1, ${$(due)} from candidates
            on conflict (consumer, event_id) do update
              set attempts = webhook_deliveries.attempts + 1, next_attempt_at = excluded.next_attempt_at
              where webhook_deliveries.acked_at is null and webhook_deliveries.next_attempt_at <= ${at}
            returning event_id, attempts
          )
          select e.*, c.attempts from claimed c join candidates e on e.id = c.event_id
          order by e.seq`,
          args as never[],
        );
        return rows.map((r): DeliveredEvent => ({ ...toEventRow(r), attempt: r.attempts }));
      }),

    // The same filters as claim, and only deadlines still ahead: an overdue delivery the filter
    // excludes would otherwise answer "due now" forever and spin the stream.
    nextDeadline: (consumer, f: EventFilter, now) =>
      db(async () => {
        const [r] = await sql<{ at: Date | null }[]>`
          select min(d.next_attempt_at) as at
          from webhook_deliveries d join webhook_events e on e.id = d.event_id
          where d.consumer = ${consumer} and d.acked_at is null and d.next_attempt_at > ${now}
            and ${matches(sql, f)}`;
        return r?.at ?? undefined;
      }),

    ack: (consumer, eventIds, now) =>
      db(async () => {
        if (eventIds.length === 0) return 0;
        // An ack may name an event never streamed to this consumer (seen through ListEvents): record it too.
        const rows = await sql`
          insert into webhook_deliveries (consumer, event_id, attempts, next_attempt_at, acked_at)
          select ${consumer}, e.id, 0, ${now}, ${now} from webhook_events e where e.id = any(${eventIds}::uuid[])
          on conflict (consumer, event_id) do update set acked_at = excluded.acked_at
            where webhook_deliveries.acked_at is null
          returning event_id`;
        return rows.length;
      }),
  };
}
