-- Webhooks: endpoint records, the durable inbox of verified events, and per-consumer delivery state.

create table webhooks (
  id uuid primary key,
  user_id text not null,
  provider text not null,
  -- The signature scheme, fixed at creation: ingress verifies with this, never with the URL's provider segment.
  scheme text not null,
  resource text not null default '',
  events text[] not null default '{}',
  credential_id uuid,
  -- Set when Latchkey registered the hook at the provider (and must deregister it).
  registrar text,
  provider_webhook_id text not null default '',
  status text not null default 'active' check (status in ('active', 'disabled')),
  secret_ciphertext text not null,
  -- During a rotation's grace period the previous secret keeps verifying.
  previous_secret_ciphertext text,
  previous_secret_expires_at timestamptz,
  -- Bumped on every secret change: the decrypted-secret cache keys on it.
  version bigint not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhooks_user_created_idx on webhooks (user_id, created_at desc, id desc);
create index webhooks_user_provider_created_idx on webhooks (user_id, provider, created_at desc, id desc);

-- Events outlive their webhook until retention prunes them, so consumers never lose an accepted event.
create table webhook_events (
  id uuid primary key,
  -- Arrival order: streams deliver oldest first.
  seq bigint generated always as identity,
  webhook_id uuid not null,
  user_id text not null,
  provider text not null,
  event_type text not null default '',
  delivery_id text not null default '',
  -- The provider's delivery id, or a hash of the body when it sends none.
  dedupe_key text not null,
  content_type text not null default '',
  payload bytea not null,
  received_at timestamptz not null default now(),
  constraint webhook_events_dedupe_key unique (webhook_id, dedupe_key)
);
create unique index webhook_events_seq_idx on webhook_events (seq);
-- ListEvents pages a webhook's events newest first.
create index webhook_events_webhook_seq_idx on webhook_events (webhook_id, seq desc);
-- Retention pruning.
create index webhook_events_received_idx on webhook_events (received_at);

create table webhook_consumers (
  name text primary key,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);

-- One row per (consumer, event) once the event was handed to the consumer: at-least-once with
-- redelivery after next_attempt_at unless acked.
create table webhook_deliveries (
  consumer text not null references webhook_consumers (name) on delete cascade,
  event_id uuid not null references webhook_events (id) on delete cascade,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  acked_at timestamptz,
  primary key (consumer, event_id)
);
-- The cascade from pruned events.
create index webhook_deliveries_event_idx on webhook_deliveries (event_id);
-- The next redelivery deadline of a consumer.
create index webhook_deliveries_pending_idx on webhook_deliveries (consumer, next_attempt_at) where acked_at is null;
