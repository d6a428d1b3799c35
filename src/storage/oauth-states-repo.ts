/** The oauth_states table: single-use authorization states, looked up by the state's hash. */
import type { NewOAuthState, OAuthStateRow, OAuthStatesRepo } from "../domain/oauth/ports.js";
import { db, type Sql } from "./db.js";

interface DbRow {
  id: string;
  user_id: string;
  provider: string;
  scopes: string[];
  redirect_uri: string;
  credential_id: string | null;
  code_verifier_ciphertext: string | null;
  status: OAuthStateRow["status"];
  error: string | null;
  result_credential_id: string | null;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

const toRow = (r: DbRow): OAuthStateRow => ({
  id: r.id,
  userId: r.user_id,
  provider: r.provider,
  scopes: r.scopes,
  redirectUri: r.redirect_uri,
  credentialId: r.credential_id,
  codeVerifierCiphertext: r.code_verifier_ciphertext,
  status: r.status,
  error: r.error,
  resultCredentialId: r.result_credential_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  consumedAt: r.consumed_at,
});

export function createOAuthStatesRepo(sql: Sql): OAuthStatesRepo {
  return {
    insert: (s) =>
      db(async () => {
        await sql`
          insert into oauth_states (id, state_hash, user_id, provider, scopes, redirect_uri, credential_id,
            code_verifier_ciphertext, expires_at, status, result_credential_id, consumed_at)
          values (${s.id}, ${s.stateHash}, ${s.userId}, ${s.provider}, ${s.scopes}, ${s.redirectUri}, ${s.credentialId},
            ${s.codeVerifierCiphertext}, ${s.expiresAt}, ${s.status ?? "pending"}, ${s.resultCredentialId ?? null},
            ${s.status && s.status !== "pending" ? sql`now()` : null})`;
      }),

    findByHash: (hash) =>
      db(async () => {
        const [r] = await sql<DbRow[]>`select * from oauth_states where state_hash = ${hash}`;
        return r && toRow(r);
      }),

    // One UPDATE decides the race: of two concurrent callbacks with one state, exactly one gets a row.
    consume: (hash, now) =>
      db(async () => {
        const [r] = await sql<DbRow[]>`
          with old as (
            select * from oauth_states
            where state_hash = ${hash} and status = 'pending' and expires_at > ${now}
            for update
          )
          update oauth_states s
            set status = 'exchanging', consumed_at = ${now}, code_verifier_ciphertext = null
          from old where s.id = old.id
          returning old.*`;
        return r && toRow(r);
      }),

    complete: (id, credentialId) =>
      db(async () => {
        await sql`update oauth_states set status = 'completed', result_credential_id = ${credentialId} where id = ${id}`;
      }),

    fail: (id, error) =>
      db(async () => {
        await sql`update oauth_states set status = 'failed', error = ${error}, code_verifier_ciphertext = null,
          consumed_at = coalesce(consumed_at, now()) where id = ${id}`;
      }),

    purgeExpired: (before) =>
      db(async () => {
        const res = await sql`delete from oauth_states where expires_at < ${before}`;
        return res.count;
      }),
  };
}
