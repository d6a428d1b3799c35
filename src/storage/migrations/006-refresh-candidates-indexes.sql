-- The background refresher asks every 30 s, on every replica, which refreshable credentials are
-- due: tokens expiring soon, or credentials not refreshed for idle_refresh_hours. These indexes
-- let each branch of that query (oauth-refresh-repo.ts) read only its candidates instead of
-- scanning credentials. The predicate must match the query's literally for the planner to use them.
create index credentials_refreshable_expiry_idx on credentials (access_token_expires_at)
  where kind = 'oauth2' and status = 'active' and refresh_token_ciphertext is not null;
-- Never refreshed: idle since creation.
create index credentials_refreshable_created_idx on credentials (created_at)
  where kind = 'oauth2' and status = 'active' and refresh_token_ciphertext is not null;
-- Refreshed before: idle since the last refresh.
create index credential_refresh_leases_last_refresh_idx on credential_refresh_leases (last_refresh_at);
