/**
 * Refresh coordination across replicas: the lease row (owner + expiry on the database clock, so
 * replica clock skew cannot hand one lease to two owners), failure backoff, and the background
 * refresher's candidate query over the credentials table.
 */
import type { RefreshCandidates, RefreshLeases } from "../domain/oauth/ports.js";
import { NotFound } from "../domain/errors.js";
import { db, type Sql } from "./db.js";

/**
 * Lease rows reference the credential: a write racing a DeleteCredential hits the foreign key
 * (23503). That is the credential being gone, not a bug.
 */
function leaseWrite<T>(op: () => Promise<T>): Promise<T> {
  return db(async () => {
    try {
      return await op();
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === "23503") throw new NotFound("credential");
      throw err;
    }
  });
}

export function createRefreshLeases(sql: Sql): RefreshLeases {
  return {
    acquire: (credentialId, owner, ttlMs) =>
      leaseWrite(async () => {
        const rows = await sql`
          insert into credential_refresh_leases (credential_id, owner, lease_expires_at)
          values (${credentialId}, ${owner}, now() + ${ttlMs} * interval '1 millisecond')
          on conflict (credential_id) do update
            set owner = excluded.owner, lease_expires_at = excluded.lease_expires_at
            where credential_refresh_leases.owner is null
               or credential_refresh_leases.owner = excluded.owner
               or credential_refresh_leases.lease_expires_at < now()
          returning credential_id`;
        return rows.length === 1;
      }),

    renew: (credentialId, owner, ttlMs) =>
      db(async () => {
        const rows = await sql`
          update credential_refresh_leases set lease_expires_at = now() + ${ttlMs} * interval '1 millisecond'
          where credential_id = ${credentialId} and owner = ${owner}
          returning credential_id`;
        return rows.length === 1;
      }),

    beginAttempt: (credentialId, owner, ttlMs) =>
      db(async () => {
        const rows = await sql`
          update credential_refresh_leases
            set lease_expires_at = now() + ${ttlMs} * interval '1 millisecond', attempt_started_at = now()
          where credential_id = ${credentialId} and owner = ${owner}
          returning credential_id`;
        return rows.length === 1;
      }),

    release: (credentialId, owner) =>
      db(async () => {
        await sql`update credential_refresh_leases set owner = null, lease_expires_at = null
          where credential_id = ${credentialId} and owner = ${owner}`;
      }),

    state: (credentialId) =>
      db(async () => {
        const [r] = await sql<{ next_attempt_at: Date | null; in_doubt_since: Date | null; attempt_started_at: Date | null; last_refresh_at: Date | null }[]>`
          select next_attempt_at, in_doubt_since, attempt_started_at, last_refresh_at
          from credential_refresh_leases where credential_id = ${credentialId}`;
        return (
          r && {
            nextAttemptAt: r.next_attempt_at,
            inDoubtSince: r.in_doubt_since,
            attemptStartedAt: r.attempt_started_at,
            lastRefreshAt: r.last_refresh_at,
          }
        );
      }),

    recordSuccess: (credentialId, at) =>
      leaseWrite(async () => {
        await sql`
          insert into credential_refresh_leases (credential_id, last_refresh_at) values (${credentialId}, ${at})
          on conflict (credential_id) do update
            set last_refresh_at = ${at}, last_error = null, in_doubt_since = null, next_attempt_at = null,
                attempt_started_at = null`;
      }),

    recordFailure: (credentialId, f) =>
      leaseWrite(async () => {
        const doubt = f.inDoubt ? f.at : null;
        await sql`
          insert into credential_refresh_leases (credential_id, last_error, in_doubt_since, next_attempt_at)
          values (${credentialId}, ${f.error}, ${doubt}, ${f.retryAt})
          on conflict (credential_id) do update
            set last_error = ${f.error}, next_attempt_at = ${f.retryAt},
                in_doubt_since = coalesce(credential_refresh_leases.in_doubt_since, ${doubt}),
                attempt_started_at = null`;
      }),
  };
}

/**
 * Three disjoint branches, each served by an index (migration 006), instead of one OR over a join
 * that scanned every credential: tokens expiring soon; credentials idle since their last refresh;
 * credentials never refreshed, idle since creation. Each is limited, then merged.
 */
export function createRefreshCandidates(sql: Sql): RefreshCandidates {
  return {
    due: (q) =>
      db(async () => {
        const refreshable = sql`c.kind = 'oauth2' and c.status = 'active' and c.refresh_token_ciphertext is not null`;
        const notExpiring = sql`(c.access_token_expires_at is null or c.access_token_expires_at >= ${q.expiringBefore})`;
        const noBackoff = sql`(l.next_attempt_at is null or l.next_attempt_at <= ${q.now})`;
        const rows = await sql<{ id: string; idle: boolean }[]>`
          select id, idle from (
            (select c.id, false as idle, c.access_token_expires_at as expires_at
             from credentials c
             left join credential_refresh_leases l on l.credential_id = c.id
             where ${refreshable} and c.access_token_expires_at < ${q.expiringBefore} and ${noBackoff}
             order by c.access_token_expires_at
             limit ${q.limit})
            union all
            (select c.id, true, c.access_token_expires_at
             from credential_refresh_leases l
             join credentials c on c.id = l.credential_id
             where l.last_refresh_at < ${q.idleBefore} and ${refreshable} and ${notExpiring} and ${noBackoff}
             limit ${q.limit})
            union all
            (select c.id, true, c.access_token_expires_at
             from credentials c
             left join credential_refresh_leases l on l.credential_id = c.id
             where c.created_at < ${q.idleBefore} and ${refreshable} and ${notExpiring} and ${noBackoff}
               and l.last_refresh_at is null
             limit ${q.limit})
          ) due
          order by expires_at asc nulls last
          limit ${q.limit}`;
        return rows.map((r) => ({ id: r.id, idle: r.idle }));
      }),
  };
}
