-- The inbox grows fast, and stream claims plan against its statistics: with the default
-- (re-analyze after 10% of the table changed), a webhook that grew quickly still looks small and
-- the planner walks the global seq index through every other webhook's events to serve it.
-- Re-analyze after 1% (at least 1000 rows) instead; analyzing this table is cheap (a sample).
alter table webhook_events set (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 1000);
