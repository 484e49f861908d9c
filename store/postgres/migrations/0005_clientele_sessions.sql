-- clientele: server-side cookie sessions (auth.SessionStore), one row per
-- session keyed by the SHA-256 of the cookie value.
CREATE TABLE IF NOT EXISTS clientele_session (
    id text NOT NULL,
    auth_identity_id text NOT NULL,
    actor_type text NOT NULL,
    actor_id text NOT NULL,
    claims jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT clientele_session_pkey PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS "IDX_clientele_session_expires_at" ON clientele_session USING btree (expires_at);
CREATE INDEX IF NOT EXISTS "IDX_clientele_session_auth_identity_id" ON clientele_session USING btree (auth_identity_id);
