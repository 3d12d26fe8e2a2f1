-- This server's own addition (not part of upstream GoTrue): hardening found by review.

-- When a rate-limit bucket is full again, computed on every take. A bucket past it is the same
-- as no row, so a periodic sweep deletes such rows and the table holds only clients seen
-- recently instead of one row per distinct client key ever seen. Rows from before this column
-- get a day, enough for usual limits to refill (one forgotten early merely starts full again).
-- No index: the sweep runs once a minute at most and off the request path, and an index would
-- make every take a non-HOT update.
ALTER TABLE {{ index .Options "Namespace" }}.rate_limit_buckets ADD COLUMN IF NOT EXISTS full_at timestamptz;
UPDATE {{ index .Options "Namespace" }}.rate_limit_buckets SET full_at = updated_at + interval '1 day' WHERE full_at IS NULL;
ALTER TABLE {{ index .Options "Namespace" }}.rate_limit_buckets ALTER COLUMN full_at SET NOT NULL;

COMMENT ON COLUMN {{ index .Options "Namespace" }}.rate_limit_buckets.full_at IS 'When the bucket has refilled completely; rows past it are deleted.';
