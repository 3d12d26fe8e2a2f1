-- This server's own addition (not part of upstream GoTrue): mails accepted for background sending
-- but not yet handed to the SMTP relay. A row is written before the send and deleted after it, so
-- a relay that is down for a while, or a crash of the server, delays a mail instead of losing it.

CREATE TABLE IF NOT EXISTS {{ index .Options "Namespace" }}.mail_outbox (
    id bigserial PRIMARY KEY,
    mail_type text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    html text NOT NULL,
    request_id text NOT NULL DEFAULT '',
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS mail_outbox_next_attempt_at_idx
    ON {{ index .Options "Namespace" }}.mail_outbox (next_attempt_at);

COMMENT ON TABLE {{ index .Options "Namespace" }}.mail_outbox IS 'Mails accepted for background sending and not yet delivered; rows are deleted once sent.';
