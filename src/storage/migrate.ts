/**
 * Versioned SQL migrations from ./migrations (NNN-name.sql), applied in order, each in its own
 * transaction, under a session advisory lock so replicas starting together apply each exactly once.
 */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Sql } from "./db.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
/** Arbitrary constant: the advisory lock key all replicas agree on. */
const MIGRATION_LOCK_KEY = 7_204_113_990;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f)).sort();
  const out: Migration[] = [];
  for (const file of files) {
    out.push({ version: Number(file.slice(0, 3)), name: file.slice(4, -4), sql: await readFile(dir + file, "utf8") });
  }
  const versions = out.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error("duplicate migration version");
  return out;
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? (await loadMigrations());
  const applied: number[] = [];
  // reserve() pins one connection: a session advisory lock belongs to the connection that took it.
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await conn`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const done = new Set((await conn<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version));
    for (const m of all) {
      if (done.has(m.version)) continue;
      await conn.unsafe("begin");
      try {
        await conn.unsafe(m.sql);
        await conn`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
        await conn.unsafe("commit");
      } catch (err) {
        await conn.unsafe("rollback");
        throw new Error(`migration ${m.version}-${m.name} failed`, { cause: err });
      }
      applied.push(m.version);
    }
  } finally {
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    conn.release();
  }
  return applied;
}
