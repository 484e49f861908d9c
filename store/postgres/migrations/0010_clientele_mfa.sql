-- clientele: MFA challenges (auth.MFAStore), which Medusa keeps in its
-- cache: one row per login challenge, shared by every instance, deleted
-- with its auth identity; expired rows are deleted by later inserts
-- through the expires_at index. Medusa's auth_mfa_factor and
-- auth_mfa_recovery_code (0003) are used as they are.
CREATE TABLE IF NOT EXISTS clientele_mfa_challenge (
    id text NOT NULL,
    auth_identity_id text NOT NULL,
    auth_provider text,
    methods text[] NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    completed_at timestamp with time zone,
    metadata jsonb,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT clientele_mfa_challenge_pkey PRIMARY KEY (id),
    CONSTRAINT clientele_mfa_challenge_auth_identity_id_foreign FOREIGN KEY (auth_identity_id)
        REFERENCES auth_identity (id) ON UPDATE CASCADE ON DELETE CASCADE
);

CREATE INDEX IF NOT EXISTS "IDX_clientele_mfa_challenge_expires_at" ON clientele_mfa_challenge USING btree (expires_at);
CREATE INDEX IF NOT EXISTS "IDX_clientele_mfa_challenge_auth_identity_id" ON clientele_mfa_challenge USING btree (auth_identity_id);

-- The MFA completion of a rotating refresh token's login, carried into
-- the tokens it is rotated for.
ALTER TABLE clientele_refresh_token ADD COLUMN IF NOT EXISTS mfa_completed_at timestamp with time zone;
