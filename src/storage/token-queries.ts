/**
 * The two batched statements of the token hot path.
 *
 * `auditHandouts` is the gate every token passes before it leaves: in one statement it checks that
 * each (credential, user, version) is still current and active, takes a KEY SHARE lock on the row
 * (so a concurrent DeleteCredential waits until this hand-out is recorded, and is ordered after it),
 * and writes one audit row per hand-out. A hand-out whose row moved on is reported as stale and
 * the caller re-reads; nothing stale is ever served.
 */
import type { CredentialRow } from "../domain/credentials/credential.js";
import { toCredentialRow } from "./credentials-repo.js";
import { db, type Sql } from "./db.js";

export interface Handout {
  caller: string;
  userId: string;
  credentialId: string;
  version: number;
}

export function auditHandouts(sql: Sql): (batch: Handout[]) => Promise<boolean[]> {
  return (batch) =>
    db(async () => {
      const rows = await sql<{ ord: string }[]>`
        with x as (
          select * from unnest(
            ${batch.map((h) => h.caller)}::text[],
            ${batch.map((h) => h.userId)}::text[],
            ${batch.map((h) => h.credentialId)}::uuid[],
            ${batch.map((h) => String(h.version))}::bigint[]
          ) with ordinality as x(caller, user_id, credential_id, version, ord)
        ), ok as (
          select x.* from x
          join credentials c on c.id = x.credential_id and c.user_id = x.user_id
            and c.version = x.version and c.status = 'active'
          for key share of c
        ), ins as (
          insert into access_audit (caller, user_id, credential_id, credential_version)
          select caller, user_id, credential_id, version from ok
        )
        select ord from ok`;
      const ok = new Set(rows.map((r) => Number(r.ord)));
      return batch.map((_, i) => ok.has(i + 1));
    });
}

/** Loads many credentials by id in one query; the caller checks ownership. */
export function loadCredentials(sql: Sql): (ids: string[]) => Promise<(CredentialRow | undefined)[]> {
  return (ids) =>
    db(async () => {
      const rows = await sql`select * from credentials where id = any(${ids}::uuid[])`;
      const byId = new Map(rows.map((r) => [r.id as string, toCredentialRow(r as never)]));
      return ids.map((id) => byId.get(id));
    });
}
