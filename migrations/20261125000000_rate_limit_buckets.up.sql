-- This server's own addition (not part of upstream GoTrue): shared token
-- buckets for rate limits, so that several server instances behind one
-- database enforce a single limit instead of one limit each.

CREATE TABLE IF NOT EXISTS {{ index .Options "Namespace" }}.rate_limit_buckets (
    key text PRIMARY KEY,
    tokens double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE {{ index .Options "Namespace" }}.rate_limit_buckets IS 'Shared token buckets for rate limits, so several server instances enforce one limit.';
