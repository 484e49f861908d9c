-- clientele: the transactional outbox (package outbox). Each service event
-- is a row written in the transaction of the change it reports; the
-- dispatchers of every instance claim rows with a lease (claimed_by,
-- claimed_until), deliver them to the host's sink and mark them delivered;
-- delivered rows are purged after a retention period. Events that carry a
-- secret keep their data only sealed (AES-256-GCM, key named by key_id),
-- and only until delivered. Medusa's tables are not touched.
CREATE TABLE IF NOT EXISTS clientele_outbox (
    id            text        PRIMARY KEY,
    seq           bigint      GENERATED ALWAYS AS IDENTITY,
    name          text        NOT NULL,
    entity_key    text        NOT NULL,
    data          jsonb,
    sealed        bytea,
    key_id        text,
    created_at    timestamptz NOT NULL,
    available_at  timestamptz NOT NULL,
    attempts      integer     NOT NULL DEFAULT 0,
    last_error    text,
    claimed_by    text,
    claimed_until timestamptz,
    delivered_at  timestamptz,
    CONSTRAINT clientele_outbox_data_or_sealed CHECK (data IS NULL OR sealed IS NULL)
);

CREATE UNIQUE INDEX IF NOT EXISTS "IDX_clientele_outbox_seq" ON clientele_outbox (seq);

-- Claims: the undelivered rows in order, and the earlier rows of an entity.
CREATE INDEX IF NOT EXISTS "IDX_clientele_outbox_pending"
    ON clientele_outbox (seq) WHERE delivered_at IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_clientele_outbox_entity_pending"
    ON clientele_outbox (entity_key, seq) WHERE delivered_at IS NULL;

-- Purges: the delivered rows by age.
CREATE INDEX IF NOT EXISTS "IDX_clientele_outbox_delivered"
    ON clientele_outbox (delivered_at) WHERE delivered_at IS NOT NULL;
