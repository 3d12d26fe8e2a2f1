-- GoTrue (Supabase Auth) baseline schema.
--
-- Creates, on an empty database, the final schema that upstream GoTrue reaches
-- after applying all 70 of its migrations (00 .. 20260625000000), in one step.
-- The column names, types, defaults, constraints and index names follow the
-- upstream migrations so that a database created here looks fully migrated to
-- a real GoTrue binary (and vice versa), letting an operator switch between
-- GoTrue and this server.
--
-- Placeholder: {{ index .Options "Namespace" }} is replaced by the migration runner with the
-- configured namespace (default "auth"). Every object is qualified with it.
-- Runs inside a single transaction (the runner wraps it in BEGIN/COMMIT).

CREATE SCHEMA IF NOT EXISTS {{ index .Options "Namespace" }};

-- ---------------------------------------------------------------------------
-- Enum types
-- ---------------------------------------------------------------------------

CREATE TYPE {{ index .Options "Namespace" }}.aal_level AS ENUM ('aal1', 'aal2', 'aal3');
CREATE TYPE {{ index .Options "Namespace" }}.code_challenge_method AS ENUM ('s256', 'plain');
CREATE TYPE {{ index .Options "Namespace" }}.factor_status AS ENUM ('unverified', 'verified');
CREATE TYPE {{ index .Options "Namespace" }}.factor_type AS ENUM ('totp', 'webauthn', 'phone');
CREATE TYPE {{ index .Options "Namespace" }}.one_time_token_type AS ENUM (
    'confirmation_token',
    'reauthentication_token',
    'recovery_token',
    'email_change_token_new',
    'email_change_token_current',
    'phone_change_token'
);
CREATE TYPE {{ index .Options "Namespace" }}.oauth_registration_type AS ENUM ('dynamic', 'manual');
CREATE TYPE {{ index .Options "Namespace" }}.oauth_client_type AS ENUM ('public', 'confidential');
CREATE TYPE {{ index .Options "Namespace" }}.oauth_authorization_status AS ENUM ('pending', 'approved', 'denied', 'expired');
CREATE TYPE {{ index .Options "Namespace" }}.oauth_response_type AS ENUM ('code');

-- ---------------------------------------------------------------------------
-- Helper functions for PostgREST row level security (not used by the server).
-- They read the claims PostgREST puts into request.jwt.claim(s).
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION {{ index .Options "Namespace" }}.uid() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

CREATE OR REPLACE FUNCTION {{ index .Options "Namespace" }}.role() RETURNS text
    LANGUAGE sql STABLE
    AS $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

CREATE OR REPLACE FUNCTION {{ index .Options "Namespace" }}.email() RETURNS text
    LANGUAGE sql STABLE
    AS $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

CREATE OR REPLACE FUNCTION {{ index .Options "Namespace" }}.jwt() RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  select
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

COMMENT ON FUNCTION {{ index .Options "Namespace" }}.uid() IS 'Deprecated. Use {{ index .Options "Namespace" }}.jwt() -> ''sub'' instead.';
COMMENT ON FUNCTION {{ index .Options "Namespace" }}.role() IS 'Deprecated. Use {{ index .Options "Namespace" }}.jwt() -> ''role'' instead.';
COMMENT ON FUNCTION {{ index .Options "Namespace" }}.email() IS 'Deprecated. Use {{ index .Options "Namespace" }}.jwt() -> ''email'' instead.';

-- ---------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.users (
    instance_id uuid NULL,
    id uuid NOT NULL,
    aud varchar(255) NULL,
    "role" varchar(255) NULL,
    email varchar(255) NULL,
    encrypted_password varchar(255) NULL,
    email_confirmed_at timestamptz NULL,
    invited_at timestamptz NULL,
    confirmation_token varchar(255) NULL,
    confirmation_sent_at timestamptz NULL,
    recovery_token varchar(255) NULL,
    recovery_sent_at timestamptz NULL,
    email_change_token_new varchar(255) NULL,
    email_change varchar(255) NULL,
    email_change_sent_at timestamptz NULL,
    last_sign_in_at timestamptz NULL,
    raw_app_meta_data jsonb NULL,
    raw_user_meta_data jsonb NULL,
    is_super_admin boolean NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    -- phone/phone_change were varchar(15) before 20230116124310; the default
    -- expressions keep the varchar cast exactly as upstream leaves them.
    phone text NULL DEFAULT NULL::character varying,
    phone_confirmed_at timestamptz NULL,
    phone_change text NULL DEFAULT ''::character varying,
    phone_change_token varchar(255) NULL DEFAULT '',
    phone_change_sent_at timestamptz NULL,
    confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
    email_change_token_current varchar(255) NULL DEFAULT '',
    email_change_confirm_status smallint NULL DEFAULT 0,
    banned_until timestamptz NULL,
    reauthentication_token varchar(255) NULL DEFAULT '',
    reauthentication_sent_at timestamptz NULL,
    is_sso_user boolean NOT NULL DEFAULT false,
    deleted_at timestamptz NULL,
    is_anonymous boolean NOT NULL DEFAULT false,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_phone_key UNIQUE (phone),
    CONSTRAINT users_email_change_confirm_status_check
        CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2)
);

CREATE INDEX users_instance_id_idx ON {{ index .Options "Namespace" }}.users USING btree (instance_id);
CREATE INDEX users_instance_id_email_idx ON {{ index .Options "Namespace" }}.users USING btree (instance_id, lower((email)::text));
CREATE UNIQUE INDEX users_email_partial_key ON {{ index .Options "Namespace" }}.users USING btree (email) WHERE (is_sso_user = false);
CREATE UNIQUE INDEX confirmation_token_idx ON {{ index .Options "Namespace" }}.users USING btree (confirmation_token)
    WHERE ((confirmation_token)::text !~ '^[0-9 ]*$');
CREATE UNIQUE INDEX recovery_token_idx ON {{ index .Options "Namespace" }}.users USING btree (recovery_token)
    WHERE ((recovery_token)::text !~ '^[0-9 ]*$');
CREATE UNIQUE INDEX email_change_token_current_idx ON {{ index .Options "Namespace" }}.users USING btree (email_change_token_current)
    WHERE ((email_change_token_current)::text !~ '^[0-9 ]*$');
CREATE UNIQUE INDEX email_change_token_new_idx ON {{ index .Options "Namespace" }}.users USING btree (email_change_token_new)
    WHERE ((email_change_token_new)::text !~ '^[0-9 ]*$');
CREATE UNIQUE INDEX reauthentication_token_idx ON {{ index .Options "Namespace" }}.users USING btree (reauthentication_token)
    WHERE ((reauthentication_token)::text !~ '^[0-9 ]*$');
CREATE INDEX users_is_anonymous_idx ON {{ index .Options "Namespace" }}.users USING btree (is_anonymous);

COMMENT ON TABLE {{ index .Options "Namespace" }}.users IS 'Auth: Stores user login data within a secure schema.';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.users.is_sso_user IS 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
COMMENT ON INDEX {{ index .Options "Namespace" }}.users_email_partial_key IS 'Auth: A partial unique index that applies only when is_sso_user is false';

-- ---------------------------------------------------------------------------
-- instances (legacy multi-instance support, unused)
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.instances (
    id uuid NOT NULL,
    uuid uuid NULL,
    raw_base_config text NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    CONSTRAINT instances_pkey PRIMARY KEY (id)
);
COMMENT ON TABLE {{ index .Options "Namespace" }}.instances IS 'Auth: Manages users across multiple sites.';

-- ---------------------------------------------------------------------------
-- audit_log_entries
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.audit_log_entries (
    instance_id uuid NULL,
    id uuid NOT NULL,
    payload json NULL,
    created_at timestamptz NULL,
    ip_address varchar(64) NOT NULL DEFAULT '',
    CONSTRAINT audit_log_entries_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_logs_instance_id_idx ON {{ index .Options "Namespace" }}.audit_log_entries USING btree (instance_id);
COMMENT ON TABLE {{ index .Options "Namespace" }}.audit_log_entries IS 'Auth: Audit trail for user actions.';

-- ---------------------------------------------------------------------------
-- schema_migrations
-- ---------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS {{ index .Options "Namespace" }}.schema_migrations (
    "version" varchar(255) NOT NULL,
    CONSTRAINT schema_migrations_pkey PRIMARY KEY ("version")
);
COMMENT ON TABLE {{ index .Options "Namespace" }}.schema_migrations IS 'Auth: Manages updates to the auth system.';

-- ---------------------------------------------------------------------------
-- identities
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.identities (
    provider_id text NOT NULL,
    user_id uuid NOT NULL,
    identity_data jsonb NOT NULL,
    provider text NOT NULL,
    last_sign_in_at timestamptz NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    email text GENERATED ALWAYS AS (lower((identity_data ->> 'email'::text))) STORED,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    CONSTRAINT identities_pkey PRIMARY KEY (id),
    CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider),
    CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE
);
CREATE INDEX identities_user_id_idx ON {{ index .Options "Namespace" }}.identities USING btree (user_id);
CREATE INDEX identities_email_idx ON {{ index .Options "Namespace" }}.identities USING btree (email text_pattern_ops);

COMMENT ON TABLE {{ index .Options "Namespace" }}.identities IS 'Auth: Stores identities associated to a user.';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.identities.email IS 'Auth: Email is a generated column that references the optional email property in the identity_data';
COMMENT ON INDEX {{ index .Options "Namespace" }}.identities_email_idx IS 'Auth: Ensures indexed queries on the email column';

-- ---------------------------------------------------------------------------
-- oauth_clients (OAuth 2.1 server: clients registered with this server)
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.oauth_clients (
    id uuid NOT NULL,
    client_secret_hash text NULL,
    registration_type {{ index .Options "Namespace" }}.oauth_registration_type NOT NULL,
    redirect_uris text NOT NULL,
    grant_types text NOT NULL,
    client_name text NULL,
    client_uri text NULL,
    logo_uri text NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz NULL,
    client_type {{ index .Options "Namespace" }}.oauth_client_type NOT NULL DEFAULT 'confidential',
    token_endpoint_auth_method text NOT NULL,
    CONSTRAINT oauth_clients_pkey PRIMARY KEY (id),
    CONSTRAINT oauth_clients_client_name_length CHECK (char_length(client_name) <= 1024),
    CONSTRAINT oauth_clients_client_uri_length CHECK (char_length(client_uri) <= 2048),
    CONSTRAINT oauth_clients_logo_uri_length CHECK (char_length(logo_uri) <= 2048),
    CONSTRAINT oauth_clients_token_endpoint_auth_method_check
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none'))
);
CREATE INDEX oauth_clients_deleted_at_idx ON {{ index .Options "Namespace" }}.oauth_clients USING btree (deleted_at);

-- ---------------------------------------------------------------------------
-- sessions
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.sessions (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    factor_id uuid NULL,
    aal {{ index .Options "Namespace" }}.aal_level NULL,
    not_after timestamptz NULL,
    refreshed_at timestamp without time zone NULL,
    user_agent text NULL,
    ip inet NULL,
    tag text NULL,
    oauth_client_id uuid NULL,
    refresh_token_hmac_key text NULL,
    refresh_token_counter bigint NULL,
    scopes text NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE,
    CONSTRAINT sessions_oauth_client_id_fkey FOREIGN KEY (oauth_client_id)
        REFERENCES {{ index .Options "Namespace" }}.oauth_clients (id) ON DELETE CASCADE,
    CONSTRAINT sessions_scopes_length CHECK (char_length(scopes) <= 4096)
);
CREATE INDEX user_id_created_at_idx ON {{ index .Options "Namespace" }}.sessions USING btree (user_id, created_at);
CREATE INDEX sessions_user_id_idx ON {{ index .Options "Namespace" }}.sessions USING btree (user_id);
CREATE INDEX sessions_not_after_idx ON {{ index .Options "Namespace" }}.sessions USING btree (not_after DESC);
CREATE INDEX sessions_oauth_client_id_idx ON {{ index .Options "Namespace" }}.sessions USING btree (oauth_client_id);

COMMENT ON TABLE {{ index .Options "Namespace" }}.sessions IS 'Auth: Stores session data associated to a user.';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.sessions.not_after IS 'Auth: Not after is a nullable column that contains a timestamp after which the session should be regarded as expired.';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.sessions.refresh_token_hmac_key IS 'Holds a HMAC-SHA256 key used to sign refresh tokens for this session.';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.sessions.refresh_token_counter IS 'Holds the ID (counter) of the last issued refresh token.';

-- ---------------------------------------------------------------------------
-- refresh_tokens
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.refresh_tokens (
    instance_id uuid NULL,
    id bigserial NOT NULL,
    "token" varchar(255) NULL,
    user_id varchar(255) NULL,
    revoked boolean NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    parent varchar(255) NULL,
    session_id uuid NULL,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_tokens_token_unique UNIQUE ("token"),
    CONSTRAINT refresh_tokens_session_id_fkey FOREIGN KEY (session_id)
        REFERENCES {{ index .Options "Namespace" }}.sessions (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_instance_id_idx ON {{ index .Options "Namespace" }}.refresh_tokens USING btree (instance_id);
CREATE INDEX refresh_tokens_instance_id_user_id_idx ON {{ index .Options "Namespace" }}.refresh_tokens USING btree (instance_id, user_id);
CREATE INDEX refresh_tokens_parent_idx ON {{ index .Options "Namespace" }}.refresh_tokens USING btree (parent);
CREATE INDEX refresh_tokens_session_id_revoked_idx ON {{ index .Options "Namespace" }}.refresh_tokens USING btree (session_id, revoked);
CREATE INDEX refresh_tokens_updated_at_idx ON {{ index .Options "Namespace" }}.refresh_tokens USING btree (updated_at DESC);

COMMENT ON TABLE {{ index .Options "Namespace" }}.refresh_tokens IS 'Auth: Store of tokens used to refresh JWT tokens once they expire.';

-- ---------------------------------------------------------------------------
-- MFA: mfa_factors, mfa_challenges, mfa_amr_claims
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.mfa_factors (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    friendly_name text NULL,
    factor_type {{ index .Options "Namespace" }}.factor_type NOT NULL,
    status {{ index .Options "Namespace" }}.factor_status NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    secret text NULL,
    phone text NULL DEFAULT NULL,
    last_challenged_at timestamptz NULL DEFAULT NULL,
    web_authn_credential jsonb NULL,
    web_authn_aaguid uuid NULL,
    last_webauthn_challenge_data jsonb NULL,
    CONSTRAINT mfa_factors_pkey PRIMARY KEY (id),
    CONSTRAINT mfa_factors_last_challenged_at_key UNIQUE (last_challenged_at),
    CONSTRAINT mfa_factors_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX mfa_factors_user_friendly_name_unique ON {{ index .Options "Namespace" }}.mfa_factors USING btree (friendly_name, user_id)
    WHERE (TRIM(BOTH FROM friendly_name) <> ''::text);
CREATE INDEX factor_id_created_at_idx ON {{ index .Options "Namespace" }}.mfa_factors USING btree (user_id, created_at);
CREATE INDEX mfa_factors_user_id_idx ON {{ index .Options "Namespace" }}.mfa_factors USING btree (user_id);
CREATE UNIQUE INDEX unique_phone_factor_per_user ON {{ index .Options "Namespace" }}.mfa_factors USING btree (user_id, phone);

COMMENT ON TABLE {{ index .Options "Namespace" }}.mfa_factors IS 'auth: stores metadata about factors';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.mfa_factors.last_webauthn_challenge_data IS 'Stores the latest WebAuthn challenge data including attestation/assertion for customer verification';

CREATE TABLE {{ index .Options "Namespace" }}.mfa_challenges (
    id uuid NOT NULL,
    factor_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    verified_at timestamptz NULL,
    ip_address inet NOT NULL,
    otp_code text NULL,
    web_authn_session_data jsonb NULL,
    CONSTRAINT mfa_challenges_pkey PRIMARY KEY (id),
    CONSTRAINT mfa_challenges_auth_factor_id_fkey FOREIGN KEY (factor_id)
        REFERENCES {{ index .Options "Namespace" }}.mfa_factors (id) ON DELETE CASCADE
);
CREATE INDEX mfa_challenge_created_at_idx ON {{ index .Options "Namespace" }}.mfa_challenges USING btree (created_at DESC);
COMMENT ON TABLE {{ index .Options "Namespace" }}.mfa_challenges IS 'auth: stores metadata about challenge requests made';

CREATE TABLE {{ index .Options "Namespace" }}.mfa_amr_claims (
    session_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    authentication_method text NOT NULL,
    id uuid NOT NULL,
    CONSTRAINT amr_id_pk PRIMARY KEY (id),
    CONSTRAINT mfa_amr_claims_session_id_authentication_method_pkey UNIQUE (session_id, authentication_method),
    CONSTRAINT mfa_amr_claims_session_id_fkey FOREIGN KEY (session_id)
        REFERENCES {{ index .Options "Namespace" }}.sessions (id) ON DELETE CASCADE
);
COMMENT ON TABLE {{ index .Options "Namespace" }}.mfa_amr_claims IS 'auth: stores authenticator method reference claims for multi factor authentication';

-- ---------------------------------------------------------------------------
-- SSO / SAML
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.sso_providers (
    id uuid NOT NULL,
    resource_id text NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    disabled boolean NULL,
    CONSTRAINT sso_providers_pkey PRIMARY KEY (id),
    -- "= null" (always unknown, so never violated) is upstream's own spelling.
    CONSTRAINT "resource_id not empty" CHECK (resource_id = null OR char_length(resource_id) > 0)
);
CREATE UNIQUE INDEX sso_providers_resource_id_idx ON {{ index .Options "Namespace" }}.sso_providers USING btree (lower(resource_id));
CREATE INDEX sso_providers_resource_id_pattern_idx ON {{ index .Options "Namespace" }}.sso_providers USING btree (resource_id text_pattern_ops);

COMMENT ON TABLE {{ index .Options "Namespace" }}.sso_providers IS 'Auth: Manages SSO identity provider information; see saml_providers for SAML.';
COMMENT ON COLUMN {{ index .Options "Namespace" }}.sso_providers.resource_id IS 'Auth: Uniquely identifies a SSO provider according to a user-chosen resource ID (case insensitive), useful in infrastructure as code.';

CREATE TABLE {{ index .Options "Namespace" }}.sso_domains (
    id uuid NOT NULL,
    sso_provider_id uuid NOT NULL,
    domain text NOT NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    CONSTRAINT sso_domains_pkey PRIMARY KEY (id),
    CONSTRAINT sso_domains_sso_provider_id_fkey FOREIGN KEY (sso_provider_id)
        REFERENCES {{ index .Options "Namespace" }}.sso_providers (id) ON DELETE CASCADE,
    CONSTRAINT "domain not empty" CHECK (char_length(domain) > 0)
);
CREATE INDEX sso_domains_sso_provider_id_idx ON {{ index .Options "Namespace" }}.sso_domains USING btree (sso_provider_id);
CREATE UNIQUE INDEX sso_domains_domain_idx ON {{ index .Options "Namespace" }}.sso_domains USING btree (lower(domain));
COMMENT ON TABLE {{ index .Options "Namespace" }}.sso_domains IS 'Auth: Manages SSO email address domain mapping to an SSO Identity Provider.';

CREATE TABLE {{ index .Options "Namespace" }}.saml_providers (
    id uuid NOT NULL,
    sso_provider_id uuid NOT NULL,
    entity_id text NOT NULL,
    metadata_xml text NOT NULL,
    metadata_url text NULL,
    attribute_mapping jsonb NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    name_id_format text NULL,
    CONSTRAINT saml_providers_pkey PRIMARY KEY (id),
    CONSTRAINT saml_providers_entity_id_key UNIQUE (entity_id),
    CONSTRAINT saml_providers_sso_provider_id_fkey FOREIGN KEY (sso_provider_id)
        REFERENCES {{ index .Options "Namespace" }}.sso_providers (id) ON DELETE CASCADE,
    CONSTRAINT "metadata_xml not empty" CHECK (char_length(metadata_xml) > 0),
    CONSTRAINT "metadata_url not empty" CHECK (metadata_url = null OR char_length(metadata_url) > 0),
    CONSTRAINT "entity_id not empty" CHECK (char_length(entity_id) > 0)
);
CREATE INDEX saml_providers_sso_provider_id_idx ON {{ index .Options "Namespace" }}.saml_providers USING btree (sso_provider_id);
COMMENT ON TABLE {{ index .Options "Namespace" }}.saml_providers IS 'Auth: Manages SAML Identity Provider connections.';

-- ---------------------------------------------------------------------------
-- flow_state (PKCE and all OAuth/SSO login flows)
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.flow_state (
    id uuid NOT NULL,
    user_id uuid NULL,
    auth_code text NULL,
    code_challenge_method {{ index .Options "Namespace" }}.code_challenge_method NULL,
    code_challenge text NULL,
    provider_type text NOT NULL,
    provider_access_token text NULL,
    provider_refresh_token text NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    authentication_method text NOT NULL,
    auth_code_issued_at timestamptz NULL,
    invite_token text NULL,
    referrer text NULL,
    oauth_client_state_id uuid NULL,
    linking_target_id uuid NULL,
    email_optional boolean NOT NULL DEFAULT false,
    CONSTRAINT flow_state_pkey PRIMARY KEY (id)
);
CREATE INDEX idx_auth_code ON {{ index .Options "Namespace" }}.flow_state USING btree (auth_code);
CREATE INDEX idx_user_id_auth_method ON {{ index .Options "Namespace" }}.flow_state USING btree (user_id, authentication_method);
CREATE INDEX flow_state_created_at_idx ON {{ index .Options "Namespace" }}.flow_state USING btree (created_at DESC);
COMMENT ON TABLE {{ index .Options "Namespace" }}.flow_state IS 'Stores metadata for all OAuth/SSO login flows';

CREATE TABLE {{ index .Options "Namespace" }}.saml_relay_states (
    id uuid NOT NULL,
    sso_provider_id uuid NOT NULL,
    request_id text NOT NULL,
    for_email text NULL,
    redirect_to text NULL,
    created_at timestamptz NULL,
    updated_at timestamptz NULL,
    flow_state_id uuid NULL DEFAULT NULL,
    CONSTRAINT saml_relay_states_pkey PRIMARY KEY (id),
    CONSTRAINT saml_relay_states_sso_provider_id_fkey FOREIGN KEY (sso_provider_id)
        REFERENCES {{ index .Options "Namespace" }}.sso_providers (id) ON DELETE CASCADE,
    CONSTRAINT saml_relay_states_flow_state_id_fkey FOREIGN KEY (flow_state_id)
        REFERENCES {{ index .Options "Namespace" }}.flow_state (id) ON DELETE CASCADE,
    CONSTRAINT "request_id not empty" CHECK (char_length(request_id) > 0)
);
CREATE INDEX saml_relay_states_sso_provider_id_idx ON {{ index .Options "Namespace" }}.saml_relay_states USING btree (sso_provider_id);
CREATE INDEX saml_relay_states_for_email_idx ON {{ index .Options "Namespace" }}.saml_relay_states USING btree (for_email);
CREATE INDEX saml_relay_states_created_at_idx ON {{ index .Options "Namespace" }}.saml_relay_states USING btree (created_at DESC);
COMMENT ON TABLE {{ index .Options "Namespace" }}.saml_relay_states IS 'Auth: Contains SAML Relay State information for each Service Provider initiated login.';

-- ---------------------------------------------------------------------------
-- one_time_tokens
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.one_time_tokens (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    token_type {{ index .Options "Namespace" }}.one_time_token_type NOT NULL,
    token_hash text NOT NULL,
    relates_to text NOT NULL,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT one_time_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT one_time_tokens_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE,
    CONSTRAINT one_time_tokens_token_hash_check CHECK (char_length(token_hash) > 0)
);
CREATE INDEX one_time_tokens_token_hash_hash_idx ON {{ index .Options "Namespace" }}.one_time_tokens USING hash (token_hash);
CREATE INDEX one_time_tokens_relates_to_hash_idx ON {{ index .Options "Namespace" }}.one_time_tokens USING hash (relates_to);
CREATE UNIQUE INDEX one_time_tokens_user_id_token_type_key ON {{ index .Options "Namespace" }}.one_time_tokens USING btree (user_id, token_type);

-- ---------------------------------------------------------------------------
-- OAuth 2.1 server: authorizations and consents
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.oauth_authorizations (
    id uuid NOT NULL,
    authorization_id text NOT NULL,
    client_id uuid NOT NULL,
    user_id uuid NULL,
    redirect_uri text NOT NULL,
    scope text NOT NULL,
    state text NULL,
    resource text NULL,
    code_challenge text NULL,
    code_challenge_method {{ index .Options "Namespace" }}.code_challenge_method NULL,
    response_type {{ index .Options "Namespace" }}.oauth_response_type NOT NULL DEFAULT 'code',
    status {{ index .Options "Namespace" }}.oauth_authorization_status NOT NULL DEFAULT 'pending',
    authorization_code text NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL DEFAULT (now() + interval '3 minutes'),
    approved_at timestamptz NULL,
    nonce text NULL,
    CONSTRAINT oauth_authorizations_pkey PRIMARY KEY (id),
    CONSTRAINT oauth_authorizations_authorization_id_key UNIQUE (authorization_id),
    CONSTRAINT oauth_authorizations_authorization_code_key UNIQUE (authorization_code),
    CONSTRAINT oauth_authorizations_client_id_fkey FOREIGN KEY (client_id)
        REFERENCES {{ index .Options "Namespace" }}.oauth_clients (id) ON DELETE CASCADE,
    CONSTRAINT oauth_authorizations_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE,
    CONSTRAINT oauth_authorizations_redirect_uri_length CHECK (char_length(redirect_uri) <= 2048),
    CONSTRAINT oauth_authorizations_scope_length CHECK (char_length(scope) <= 4096),
    CONSTRAINT oauth_authorizations_state_length CHECK (char_length(state) <= 4096),
    CONSTRAINT oauth_authorizations_resource_length CHECK (char_length(resource) <= 2048),
    CONSTRAINT oauth_authorizations_code_challenge_length CHECK (char_length(code_challenge) <= 128),
    CONSTRAINT oauth_authorizations_authorization_code_length CHECK (char_length(authorization_code) <= 255),
    CONSTRAINT oauth_authorizations_expires_at_future CHECK (expires_at > created_at),
    CONSTRAINT oauth_authorizations_nonce_length CHECK (char_length(nonce) <= 255)
);
CREATE INDEX oauth_auth_pending_exp_idx ON {{ index .Options "Namespace" }}.oauth_authorizations USING btree (expires_at)
    WHERE (status = 'pending');

CREATE TABLE {{ index .Options "Namespace" }}.oauth_consents (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    client_id uuid NOT NULL,
    scopes text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz NULL,
    CONSTRAINT oauth_consents_pkey PRIMARY KEY (id),
    CONSTRAINT oauth_consents_user_client_unique UNIQUE (user_id, client_id),
    CONSTRAINT oauth_consents_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE,
    CONSTRAINT oauth_consents_client_id_fkey FOREIGN KEY (client_id)
        REFERENCES {{ index .Options "Namespace" }}.oauth_clients (id) ON DELETE CASCADE,
    CONSTRAINT oauth_consents_scopes_length CHECK (char_length(scopes) <= 2048),
    CONSTRAINT oauth_consents_scopes_not_empty CHECK (char_length(trim(scopes)) > 0),
    CONSTRAINT oauth_consents_revoked_after_granted CHECK (revoked_at IS NULL OR revoked_at >= granted_at)
);
CREATE INDEX oauth_consents_active_user_client_idx ON {{ index .Options "Namespace" }}.oauth_consents USING btree (user_id, client_id)
    WHERE (revoked_at IS NULL);
CREATE INDEX oauth_consents_user_order_idx ON {{ index .Options "Namespace" }}.oauth_consents USING btree (user_id, granted_at DESC);
CREATE INDEX oauth_consents_active_client_idx ON {{ index .Options "Namespace" }}.oauth_consents USING btree (client_id)
    WHERE (revoked_at IS NULL);

-- ---------------------------------------------------------------------------
-- OAuth client side: states for third-party provider flows, custom providers
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.oauth_client_states (
    id uuid NOT NULL,
    provider_type text NOT NULL,
    code_verifier text NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT oauth_client_states_pkey PRIMARY KEY (id)
);
CREATE INDEX idx_oauth_client_states_created_at ON {{ index .Options "Namespace" }}.oauth_client_states USING btree (created_at);
COMMENT ON TABLE {{ index .Options "Namespace" }}.oauth_client_states IS 'Stores OAuth states for third-party provider authentication flows where Supabase acts as the OAuth client.';

CREATE TABLE {{ index .Options "Namespace" }}.custom_oauth_providers (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    provider_type text NOT NULL,
    identifier text NOT NULL,
    name text NOT NULL,
    client_id text NOT NULL,
    client_secret text NOT NULL,
    acceptable_client_ids text[] NOT NULL DEFAULT '{}',
    scopes text[] NOT NULL DEFAULT '{}',
    pkce_enabled boolean NOT NULL DEFAULT true,
    attribute_mapping jsonb NOT NULL DEFAULT '{}',
    authorization_params jsonb NOT NULL DEFAULT '{}',
    enabled boolean NOT NULL DEFAULT true,
    email_optional boolean NOT NULL DEFAULT false,
    issuer text NULL,
    discovery_url text NULL,
    skip_nonce_check boolean NOT NULL DEFAULT false,
    cached_discovery jsonb NULL,
    discovery_cached_at timestamptz NULL,
    authorization_url text NULL,
    token_url text NULL,
    userinfo_url text NULL,
    jwks_uri text NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    custom_claims_allowlist text[] NOT NULL DEFAULT '{}',
    CONSTRAINT custom_oauth_providers_pkey PRIMARY KEY (id),
    CONSTRAINT custom_oauth_providers_identifier_key UNIQUE (identifier),
    CONSTRAINT custom_oauth_providers_provider_type_check CHECK (provider_type IN ('oauth2', 'oidc')),
    CONSTRAINT custom_oauth_providers_oidc_requires_issuer
        CHECK (provider_type <> 'oidc' OR issuer IS NOT NULL),
    CONSTRAINT custom_oauth_providers_oidc_issuer_https
        CHECK (provider_type <> 'oidc' OR issuer IS NULL OR issuer LIKE 'https://%'),
    CONSTRAINT custom_oauth_providers_oidc_discovery_url_https
        CHECK (provider_type <> 'oidc' OR discovery_url IS NULL OR discovery_url LIKE 'https://%'),
    CONSTRAINT custom_oauth_providers_oauth2_requires_endpoints
        CHECK (provider_type <> 'oauth2' OR (authorization_url IS NOT NULL AND token_url IS NOT NULL AND userinfo_url IS NOT NULL)),
    CONSTRAINT custom_oauth_providers_authorization_url_https
        CHECK (authorization_url IS NULL OR authorization_url LIKE 'https://%'),
    CONSTRAINT custom_oauth_providers_token_url_https
        CHECK (token_url IS NULL OR token_url LIKE 'https://%'),
    CONSTRAINT custom_oauth_providers_userinfo_url_https
        CHECK (userinfo_url IS NULL OR userinfo_url LIKE 'https://%'),
    CONSTRAINT custom_oauth_providers_jwks_uri_https
        CHECK (jwks_uri IS NULL OR jwks_uri LIKE 'https://%'),
    CONSTRAINT custom_oauth_providers_identifier_format
        CHECK (identifier ~ '^[a-z0-9][a-z0-9:-]{0,48}[a-z0-9]$'),
    CONSTRAINT custom_oauth_providers_name_length
        CHECK (char_length(name) >= 1 AND char_length(name) <= 100),
    CONSTRAINT custom_oauth_providers_issuer_length
        CHECK (issuer IS NULL OR (char_length(issuer) >= 1 AND char_length(issuer) <= 2048)),
    CONSTRAINT custom_oauth_providers_discovery_url_length
        CHECK (discovery_url IS NULL OR char_length(discovery_url) <= 2048),
    CONSTRAINT custom_oauth_providers_authorization_url_length
        CHECK (authorization_url IS NULL OR char_length(authorization_url) <= 2048),
    CONSTRAINT custom_oauth_providers_token_url_length
        CHECK (token_url IS NULL OR char_length(token_url) <= 2048),
    CONSTRAINT custom_oauth_providers_userinfo_url_length
        CHECK (userinfo_url IS NULL OR char_length(userinfo_url) <= 2048),
    CONSTRAINT custom_oauth_providers_jwks_uri_length
        CHECK (jwks_uri IS NULL OR char_length(jwks_uri) <= 2048),
    CONSTRAINT custom_oauth_providers_client_id_length
        CHECK (char_length(client_id) >= 1 AND char_length(client_id) <= 512)
);
CREATE INDEX custom_oauth_providers_identifier_idx ON {{ index .Options "Namespace" }}.custom_oauth_providers USING btree (identifier);
CREATE INDEX custom_oauth_providers_provider_type_idx ON {{ index .Options "Namespace" }}.custom_oauth_providers USING btree (provider_type);
CREATE INDEX custom_oauth_providers_enabled_idx ON {{ index .Options "Namespace" }}.custom_oauth_providers USING btree (enabled);
CREATE INDEX custom_oauth_providers_created_at_idx ON {{ index .Options "Namespace" }}.custom_oauth_providers USING btree (created_at);

-- ---------------------------------------------------------------------------
-- Passkeys: webauthn_credentials, webauthn_challenges
-- ---------------------------------------------------------------------------

CREATE TABLE {{ index .Options "Namespace" }}.webauthn_credentials (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    credential_id bytea NOT NULL,
    public_key bytea NOT NULL,
    attestation_type text NOT NULL DEFAULT '',
    aaguid uuid NULL,
    sign_count bigint NOT NULL DEFAULT 0,
    transports jsonb NOT NULL DEFAULT '[]'::jsonb,
    backup_eligible boolean NOT NULL DEFAULT false,
    backed_up boolean NOT NULL DEFAULT false,
    friendly_name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NULL,
    CONSTRAINT webauthn_credentials_pkey PRIMARY KEY (id),
    CONSTRAINT webauthn_credentials_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX webauthn_credentials_credential_id_key ON {{ index .Options "Namespace" }}.webauthn_credentials USING btree (credential_id);
CREATE INDEX webauthn_credentials_user_id_idx ON {{ index .Options "Namespace" }}.webauthn_credentials USING btree (user_id);

CREATE TABLE {{ index .Options "Namespace" }}.webauthn_challenges (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NULL,
    challenge_type text NOT NULL,
    session_data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT webauthn_challenges_pkey PRIMARY KEY (id),
    CONSTRAINT webauthn_challenges_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES {{ index .Options "Namespace" }}.users (id) ON DELETE CASCADE,
    CONSTRAINT webauthn_challenges_challenge_type_check
        CHECK (challenge_type IN ('signup', 'registration', 'authentication'))
);
CREATE INDEX webauthn_challenges_user_id_idx ON {{ index .Options "Namespace" }}.webauthn_challenges USING btree (user_id);
CREATE INDEX webauthn_challenges_expires_at_idx ON {{ index .Options "Namespace" }}.webauthn_challenges USING btree (expires_at);

-- ---------------------------------------------------------------------------
-- Row level security on every table, as upstream (no policies: the owning role bypasses it).
ALTER TABLE {{ index .Options "Namespace" }}.schema_migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.instances ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.audit_log_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.saml_relay_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.mfa_factors ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.sso_providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.sso_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.mfa_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.mfa_amr_claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.saml_providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.flow_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{ index .Options "Namespace" }}.one_time_tokens ENABLE ROW LEVEL SECURITY;

-- The read grant to "postgres" (upstream 20240612123726), only where that role
-- exists, so installs without it still migrate.
-- ---------------------------------------------------------------------------

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'postgres') THEN

        GRANT SELECT ON {{ index .Options "Namespace" }}.schema_migrations TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.instances TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.users TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.audit_log_entries TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.saml_relay_states TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.refresh_tokens TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.mfa_factors TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.sessions TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.sso_providers TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.sso_domains TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.mfa_challenges TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.mfa_amr_claims TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.saml_providers TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.flow_state TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.identities TO postgres WITH GRANT OPTION;
        GRANT SELECT ON {{ index .Options "Namespace" }}.one_time_tokens TO postgres WITH GRANT OPTION;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Record every upstream GoTrue migration as applied, so real GoTrue sees a
-- fully migrated database. 20260625000000 (the last upstream version, equal
-- to this file's version) is recorded by our runner itself.
-- ---------------------------------------------------------------------------

INSERT INTO {{ index .Options "Namespace" }}.schema_migrations ("version") VALUES
    ('00'),
    ('20210710035447'),
    ('20210722035447'),
    ('20210730183235'),
    ('20210909172000'),
    ('20210927181326'),
    ('20211122151130'),
    ('20211124214934'),
    ('20211202183645'),
    ('20220114185221'),
    ('20220114185340'),
    ('20220224000811'),
    ('20220323170000'),
    ('20220429102000'),
    ('20220531120530'),
    ('20220614074223'),
    ('20220811173540'),
    ('20221003041349'),
    ('20221003041400'),
    ('20221011041400'),
    ('20221020193600'),
    ('20221021073300'),
    ('20221021082433'),
    ('20221027105023'),
    ('20221114143122'),
    ('20221114143410'),
    ('20221125140132'),
    ('20221208132122'),
    ('20221215195500'),
    ('20221215195800'),
    ('20221215195900'),
    ('20230116124310'),
    ('20230116124412'),
    ('20230131181311'),
    ('20230322519590'),
    ('20230402418590'),
    ('20230411005111'),
    ('20230508135423'),
    ('20230523124323'),
    ('20230818113222'),
    ('20230914180801'),
    ('20231027141322'),
    ('20231114161723'),
    ('20231117164230'),
    ('20240115144230'),
    ('20240214120130'),
    ('20240306115329'),
    ('20240314092811'),
    ('20240427152123'),
    ('20240612123726'),
    ('20240729123726'),
    ('20240802193726'),
    ('20240806073726'),
    ('20241009103726'),
    ('20250717082212'),
    ('20250731150234'),
    ('20250804100000'),
    ('20250901200500'),
    ('20250903112500'),
    ('20250904133000'),
    ('20250925093508'),
    ('20251007112900'),
    ('20251104100000'),
    ('20251111201300'),
    ('20251201000000'),
    ('20260115000000'),
    ('20260121000000'),
    ('20260219120000'),
    ('20260302000000')
ON CONFLICT DO NOTHING;
