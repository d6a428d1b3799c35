-- Credentials: metadata in columns, secret material only as secret-store ciphertext.
create table credentials (
  id uuid primary key,
  user_id text not null,
  provider text not null,
  kind text not null check (kind in ('oauth2', 'api_key')),
  title text not null default '',
  scopes text[] not null default '{}',
  username text not null default '',
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'revoked')),
  metadata jsonb not null default '{}'::jsonb,
  -- The API key, or the OAuth access token.
  secret_ciphertext text not null,
  refresh_token_ciphertext text,
  access_token_expires_at timestamptz,
  token_type text not null default 'Bearer',
  -- Bumped on every change of secret or status: caches and concurrent writers compare it.
  version bigint not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- ListCredentials pages newest first by (created_at, id), optionally per provider.
create index credentials_user_created_idx on credentials (user_id, created_at desc, id desc);
create index credentials_user_provider_created_idx on credentials (user_id, provider, created_at desc, id desc);

-- One row per token hand-out, written before the token leaves the service. Never holds the token.
create table access_audit (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  caller text not null,
  user_id text not null,
  credential_id uuid not null,
  credential_version bigint not null
);
create index access_audit_credential_idx on access_audit (credential_id, at desc);
