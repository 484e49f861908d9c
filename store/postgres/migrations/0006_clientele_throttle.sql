-- clientele: the throttle counters (throttle.Store), shared by every
-- instance of an application. One row per counter; its key is a rule name
-- and an HMAC of the subject (an identifier or a client address), never
-- the subject itself. hits counts since window_start; the counter lapses
-- at expires_at, and lapsed rows are deleted by later hits through the
-- expires_at index.
--
-- The table is UNLOGGED: its writes skip the write-ahead log, so a counted
-- hit costs no WAL flush (about a third of a logged upsert). The price is
-- that a crash of the database server empties it and standbys do not have
-- it: after a crash or a failover every count starts again, which only
-- ever lets a few more attempts through.
CREATE UNLOGGED TABLE IF NOT EXISTS clientele_throttle (
    key text NOT NULL,
    hits integer NOT NULL,
    window_start timestamp with time zone NOT NULL,
    last_hit_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT clientele_throttle_pkey PRIMARY KEY (key)
);

CREATE INDEX IF NOT EXISTS "IDX_clientele_throttle_expires_at" ON clientele_throttle USING btree (expires_at);
