/**
 * A stream filtered to one webhook claims from that webhook's events through its index, however
 * many events other webhooks have retained (the plan, not a timing: EXPLAIN of the exact statement).
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../test/support/postgres.js";
import type { Sql } from "./db.js";
import { createWebhookDeliveriesRepo } from "./webhook-deliveries-repo.js";

let tdb: TestDb;
let traced: Sql;
const queries: Array<{ query: string; params: unknown[] }> = [];
const busy = randomUUID();
const quiet = randomUUID();

beforeAll(async () => {
  tdb = await createTestDb();
  traced = postgres(tdb.url, {
    max: 1,
    onnotice: () => {},
    connection: { search_path: tdb.schema },
    debug: (_conn, query, params) => queries.push({ query, params: params as unknown[] }),
  }) as unknown as Sql;
  await tdb.sql`
    insert into webhook_events (id, webhook_id, user_id, provider, dedupe_key, payload)
    select gen_random_uuid(), ${busy}, 'u', 'github', 'k' || i, '\\x00'::bytea from generate_series(1, 20000) i`;
  await tdb.sql`
    insert into webhook_events (id, webhook_id, user_id, provider, dedupe_key, payload)
    values (gen_random_uuid(), ${quiet}, 'u', 'github', 'only', '\\x00'::bytea)`;
  await tdb.sql`analyze webhook_events`;
});
afterAll(async () => {
  await traced?.end({ timeout: 1 });
  await tdb?.drop();
});

describe("claim", () => {
  it("serves a one-webhook stream from that webhook's index, not by walking every retained event", async () => {
    const repo = createWebhookDeliveriesRepo(traced);
    await repo.touchConsumer("c", new Date());
    queries.length = 0;
    const got = await repo.claim("c", { webhookIds: [quiet], providers: [], eventTypes: [] }, new Date(), 60_000, 100);
    expect(got.map((e) => e.webhookId)).toEqual([quiet]);
    const sent = queries.find((q) => /insert into webhook_deliveries/.test(q.query))!;
    const [plan] = await tdb.sql.unsafe(`explain (format json) ${sent.query}`, sent.params as never[]);
    const text = JSON.stringify(plan);
    expect(text).toMatch(/"Index Name":"webhook_events_webhook_seq_idx"/);
    expect(text).not.toMatch(/"Node Type":"Seq Scan","Parent Relationship":"[^"]*","Parallel Aware":false,"Async Capable":false,"Relation Name":"webhook_events"/);
    expect(text).not.toMatch(/"Index Name":"webhook_events_seq_idx"/);
  });
});
