/**
 * Key rotation for stored data: re-encrypts every ciphertext older than the store's latest key
 * version, table by table over the registry in storage/secret-columns.ts, so that old key versions
 * can then be retired (min_decryption_version). The plaintext never reaches this process with
 * Vault (transit rewrap).
 *
 * Batches page by primary key (keyset), and each batch is written in one transaction whose updates
 * only apply where the ciphertext is still the one that was read: a row a writer changed meanwhile
 * already holds a fresh ciphertext and is left alone. Interrupted runs are resumed by running again:
 * rows already on the latest version cost a read, no engine call.
 */
import { db, type Sql } from "../storage/db.js";
import { SECRET_COLUMNS, type SecretColumns } from "../storage/secret-columns.js";
import { describeCiphertext, SecretDecryptError, type DecryptItem, type SecretStore } from "./secret-store.js";

export interface RewrapProgress {
  table: string;
  scanned: number;
  total: number;
  rewrapped: number;
  /** The last primary key done: everything up to it is on the latest version (or failed, see result). */
  lastId: string | undefined;
  /** "rewrap credentials: 1200/5000 rows (24%)" */
  line: string;
}

export interface RewrapFailure {
  table: string;
  id: string;
  column: string;
}

export interface RewrapTableResult {
  table: string;
  /** The table is in the registry but not in the database (its migration is not applied). */
  missing: boolean;
  total: number;
  scanned: number;
  /** Ciphertexts moved to the latest version. */
  rewrapped: number;
  /** Rows changed by a writer between read and update (they already hold fresh ciphertext). */
  changed: number;
  /** Ciphertexts of another engine (e.g. local keyring rows under Vault): left as they are. */
  foreign: number;
  /** Ciphertexts that did not open (tampered, wrong context, retired version). */
  failed: RewrapFailure[];
}

export interface RewrapResult {
  latestVersion: number;
  tables: RewrapTableResult[];
}

export interface RewrapOptions {
  /** Rows per batch (default 200). */
  batchSize?: number;
  onProgress?: (p: RewrapProgress) => void;
  /** Default: every table in storage/secret-columns.ts. */
  columns?: readonly SecretColumns[];
  /** Checked between batches: stops after the batch in flight commits. */
  signal?: AbortSignal;
}

export async function rewrapAll(sql: Sql, store: SecretStore, opts: RewrapOptions = {}): Promise<RewrapResult> {
  const batchSize = opts.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError("batchSize must be a positive integer");
  const latestVersion = await store.latestKeyVersion();
  const tables: RewrapTableResult[] = [];
  for (const spec of opts.columns ?? SECRET_COLUMNS) {
    if (opts.signal?.aborted) break;
    tables.push(await rewrapTable(sql, store, spec, latestVersion, batchSize, opts));
  }
  return { latestVersion, tables };
}

interface Pending {
  row: Record<string, unknown>;
  /** column → [old, new] */
  changes: Map<string, [string, string]>;
}

async function rewrapTable(
  sql: Sql,
  store: SecretStore,
  spec: SecretColumns,
  latest: number,
  batchSize: number,
  opts: RewrapOptions,
): Promise<RewrapTableResult> {
  const result: RewrapTableResult = {
    table: spec.table,
    missing: false,
    total: 0,
    scanned: 0,
    rewrapped: 0,
    changed: 0,
    foreign: 0,
    failed: [],
  };
  const [reg] = await db(() => sql<{ reg: string | null }[]>`select to_regclass(${spec.table})::text as reg`);
  if (!reg?.reg) return { ...result, missing: true };
  const [count] = await db(() => sql<{ n: string }[]>`select count(*)::text as n from ${sql(spec.table)}`);
  result.total = Number(count?.n ?? 0);

  const id = spec.idColumn;
  const columns = [...new Set([id, ...spec.contextColumns, ...spec.ciphertextColumns])];
  let lastId: string | undefined;
  for (;;) {
    if (opts.signal?.aborted) break;
    const after = lastId;
    const rows = await db(() =>
      after === undefined
        ? sql<Record<string, unknown>[]>`
            select ${sql(columns)} from ${sql(spec.table)} order by ${sql(id)} limit ${batchSize}`
        : sql<Record<string, unknown>[]>`
            select ${sql(columns)} from ${sql(spec.table)} where ${sql(id)} > ${after}
            order by ${sql(id)} limit ${batchSize}`,
    );
    if (rows.length === 0) break;

    const pending = await rewrapRows(store, spec, latest, rows, result);
    await db(() =>
      sql.begin(async (tx) => {
        for (const p of pending) {
          const set = Object.fromEntries([...p.changes].map(([col, [, fresh]]) => [col, fresh]));
          // Only where every rewritten column still holds the ciphertext we read.
          const unchanged = [...p.changes].reduce(
            (acc, [col, [old]]) => tx`${acc} and ${tx(col)} = ${old}`,
            tx`${tx(id)} = ${String(p.row[id])}`,
          );
          const res = await tx`update ${tx(spec.table)} set ${tx(set)} where ${unchanged}`;
          if (res.count === 0) result.changed += 1;
          else result.rewrapped += p.changes.size;
        }
      }),
    );

    result.scanned += rows.length;
    lastId = String(rows[rows.length - 1]![id]);
    const pct = result.total === 0 ? 100 : Math.min(100, Math.floor((result.scanned * 100) / result.total));
    opts.onProgress?.({
      table: spec.table,
      scanned: result.scanned,
      total: result.total,
      rewrapped: result.rewrapped,
      lastId,
      line: `rewrap ${spec.table}: ${result.scanned}/${result.total} rows (${pct}%)`,
    });
    if (rows.length < batchSize) break;
  }
  return result;
}

/** Rewraps the batch's stale ciphertexts in one engine call; falls back to one by one to isolate bad items. */
async function rewrapRows(
  store: SecretStore,
  spec: SecretColumns,
  latest: number,
  rows: Record<string, unknown>[],
  result: RewrapTableResult,
): Promise<Pending[]> {
  const slots: Array<{ p: Pending; column: string; item: DecryptItem }> = [];
  const pending: Pending[] = [];
  for (const row of rows) {
    const p: Pending = { row, changes: new Map() };
    for (const column of spec.ciphertextColumns) {
      const context = spec.context(row, column);
      const value = row[column];
      if (typeof value !== "string" || value === "") continue;
      const info = describeCiphertext(value);
      if (!info || info.engine !== store.engine) {
        result.foreign += 1;
        continue;
      }
      if (info.keyVersion >= latest) continue;
      slots.push({ p, column, item: { ciphertext: value, context } });
    }
    pending.push(p);
  }
  if (slots.length === 0) return [];

  let fresh: Array<string | undefined>;
  try {
    fresh = await store.rewrapBatch(slots.map((s) => s.item));
  } catch (err) {
    if (!(err instanceof SecretDecryptError)) throw err;
    fresh = [];
    for (const s of slots) {
      try {
        fresh.push(await store.rewrap(s.item.ciphertext, s.item.context));
      } catch (e) {
        if (!(e instanceof SecretDecryptError)) throw e;
        fresh.push(undefined);
        result.failed.push({ table: spec.table, id: String(s.p.row[spec.idColumn]), column: s.column });
      }
    }
  }
  slots.forEach((s, i) => {
    const value = fresh[i];
    if (value !== undefined) s.p.changes.set(s.column, [s.item.ciphertext, value]);
  });
  return pending.filter((p) => p.changes.size > 0);
}

/** True when the run left nothing behind: no failures, no foreign ciphertexts. */
export function rewrapComplete(result: RewrapResult): boolean {
  return result.tables.every((t) => t.failed.length === 0 && t.foreign === 0);
}
