-- clientele: the audit log (package audit). Append-only: rows are
-- inserted, deleted once past the host's retention, and, for an erased
-- customer, anonymised (ip and user_agent emptied); the trigger below
-- refuses every other UPDATE. No foreign key: an entry outlives the
-- identity it names (the erasure record names a deleted identity). No
-- personal data beyond the client's address and user agent.
CREATE TABLE IF NOT EXISTS clientele_audit (
    id text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    action text NOT NULL,
    outcome text NOT NULL,
    reason text NOT NULL DEFAULT '',
    auth_identity_id text NOT NULL DEFAULT '',
    actor_type text NOT NULL DEFAULT '',
    actor_id text NOT NULL DEFAULT '',
    provider text NOT NULL DEFAULT '',
    ip text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT clientele_audit_pkey PRIMARY KEY (id),
    CONSTRAINT clientele_audit_outcome_check CHECK (outcome IN ('success', 'failure'))
);

CREATE INDEX IF NOT EXISTS "IDX_clientele_audit_auth_identity_id" ON clientele_audit USING btree (auth_identity_id, created_at DESC, id DESC) WHERE auth_identity_id <> '';
CREATE INDEX IF NOT EXISTS "IDX_clientele_audit_actor_id" ON clientele_audit USING btree (actor_id, created_at DESC, id DESC) WHERE actor_id <> '';
CREATE INDEX IF NOT EXISTS "IDX_clientele_audit_created_at" ON clientele_audit USING btree (created_at DESC, id DESC);

CREATE OR REPLACE FUNCTION clientele_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.created_at, NEW.action, NEW.outcome, NEW.reason, NEW.auth_identity_id, NEW.actor_type,
            NEW.actor_id, NEW.provider, NEW.details)
        IS DISTINCT FROM (OLD.id, OLD.created_at, OLD.action, OLD.outcome, OLD.reason, OLD.auth_identity_id,
            OLD.actor_type, OLD.actor_id, OLD.provider, OLD.details)
        OR NEW.ip <> '' OR NEW.user_agent <> '' THEN
        RAISE EXCEPTION 'clientele_audit is append-only: an entry may only be anonymised'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS clientele_audit_append_only ON clientele_audit;
CREATE TRIGGER clientele_audit_append_only BEFORE UPDATE ON clientele_audit
    FOR EACH ROW EXECUTE FUNCTION clientele_audit_append_only();
