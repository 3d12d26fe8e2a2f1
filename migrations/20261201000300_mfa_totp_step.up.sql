-- This server's own addition (not part of upstream GoTrue): the TOTP time step a factor last
-- accepted, so a code that was accepted once is refused afterwards, also with a new challenge
-- (RFC 6238 §5.2; upstream only refuses a second verification of the same challenge). NULL: no
-- code accepted yet, or a factor verified by upstream GoTrue.
ALTER TABLE {{ index .Options "Namespace" }}.mfa_factors ADD COLUMN IF NOT EXISTS last_totp_step bigint;

COMMENT ON COLUMN {{ index .Options "Namespace" }}.mfa_factors.last_totp_step IS 'TOTP time step of the last accepted code; older or equal steps are refused.';
