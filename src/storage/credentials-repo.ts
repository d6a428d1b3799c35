/**
 * The credentials table. Every query is scoped by user_id where a caller names a user, so another
 * user's row is indistinguishable from a missing one. Writes that change secret material or status
 * compare and bump `version` (optimistic concurrency).
 */
import type { CredentialKind, CredentialMeta, CredentialRow, CredentialStatus, NewCredential, TokenUpdate } from "../domain/credentials/credential.js";
import { db, type Sql } from "./db.js";

interface DbRow {
  id: string;
  user_id: string;
  provider: string;
  kind: CredentialKind;
  title: string;
  scopes: string[];
  username: string;
  status: CredentialStatus;
  metadata: Record<string, string>;
  secret_ciphertext: string;
  refresh_token_ciphertext: string | null;
  access_token_expires_at: Date | null;
  token_type: string;
  version: string;
  created_at: Date;
  updated_at: Date;
}

export function toCredentialMeta(r: Omit<DbRow, "secret_ciphertext" | "refresh_token_ciphertext">): CredentialMeta {
  return {
    id: r.id,
    userId: r.user_id,
    provider: r.provider,
    kind: r.kind,
    title: r.title,
    scopes: r.scopes,
    username: r.username,
    status: r.status,
    metadata: r.metadata,
    accessTokenExpiresAt: r.access_token_expires_at,
    tokenType: r.token_type,
    version: Number(r.version),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toCredentialRow(r: DbRow): CredentialRow {
  return { ...toCredentialMeta(r), secretCiphertext: r.secret_ciphertext, refreshTokenCiphertext: r.refresh_token_ciphertext };
}

const META_COLUMNS = [
  "id",
  "user_id",
  "provider",
  "kind",
  "title",
  "scopes",
  "username",
  "status",
  "metadata",
  "access_token_expires_at",
  "token_type",
  "version",
  "created_at",
  "updated_at",
] as const;

export interface ListQuery {
  userId: string;
  provider?: string;
  limit: number;
  /** Keyset cursor: rows strictly older than this (created_at, id). */
  after?: { createdAt: Date; id: string };
}

export interface CredentialsRepo {
  insert(c: NewCredential): Promise<CredentialRow>;
  get(userId: string, id: string): Promise<CredentialRow | undefined>;
  /** Unscoped read, for background workers that were handed an id by the system itself. */
  getById(id: string): Promise<CredentialRow | undefined>;
  list(q: ListQuery): Promise<CredentialMeta[]>;
  updateMetadata(
    userId: string,
    id: string,
    patch: { title?: string; metadata?: Record<string, string> },
  ): Promise<CredentialRow | undefined>;
  delete(userId: string, id: string): Promise<CredentialRow | undefined>;
  /** Replaces tokens if the row is still at `expectedVersion`; undefined when it moved on. */
  replaceTokens(id: string, expectedVersion: number, update: TokenUpdate): Promise<CredentialRow | undefined>;
  setStatus(id: string, expectedVersion: number, status: CredentialStatus): Promise<CredentialRow | undefined>;
}

export function createCredentialsRepo(sql: Sql): CredentialsRepo {
  return {
    insert: (c) =>
      db(async () => {
        const [row] = await sql<DbRow[]>`
          insert into credentials (id, user_id, provider, kind, title, scopes, username, metadata,
            secret_ciphertext, refresh_token_ciphertext, access_token_expires_at, token_type)
          values (${c.id}, ${c.userId}, ${c.provider}, ${c.kind}, ${c.title}, ${c.scopes}, ${c.username},
            ${sql.json(c.metadata)}, ${c.secretCiphertext}, ${c.refreshTokenCiphertext}, ${c.accessTokenExpiresAt},
            ${c.tokenType})
          returning *`;
        return toCredentialRow(row!);
      }),

    get: (userId, id) =>
      db(async () => {
        const [row] = await sql<DbRow[]>`select * from credentials where id = ${id} and user_id = ${userId}`;
        return row && toCredentialRow(row);
      }),

    getById: (id) =>
      db(async () => {
        const [row] = await sql<DbRow[]>`select * from credentials where id = ${id}`;
        return row && toCredentialRow(row);
      }),

    list: (q) =>
      db(async () => {
        const rows = await sql<DbRow[]>`
          select ${sql(META_COLUMNS)} from credentials
          where user_id = ${q.userId}
            ${q.provider ? sql`and provider = ${q.provider}` : sql``}
            ${q.after ? sql`and (created_at, id) < (${q.after.createdAt}, ${q.after.id})` : sql``}
          order by created_at desc, id desc
          limit ${q.limit}`;
        return rows.map(toCredentialMeta);
      }),

    updateMetadata: (userId, id, patch) =>
      db(async () => {
        const [row] = await sql<DbRow[]>`
          update credentials set
            title = ${patch.title === undefined ? sql`title` : patch.title},
            metadata = ${patch.metadata === undefined ? sql`metadata` : sql.json(patch.metadata)},
            updated_at = now()
          where id = ${id} and user_id = ${userId}
          returning *`;
        return row && toCredentialRow(row);
      }),

    delete: (userId, id) =>
      db(async () => {
        const [row] = await sql<DbRow[]>`delete from credentials where id = ${id} and user_id = ${userId} returning *`;
        return row && toCredentialRow(row);
      }),

    replaceTokens: (id, expectedVersion, u) =>
      db(async () => {
        const [row] = await sql<DbRow[]>`
          update credentials set
            secret_ciphertext = ${u.secretCiphertext},
            refresh_token_ciphertext = ${u.refreshTokenCiphertext === undefined ? sql`refresh_token_ciphertext` : u.refreshTokenCiphertext},
            access_token_expires_at = ${u.accessTokenExpiresAt},
            scopes = ${u.scopes === undefined ? sql`scopes` : u.scopes},
            username = ${u.username === undefined ? sql`username` : u.username},
            status = ${u.status ?? "active"},
            version = version + 1,
            updated_at = now()
          where id = ${id} and version = ${expectedVersion}
          returning *`;
        return row && toCredentialRow(row);
      }),

    setStatus: (id, expectedVersion, status) =>
      db(async () => {
        const [row] = await sql<DbRow[]>`
          update credentials set status = ${status}, version = version + 1, updated_at = now()
          where id = ${id} and version = ${expectedVersion}
          returning *`;
        return row && toCredentialRow(row);
      }),
  };
}
