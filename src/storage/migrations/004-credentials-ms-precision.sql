-- ListCredentials pages by (created_at, id) with a cursor that round-trips through a JS Date,
-- which has millisecond precision. With microsecond timestamps, rows created in the same
-- millisecond as a page's last row sorted after the truncated cursor and were skipped.
-- Millisecond precision makes the cursor exact.
alter table credentials alter column created_at type timestamptz(3);
alter table credentials alter column updated_at type timestamptz(3);
