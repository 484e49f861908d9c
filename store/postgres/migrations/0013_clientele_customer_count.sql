-- clientele: an exact count of the live customers (deleted_at IS NULL)
-- that costs a few rows to read instead of a scan of the customer table:
-- the total of an unfiltered customer list (GET /admin/customers).
--
-- The count is the sum of the rows of clientele_customer_count. Triggers
-- on customer, written for any writer of the table (clientele, Medusa, a
-- psql session), append one row per statement that changes the number of
-- live customers (inserts, soft deletes, restores, hard deletes), in the
-- statement's own transaction: the sum is exact in every snapshot, and a
-- rolled-back change leaves no row. Writers only ever insert, so they never
-- wait for one another on the count. Every 16th row written under READ
-- COMMITTED folds the committed rows that no other transaction is
-- folding (SKIP LOCKED) into one, in the same transaction, so that the
-- table stays a handful of rows.
CREATE TABLE IF NOT EXISTS clientele_customer_count (
    id bigint GENERATED ALWAYS AS IDENTITY,
    live bigint NOT NULL
);

-- clientele_customer_count_add appends delta, unless it is 0, and
-- every 16th row folds the table.
CREATE OR REPLACE FUNCTION clientele_customer_count_add(delta bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    IF delta = 0 THEN
        RETURN;
    END IF;
    INSERT INTO clientele_customer_count (live) VALUES (delta) RETURNING id INTO n;
    -- Only READ COMMITTED folds: under REPEATABLE READ or SERIALIZABLE,
    -- locking a row another fold deleted after the snapshot would fail
    -- the writer's statement with a serialization error.
    IF n % 16 = 0 AND current_setting('transaction_isolation') = 'read committed' THEN
        WITH folded AS (
            DELETE FROM clientele_customer_count
            WHERE ctid = ANY (ARRAY(SELECT ctid FROM clientele_customer_count FOR UPDATE SKIP LOCKED))
            RETURNING live
        )
        INSERT INTO clientele_customer_count (live)
        SELECT sum(live) FROM folded HAVING sum(live) <> 0;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION clientele_customer_count_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM clientele_customer_count_add((SELECT count(*) FROM new_rows WHERE deleted_at IS NULL));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION clientele_customer_count_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM clientele_customer_count_add(
        (SELECT count(*) FROM new_rows WHERE deleted_at IS NULL) - (SELECT count(*) FROM old_rows WHERE deleted_at IS NULL));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION clientele_customer_count_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM clientele_customer_count_add(-(SELECT count(*) FROM old_rows WHERE deleted_at IS NULL));
    RETURN NULL;
END
$$;

-- TRUNCATE holds customer exclusively, so no other writer of the count
-- is running: the rows can go, as the customers went (TRUNCATE, so that
-- no snapshot older than another writer's fold gets in the way).
CREATE OR REPLACE FUNCTION clientele_customer_count_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE clientele_customer_count;
    RETURN NULL;
END
$$;

-- The functions run with the privileges and the search_path of whoever
-- writes customer; pin their search_path to this schema, so that a writer
-- that names the table with its schema (and has another search_path) finds
-- the count's table and functions too.
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['clientele_customer_count_add(bigint)', 'clientele_customer_count_insert()',
            'clientele_customer_count_update()', 'clientele_customer_count_delete()', 'clientele_customer_count_truncate()'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_catalog', f, current_schema());
    END LOOP;
END
$$;

-- The count starts from the rows already there (a database Medusa
-- migrated): the lock keeps writers out from the count to the triggers.
LOCK TABLE customer IN SHARE ROW EXCLUSIVE MODE;
DELETE FROM clientele_customer_count;
INSERT INTO clientele_customer_count (live) SELECT count(*) FROM customer WHERE deleted_at IS NULL;

DROP TRIGGER IF EXISTS clientele_customer_count_insert ON customer;
CREATE TRIGGER clientele_customer_count_insert AFTER INSERT ON customer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clientele_customer_count_insert();
DROP TRIGGER IF EXISTS clientele_customer_count_update ON customer;
CREATE TRIGGER clientele_customer_count_update AFTER UPDATE ON customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clientele_customer_count_update();
DROP TRIGGER IF EXISTS clientele_customer_count_delete ON customer;
CREATE TRIGGER clientele_customer_count_delete AFTER DELETE ON customer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION clientele_customer_count_delete();
DROP TRIGGER IF EXISTS clientele_customer_count_truncate ON customer;
CREATE TRIGGER clientele_customer_count_truncate AFTER TRUNCATE ON customer
    FOR EACH STATEMENT EXECUTE FUNCTION clientele_customer_count_truncate();
