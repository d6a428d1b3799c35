/**
 * Bulk seeding straight into Postgres, for data sets too large to create through the API (10k, 1M).
 * Each row's secret is encrypted with the deployment's own keyring file and bound to that row's
 * context (rowContext), exactly as the service would store it: a ciphertext opens only in its row.
 * Rows go in through COPY, streamed with backpressure, so 1M rows never sit in memory at once.
 */
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { createLocalKeyring, type LocalKeyring } from "../../src/secrets/local-keyring.js";
import { rowContext } from "../../src/secrets/secret-store.js";
import type { Sql } from "../../src/storage/db.js";
import { API_KEY_LENGTH, API_KEY_PROVIDER } from "./fixtures.js";

/** The keyring the deployment's replicas created at startup (LATCHKEY_DATA_DIR/keyring.json). */
export function openKeyring(dataDir: string): Promise<LocalKeyring> {
  return createLocalKeyring({ file: path.join(dataDir, "keyring.json") });
}

export interface SeededCredential {
  id: string;
  userId: string;
}

export interface BulkOptions {
  count: number;
  /** Credentials per user (ListCredentials pages one user's rows). */
  perUser: number;
  /** Users are named `${userPrefix}${n}`, so successive calls can add users without collisions. */
  userPrefix: string;
  /** Called with every `sampleEvery`-th row, to build request sets without keeping all ids. */
  sampleEvery?: number;
  onSample?: (c: SeededCredential) => void;
}

/** Inserts `count` API-key credentials through COPY; returns how many were written. */
export async function bulkInsertApiKeys(sql: Sql, keyring: LocalKeyring, opts: BulkOptions): Promise<number> {
  const created = Date.now() - opts.count * 10;
  let i = 0;
  async function* lines(): AsyncGenerator<string> {
    // Chunks of ~1000 rows keep COPY's write calls few while memory stays small.
    while (i < opts.count) {
      const end = Math.min(opts.count, i + 1000);
      const items: { id: string; userId: string; at: string }[] = [];
      for (; i < end; i++) {
        const c = { id: randomUUID(), userId: `${opts.userPrefix}${Math.floor(i / opts.perUser)}`, at: new Date(created + i * 10).toISOString() };
        items.push(c);
        if (opts.onSample && i % (opts.sampleEvery ?? 1) === 0) opts.onSample({ id: c.id, userId: c.userId });
      }
      const cts = await keyring.encryptBatch(
        items.map((c) => ({
          plaintext: Buffer.from(("sk-bulk-" + randomBytes(32).toString("hex")).slice(0, API_KEY_LENGTH)),
          context: rowContext("credential", c.userId, c.id),
        })),
      );
      yield items.map((c, k) => `${c.id}\t${c.userId}\t${API_KEY_PROVIDER}\tapi_key\tbulk\t${cts[k]}\tApiKey\t${c.at}\t${c.at}\n`).join("");
    }
  }
  const writable = await sql`
    copy credentials (id, user_id, provider, kind, title, secret_ciphertext, token_type, created_at, updated_at) from stdin
  `.writable();
  await pipeline(Readable.from(lines()), writable);
  await sql`analyze credentials`;
  return opts.count;
}

export interface OAuthSeed {
  userId: string;
  provider: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scopes?: string[];
}

/** Inserts one OAuth credential (for the stampede: an expired access token and a live refresh token). */
export async function insertOAuthCredential(sql: Sql, keyring: LocalKeyring, s: OAuthSeed): Promise<string> {
  const id = randomUUID();
  const ctx = rowContext("credential", s.userId, id);
  const [secret, refresh] = await keyring.encryptBatch([
    { plaintext: Buffer.from(s.accessToken), context: ctx },
    { plaintext: Buffer.from(s.refreshToken), context: rowContext("credential", s.userId, id, "refresh_token") },
  ]);
  await sql`
    insert into credentials (id, user_id, provider, kind, title, scopes, secret_ciphertext, refresh_token_ciphertext,
                             access_token_expires_at, token_type)
    values (${id}, ${s.userId}, ${s.provider}, 'oauth2', 'bench', ${sql.array(s.scopes ?? [])}, ${secret!}, ${refresh!},
            ${s.expiresAt}, 'Bearer')`;
  return id;
}
