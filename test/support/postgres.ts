/**
 * Real Postgres for tests: one fresh schema per test file, migrated, dropped at the end.
 * Uses DATABASE_URL when set, else the embedded server global-setup.ts started (TEST_DATABASE_URL).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { connect, type Sql } from "../../src/storage/db.js";
import { migrate } from "../../src/storage/migrate.js";

export function testDatabaseUrl(): string {
  const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("no DATABASE_URL/TEST_DATABASE_URL: is test/support/global-setup.ts configured?");
  return url;
}

export interface TestDb {
  sql: Sql;
  schema: string;
  url: string;
  /** A second, independent pool on the same schema (a second replica). */
  connect(max?: number): Sql;
  drop(): Promise<void>;
}

export async function createTestDb(opts: { migrate?: boolean; max?: number } = {}): Promise<TestDb> {
  const url = testDatabaseUrl();
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema ${schema}`);
  await admin.end();
  const pools: Sql[] = [];
  const open = (max = opts.max ?? 10) => {
    const s = connect({ url, schema, max });
    pools.push(s);
    return s;
  };
  const sql = open();
  if (opts.migrate !== false) await migrate(sql);
  return {
    sql,
    schema,
    url,
    connect: open,
    async drop() {
      await Promise.all(pools.map((p) => p.end({ timeout: 1 })));
      const a = postgres(url, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop schema if exists ${schema} cascade`);
      await a.end();
    },
  };
}
