/** The revocation outbox: tokens a provider could not revoke at delete time, retried by a worker. */
import type { PendingRevocation, RevocationOutbox } from "../domain/oauth/ports.js";
import { db, type Sql } from "./db.js";

interface DbRow {
  id: string;
  credential_id: string;
  user_id: string;
  provider: string;
  token_kind: PendingRevocation["tokenKind"];
  token_ciphertext: string;
  attempts: number;
}

export function createRevocationOutbox(sql: Sql): RevocationOutbox {
  return {
    enqueue: (r) =>
      db(async () => {
        await sql`
          insert into oauth_revocations (credential_id, user_id, provider, token_kind, token_ciphertext, attempts,
            next_attempt_at, last_error)
          values (${r.credentialId}, ${r.userId}, ${r.provider}, ${r.tokenKind}, ${r.tokenCiphertext}, 1,
            ${r.retryAt}, ${r.error})`;
      }),

    // SKIP LOCKED plus pushing next_attempt_at forward: two replicas never work one row at once.
    claimDue: (now, leaseUntil, limit) =>
      db(async () => {
        const rows = await sql<DbRow[]>`
          update oauth_revocations set next_attempt_at = ${leaseUntil}
          where id in (
            select id from oauth_revocations where next_attempt_at <= ${now}
            order by next_attempt_at limit ${limit} for update skip locked)
          returning id::text, credential_id, user_id, provider, token_kind, token_ciphertext, attempts`;
        return rows.map((r) => ({
          id: r.id,
          credentialId: r.credential_id,
          userId: r.user_id,
          provider: r.provider,
          tokenKind: r.token_kind,
          tokenCiphertext: r.token_ciphertext,
          attempts: r.attempts,
        }));
      }),

    done: (id) =>
      db(async () => {
        await sql`delete from oauth_revocations where id = ${id}`;
      }),

    retryLater: (id, error, retryAt) =>
      db(async () => {
        await sql`update oauth_revocations set attempts = attempts + 1, last_error = ${error}, next_attempt_at = ${retryAt}
          where id = ${id}`;
      }),
  };
}
