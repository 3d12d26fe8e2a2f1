-- This server's own addition (not part of upstream GoTrue): hardening found by review.

-- Row-level security on every table of the namespace, as GoTrue enables it on its older tables
-- (20240612123726_enable_rls_update_grants): without policies, roles other than the owner (the
-- role this server and GoTrue connect as) and BYPASSRLS roles see no rows, e.g. through an
-- exposed API role. This server's own tables had it off, and so had GoTrue's newer ones.
ALTER TABLE {{ index .Options "Namespace" }}.rate_limit_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE IF EXISTS {{ index .Options "Namespace" }}.oauth_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE IF EXISTS {{ index .Options "Namespace" }}.oauth_authorizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE IF EXISTS {{ index .Options "Namespace" }}.oauth_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE IF EXISTS {{ index .Options "Namespace" }}.oauth_client_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE IF EXISTS {{ index .Options "Namespace" }}.custom_oauth_providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE IF EXISTS {{ index .Options "Namespace" }}.webauthn_credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE IF EXISTS {{ index .Options "Namespace" }}.webauthn_challenges ENABLE ROW LEVEL SECURITY;

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
