-- clientele: a btree index on (created_at, id) of the live customers, for
-- the admin list's usual orders (created_at DESC or ASC, then id). A
-- keyset page (a cursor) starts an index scan at the cursor's created_at
-- (query.go's past adds the range bound the scan starts from), so page
-- 40,000 of a million customers costs what page 1 does; without the index
-- PostgreSQL reads and sorts every live customer past the cursor. A
-- descending list scans it backward and sorts the rows that share a
-- created_at by id (an incremental sort). Not unique, so Medusa keeps
-- working on the same database.
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_created_at" ON customer USING btree (created_at, id) WHERE deleted_at IS NULL;
