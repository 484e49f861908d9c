-- clientele: token revocation (auth.RevocationStore) and rotating refresh
-- tokens (auth.RefreshTokenStore). Medusa's tables are not touched.

-- One row per auth identity whose tokens were revoked: tokens issued before
-- valid_after are refused. No foreign key: the row outlives a deleted
-- identity, so that identity's tokens stay refused.
CREATE TABLE IF NOT EXISTS clientele_token_revocation (
    auth_identity_id text NOT NULL,
    valid_after timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT clientele_token_revocation_pkey PRIMARY KEY (auth_identity_id)
);

-- Opaque refresh tokens, stored as the hex SHA-256 of the token; the tokens
-- rotated from one login share a family_id.
CREATE TABLE IF NOT EXISTS clientele_refresh_token (
    id text NOT NULL,
    family_id text NOT NULL,
    auth_identity_id text NOT NULL,
    actor_type text NOT NULL,
    auth_provider text NOT NULL,
    token_hash text NOT NULL,
    login_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT clientele_refresh_token_pkey PRIMARY KEY (id),
    CONSTRAINT clientele_refresh_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX IF NOT EXISTS "IDX_clientele_refresh_token_family_id" ON clientele_refresh_token USING btree (family_id);
CREATE INDEX IF NOT EXISTS "IDX_clientele_refresh_token_auth_identity_id" ON clientele_refresh_token USING btree (auth_identity_id);
CREATE INDEX IF NOT EXISTS "IDX_clientele_refresh_token_expires_at" ON clientele_refresh_token USING btree (expires_at);
