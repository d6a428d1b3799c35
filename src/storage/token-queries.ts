/**
 * The two batched statements of the token hot path.
 *
 * `auditHandouts` is the gate every token passes before it leaves: in one statement it checks that
 * each (credential, user, version) is still current and active, takes a KEY SHARE lock on each
 * credential row once (so a concurrent DeleteCredential waits until these hand-outs are recorded,
 * and is ordered after them), and writes one audit row per hand-out. A hand-out whose row moved
 * on is reported as stale and the caller re-reads; nothing stale is ever served.
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
      // One JSON text parameter rather than four arrays, and one aggregated row back rather than a
      // row per hand-out: postgres.js's array serialisation and row parsing were most of this
      // statement's client-side cost (measured: ~630 -> ~250 us of CPU per 64-hand-out batch).
      // json rather than jsonb here: the elements are small, and re-reading them per field measured
      // no slower than converting (the ingress batch, with 1 KiB payloads, is the other way round).
      const handouts = JSON.stringify(batch.map((h) => [h.caller, h.userId, h.credentialId, h.version]));
      const [row] = await sql<{ ords: string | null }[]>`
        with x as (
          select e->>0 as caller, e->>1 as user_id, (e->>2)::uuid as credential_id,
                 (e->>3)::bigint as version, ord
          from json_array_elements(${handouts}::text::json) with ordinality as j(e, ord)
        ), live as (
          select id, user_id, version from credentials
          where id in (select credential_id from x) and status = 'active'
          for key share
        ), ok as (
          select x.* from x join live c
            on c.id = x.credential_id and c.user_id = x.user_id and c.version = x.version
        ), ins as (
          insert into access_audit (caller, user_id, credential_id, credential_version)
          select caller, user_id, credential_id, version from ok
        )
        select string_agg(ord::text, ',') as ords from ok`;
      const ok = new Set(row?.ords ? row.ords.split(",").map(Number) : []);
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
