-- A refresh request sent to the provider whose outcome nobody has recorded yet. Set (by the lease
-- owner) just before the refresh token goes out, cleared when the outcome is written. A replica
-- that takes over a lapsed lease and finds it set must not send the same, possibly spent,
-- rotating refresh token again: it treats the attempt as in doubt and backs off.
alter table credential_refresh_leases add column attempt_started_at timestamptz;
