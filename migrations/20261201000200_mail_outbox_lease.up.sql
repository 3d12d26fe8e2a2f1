-- This server's own addition (not part of upstream GoTrue): who holds an outbox row, and the
-- Message-ID its mail carries (docs/mail.md, "The outbox").
--   lease_token: a random value written by every claim (the insert before the first send, each
--     sweep that picks the row up again). Renewing the lease, deleting the row after a send and
--     rescheduling it after a failure all require the token the sender claimed with, so a sender
--     that outlived its lease cannot extend, delete or reschedule a row another instance took over.
--   message_id: the Message-ID header sent on every attempt, so a duplicate after a crash is
--     recognisable. Empty for rows written before this migration (the SMTP client makes one up).

ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox ADD COLUMN IF NOT EXISTS lease_token uuid;
ALTER TABLE {{ index .Options "Namespace" }}.mail_outbox
    ADD COLUMN IF NOT EXISTS message_id text NOT NULL DEFAULT '';

COMMENT ON COLUMN {{ index .Options "Namespace" }}.mail_outbox.lease_token IS 'The claim a send holds the row with; renewals, deletes and reschedules require it.';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.mail_outbox.message_id IS 'Message-ID header sent on every attempt of this mail.';
