-- OAuth flows in progress. The state itself is never stored: only its SHA-256, so a database
-- read cannot complete someone's flow. The PKCE verifier is secret-store ciphertext bound to the row.
create table oauth_states (
  id uuid primary key,
  state_hash text not null unique,
  user_id text not null,
  provider text not null,
  scopes text[] not null default '{}',
  redirect_uri text not null,
  -- Set when re-authorizing an existing credential in place.
  credential_id uuid,
  code_verifier_ciphertext text,
  status text not null default 'pending' check (status in ('pending', 'exchanging', 'completed', 'failed')),
  error text,
  result_credential_id uuid,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  consumed_at timestamptz
);
create index oauth_states_expires_idx on oauth_states (expires_at);

-- One row per OAuth credential that has ever been refreshed: the cross-replica refresh lease
-- (owner + expiry) and the memory of failures, so a refresh that timed out is not retried blindly.
create table credential_refresh_leases (
  credential_id uuid primary key references credentials (id) on delete cascade,
  owner text,
  lease_expires_at timestamptz,
  last_refresh_at timestamptz,
  last_error text,
  -- A refresh whose outcome is unknown (timeout): the provider may have rotated the refresh token.
  in_doubt_since timestamptz,
  -- No refresh is attempted before this time (backoff after a failure).
  next_attempt_at timestamptz
);

-- Revocations the provider could not take when the credential was deleted; retried by a worker.
-- The token stays secret-store ciphertext bound to the deleted credential's context.
create table oauth_revocations (
  id bigint generated always as identity primary key,
  credential_id uuid not null,
  user_id text not null,
  provider text not null,
  token_kind text not null check (token_kind in ('refresh_token', 'access_token')),
  token_ciphertext text not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now()
);
create index oauth_revocations_due_idx on oauth_revocations (next_attempt_at);
