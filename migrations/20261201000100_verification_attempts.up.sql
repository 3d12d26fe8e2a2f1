-- This server's own addition (not part of upstream GoTrue): wrong one-time codes per user, counted
-- in a fixed window, so that a 6-digit code cannot be found by trying the whole space. After too
-- many failures in a window the user's codes are cleared and further codes are refused until the
-- window ends (internal/api/code_attempts.cpp). A successful verification deletes the row.

CREATE TABLE IF NOT EXISTS {{ index .Options "Namespace" }}.verification_attempts (
    user_id uuid PRIMARY KEY
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE,
    failures integer NOT NULL DEFAULT 0,
    window_started_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE {{ index .Options "Namespace" }}.verification_attempts ENABLE ROW LEVEL SECURITY;

COMMENT ON TABLE {{ index .Options "Namespace" }}.verification_attempts IS 'Wrong one-time codes per user in the current window, to bound guessing.';
