/**
 * A Postgres schema per bench run, created and dropped by the bench: replicas of one scenario share
 * it (they are one deployment), scenarios never share one. Latchkey migrates it when it starts.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { connect, type Sql } from "../../src/storage/db.js";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

export interface BenchSchema {
  url: string;
  schema: string;
  /** A pool on the schema (seeding, counting rows). */
  sql: Sql;
  drop(): Promise<void>;
}

export async function createBenchSchema(url: string, label: string): Promise<BenchSchema> {
  const schema = `bench_${label.replace(/[^a-z0-9]/g, "_")}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema ${schema}`);
  await admin.end();
  const sql = connect({ url, schema, max: 4, applicationName: "latchkey-bench" });
  return {
    url,
    schema,
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const a = postgres(url, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop schema if exists ${schema} cascade`);
      await a.end();
    },
  };
}

export async function postgresVersion(url: string): Promise<string> {
  const a = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await a<{ v: string }[]>`select current_setting('server_version') as v`;
    return row?.v ?? "?";
  } finally {
    await a.end();
  }
}
