/**
 * The background refresher's candidate query on a few thousand credentials: it finds the due ones
 * and Postgres answers it from the partial indexes, without scanning the credentials table.
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../test/support/postgres.js";
import type { Sql } from "./db.js";
import { createRefreshCandidates } from "./oauth-refresh-repo.js";

let tdb: TestDb;
let traced: Sql;
const queries: Array<{ query: string; params: unknown[] }> = [];
const now = new Date();
const hours = (h: number) => new Date(now.getTime() + h * 3600_000);

beforeAll(async () => {
  tdb = await createTestDb();
  // A pool that records the statements it sends, to EXPLAIN exactly what the repository runs.
  traced = postgres(tdb.url, {
    max: 1,
    onnotice: () => {},
    connection: { search_path: tdb.schema },
    debug: (_conn, query, params) => queries.push({ query, params: params as unknown[] }),
  }) as unknown as Sql;
  // 3,000 API keys, 3,000 OAuth credentials refreshed an hour ago with tokens valid for hours,
  // and the few that are due: 3 expiring within the window, 2 idle for two days.
  await tdb.sql`
    insert into credentials (id, user_id, provider, kind, secret_ciphertext, refresh_token_ciphertext, access_token_expires_at, created_at)
    select gen_random_uuid(), 'u' || i, 'openai', 'api_key', 'ct', null, null, now() - interval '30 days'
    from generate_series(1, 3000) i`;
  await tdb.sql`
    insert into credentials (id, user_id, provider, kind, secret_ciphertext, refresh_token_ciphertext, access_token_expires_at, created_at)
    select gen_random_uuid(), 'o' || i, 'google', 'oauth2', 'ct', 'rt', ${hours(5)}, now() - interval '30 days'
    from generate_series(1, 3000) i`;
  await tdb.sql`insert into credential_refresh_leases (credential_id, last_refresh_at) select id, ${hours(-1)} from credentials where kind = 'oauth2'`;
  for (let i = 0; i < 3; i++) {
    await tdb.sql`
      insert into credentials (id, user_id, provider, kind, secret_ciphertext, refresh_token_ciphertext, access_token_expires_at)
      values (${randomUUID()}, 'due', 'google', 'oauth2', 'ct', 'rt', ${new Date(now.getTime() + 60_000 * (i + 1))})`;
  }
  await tdb.sql`
    insert into credentials (id, user_id, provider, kind, secret_ciphertext, refresh_token_ciphertext, access_token_expires_at, created_at)
    values (${randomUUID()}, 'idle-never', 'google', 'oauth2', 'ct', 'rt', null, ${hours(-48)})`;
  const [idle] = await tdb.sql<{ id: string }[]>`
    insert into credentials (id, user_id, provider, kind, secret_ciphertext, refresh_token_ciphertext, access_token_expires_at, created_at)
    values (${randomUUID()}, 'idle-refreshed', 'google', 'oauth2', 'ct', 'rt', ${hours(48)}, ${hours(-96)}) returning id`;
  await tdb.sql`insert into credential_refresh_leases (credential_id, last_refresh_at) values (${idle!.id}, ${hours(-48)})`;
  await tdb.sql`analyze credentials`;
  await tdb.sql`analyze credential_refresh_leases`;
});

afterAll(async () => {
  await traced.end({ timeout: 1 });
  await tdb.drop();
});

describe("background refresh candidates", () => {
  it("finds the expiring and idle credentials among thousands through the partial indexes, without scanning credentials", async () => {
    const q = { now, expiringBefore: new Date(now.getTime() + 600_000), idleBefore: hours(-24), limit: 50 };
    const due = await createRefreshCandidates(traced).due(q);
    const users = await tdb.sql<{ id: string; user_id: string }[]>`select id, user_id from credentials where id = any(${due.map((d) => d.id)})`;
    const userOf = new Map(users.map((u) => [u.id, u.user_id]));
    expect(due.map((d) => [userOf.get(d.id), d.idle])).toEqual([
      ["due", false],
      ["due", false],
      ["due", false],
      ["idle-refreshed", true],
      ["idle-never", true],
    ]);

    const sent = queries.find((s) => s.query.includes("credential_refresh_leases"))!;
    const [plan] = await tdb.sql.unsafe(`explain (format json) ${sent.query}`, sent.params as never[]);
    const text = JSON.stringify(plan);
    const scanned = [...text.matchAll(/"Node Type":"([^"]+)"[^{}]*?"Relation Name":"credentials"/g)].map((m) => m[1]);
    expect(scanned.length).toBeGreaterThan(0);
    expect(scanned).not.toContain("Seq Scan");
    // The expiring branch reads a range of the index, not all refreshable credentials.
    expect(text).toMatch(/"Index Name":"credentials_refreshable_expiry_idx","Relation Name":"credentials",[^{}]*"Index Cond":"\(access_token_expires_at < /);
  });
});
