-- Medusa 2.21's auth module schema: the tables auth_identity,
-- provider_identity and auth_password_reset_token, which clientele uses,
-- and auth_mfa_factor, auth_mfa_recovery_code and auth_verification, which
-- it does not use yet, with their primary keys, indexes and foreign keys,
-- as Medusa's own migrations leave them. Every statement is a no-op on a
-- database that Medusa has already migrated, so clientele and Medusa can
-- share one database.

CREATE TABLE IF NOT EXISTS auth_identity (
    id text NOT NULL,
    app_metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT auth_identity_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS auth_mfa_factor (
    id text NOT NULL,
    auth_identity_id text NOT NULL,
    provider text NOT NULL,
    status text NOT NULL,
    provider_metadata jsonb,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT auth_mfa_factor_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS auth_mfa_recovery_code (
    id text NOT NULL,
    auth_identity_id text NOT NULL,
    code_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT auth_mfa_recovery_code_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS auth_password_reset_token (
    id text NOT NULL,
    auth_identity_id text NOT NULL,
    provider_identity_id text NOT NULL,
    entity_id text NOT NULL,
    token_hash text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT auth_password_reset_token_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS auth_verification (
    id text NOT NULL,
    auth_identity_id text NOT NULL,
    entity_id text NOT NULL,
    entity_type text NOT NULL,
    code_provider text NOT NULL,
    verified_at timestamp with time zone,
    requested_at timestamp with time zone NOT NULL,
    provider_metadata jsonb,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT auth_verification_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS provider_identity (
    id text NOT NULL,
    entity_id text NOT NULL,
    provider text NOT NULL,
    auth_identity_id text NOT NULL,
    user_metadata jsonb,
    provider_metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT provider_identity_pkey PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS "IDX_auth_identity_deleted_at" ON auth_identity USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_mfa_factor_auth_identity_id" ON auth_mfa_factor USING btree (auth_identity_id) WHERE (deleted_at IS NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_auth_mfa_factor_auth_identity_provider_active" ON auth_mfa_factor USING btree (auth_identity_id, provider) WHERE ((deleted_at IS NULL) AND (status = ANY (ARRAY['pending'::text, 'enabled'::text])));
CREATE INDEX IF NOT EXISTS "IDX_auth_mfa_factor_deleted_at" ON auth_mfa_factor USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_auth_mfa_recovery_code_auth_identity_code_hash" ON auth_mfa_recovery_code USING btree (auth_identity_id, code_hash) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_mfa_recovery_code_auth_identity_id" ON auth_mfa_recovery_code USING btree (auth_identity_id) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_mfa_recovery_code_deleted_at" ON auth_mfa_recovery_code USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_password_reset_token_auth_identity_id" ON auth_password_reset_token USING btree (auth_identity_id) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_password_reset_token_deleted_at" ON auth_password_reset_token USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_password_reset_token_expires_at" ON auth_password_reset_token USING btree (expires_at) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_password_reset_token_provider_identity_id" ON auth_password_reset_token USING btree (provider_identity_id) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_password_reset_token_token_hash" ON auth_password_reset_token USING btree (token_hash) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_verification_auth_identity_id" ON auth_verification USING btree (auth_identity_id) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_auth_verification_deleted_at" ON auth_verification USING btree (deleted_at) WHERE (deleted_at IS NULL);
-- The name is PostgreSQL's 63-byte truncation of Medusa's longer one.
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_auth_verification_unique_auth_identity_entity_id_entity_typ" ON auth_verification USING btree (auth_identity_id, entity_id, entity_type) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_provider_identity_auth_identity_id" ON provider_identity USING btree (auth_identity_id);
CREATE INDEX IF NOT EXISTS "IDX_provider_identity_deleted_at" ON provider_identity USING btree (deleted_at) WHERE (deleted_at IS NULL);
-- Not partial: a soft-deleted provider identity keeps its pair.
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_provider_identity_provider_entity_id" ON provider_identity USING btree (entity_id, provider);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'auth_mfa_factor_auth_identity_id_foreign'
                     AND conrelid = 'auth_mfa_factor'::regclass) THEN
        ALTER TABLE auth_mfa_factor
            ADD CONSTRAINT auth_mfa_factor_auth_identity_id_foreign FOREIGN KEY (auth_identity_id)
            REFERENCES auth_identity (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'auth_mfa_recovery_code_auth_identity_id_foreign'
                     AND conrelid = 'auth_mfa_recovery_code'::regclass) THEN
        ALTER TABLE auth_mfa_recovery_code
            ADD CONSTRAINT auth_mfa_recovery_code_auth_identity_id_foreign FOREIGN KEY (auth_identity_id)
            REFERENCES auth_identity (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'auth_password_reset_token_auth_identity_id_foreign'
                     AND conrelid = 'auth_password_reset_token'::regclass) THEN
        ALTER TABLE auth_password_reset_token
            ADD CONSTRAINT auth_password_reset_token_auth_identity_id_foreign FOREIGN KEY (auth_identity_id)
            REFERENCES auth_identity (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'auth_password_reset_token_provider_identity_id_foreign'
                     AND conrelid = 'auth_password_reset_token'::regclass) THEN
        ALTER TABLE auth_password_reset_token
            ADD CONSTRAINT auth_password_reset_token_provider_identity_id_foreign FOREIGN KEY (provider_identity_id)
            REFERENCES provider_identity (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'auth_verification_auth_identity_id_foreign'
                     AND conrelid = 'auth_verification'::regclass) THEN
        ALTER TABLE auth_verification
            ADD CONSTRAINT auth_verification_auth_identity_id_foreign FOREIGN KEY (auth_identity_id)
            REFERENCES auth_identity (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'provider_identity_auth_identity_id_foreign'
                     AND conrelid = 'provider_identity'::regclass) THEN
        ALTER TABLE provider_identity
            ADD CONSTRAINT provider_identity_auth_identity_id_foreign FOREIGN KEY (auth_identity_id)
            REFERENCES auth_identity (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
END
$$;
