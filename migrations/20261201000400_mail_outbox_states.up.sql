-- This server's own addition (not part of upstream GoTrue): outbox rows that an operator can see
-- (docs/mail.md, "The outbox").
--   state: queued (waiting for its next attempt) -> sending (claimed by an instance: queued on its
--     pool or talking to the relay) -> sent | failed (the relay refused it permanently) | dead
--     (GOTRUE_MAILER_OUTBOX_MAX_ATTEMPTS or _MAX_AGE reached). Rows written by earlier versions
--     become queued and are delivered as before.
--   intent: what the mail is about (kind, recipient, template data, the user), as JSON, written in
--     the request's own transaction; rendered only when it is delivered. NULL for rows written by
--     earlier versions (they carry the rendered subject and html) and once the mail was sent.
--   sent_at, updated_at: when the relay accepted it; when the state last changed. Sent, failed
--     and dead rows are deleted GOTRUE_MAILER_OUTBOX_RETENTION after updated_at.
-- Finished rows get next_attempt_at = 'infinity', so a sweeper of an earlier version, which knows
-- no state, never picks them up.

ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox
    ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'dead'));
ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox ADD COLUMN IF NOT EXISTS intent jsonb;
ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox ADD COLUMN IF NOT EXISTS sent_at timestamptz;
ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox
    ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox ALTER COLUMN subject SET DEFAULT '';
ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox ALTER COLUMN html SET DEFAULT '';

CREATE INDEX IF NOT EXISTS mail_outbox_state_idx
    ON {{ index .Options "Namespace" }}.mail_outbox (state, updated_at);

COMMENT ON COLUMN {{ index .Options "Namespace" }}.mail_outbox.state IS 'queued, sending, sent, failed (refused permanently) or dead (given up after retries).';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.mail_outbox.intent IS 'The unrendered mail (kind, input, user) as JSON; cleared once sent.';
