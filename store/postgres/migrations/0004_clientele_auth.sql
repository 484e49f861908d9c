-- clientele's additions to Medusa's auth schema, none of which Medusa
-- sees or minds:
--
--   - a btree index on lower(entity_id) of provider_identity, for
--     case-insensitive entity lookups (emailpass logins with an email
--     stored in another case). It is not unique: Medusa databases may hold
--     entity ids that differ only in case.
--   - clientele_auth_state, the OAuth state store (auth.Store's PutState
--     and TakeState): one row per pending login, deleted when it is used;
--     expired rows are deleted by later PutState calls through the
--     expires_at index.

CREATE INDEX IF NOT EXISTS "IDX_clientele_provider_identity_entity_id_lower" ON provider_identity USING btree (lower(entity_id));

CREATE TABLE IF NOT EXISTS clientele_auth_state (
    key text NOT NULL,
    value bytea NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT clientele_auth_state_pkey PRIMARY KEY (key)
);

CREATE INDEX IF NOT EXISTS "IDX_clientele_auth_state_expires_at" ON clientele_auth_state USING btree (expires_at);
