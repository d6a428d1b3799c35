/**
 * A stream filtered to one webhook claims from that webhook's events through its index, however
 * many events other webhooks have retained (the plan, not a timing: auto_explain of the statement run).
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../test/support/postgres.js";
import type { Sql } from "./db.js";
import { createWebhookDeliveriesRepo } from "./webhook-deliveries-repo.js";

let tdb: TestDb;
let traced: Sql;
const plans: string[] = [];
const busy = randomUUID();
const quiet = randomUUID();

beforeAll(async () => {
  tdb = await createTestDb();
  // A pool whose plans come back as notices (auto_explain), so the test sees the plan of exactly
  // what the repository ran.
  traced = postgres(tdb.url, {
    max: 1,
    onnotice: (n) => void (/"Plan"/.test(String(n.message)) && plans.push(String(n.message))),
    connection: {
      search_path: tdb.schema,
      session_preload_libraries: "auto_explain",
      "auto_explain.log_min_duration": "0",
      "auto_explain.log_level": "notice",
      "auto_explain.log_format": "json",
      "auto_explain.log_nested_statements": "on",
    } as Record<string, string>,
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
    const filter = { webhookIds: [quiet], providers: [], eventTypes: [] };
    const got = await repo.claim("c", filter, new Date(), 60_000, 100);
    expect(got.map((e) => e.webhookId)).toEqual([quiet]);
    // A stream claims again and again: a prepared statement switches to a generic plan after five
    // runs, which can no longer see which webhook it serves. Look at the plan of a late run.
    for (let i = 0; i < 7; i++) await repo.claim("c", filter, new Date(), 60_000, 100);
    plans.length = 0;
    await repo.claim("c", filter, new Date(), 60_000, 100);
    const flat = plans.map((p) => p.replace(/\n\s*/g, "").replace(/":\s/g, '":'));
    const text = flat.find((p) => p.includes('"Operation":"Insert"') && p.includes('"Relation Name":"webhook_deliveries"'))!;
    expect(text).toBeDefined();
    expect(text).toMatch(/"Index Name":"webhook_events_webhook_seq_idx"/);
    expect(text).not.toMatch(/"Node Type":"Seq Scan",[^{}]*"Relation Name":"webhook_events"/);
    expect(text).not.toMatch(/"Index Name":"webhook_events_seq_idx"/);
  });
});
