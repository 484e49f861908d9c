-- 10,000 customers (every other one registered, one in five with a
-- company, one in seven with metadata), each with one default address,
-- for the load runs of examples/load. It writes Medusa 2.21's own tables,
-- so the same file seeds examples/server's database and a Medusa
-- backend's. Run it once per database, then VACUUM ANALYZE (below), so
-- that both start from planner statistics and a fresh visibility map.
INSERT INTO customer (id, company_name, first_name, last_name, email, phone, has_account, metadata, created_at, updated_at)
SELECT 'cus_01JLOAD' || lpad(i::text, 15, '0'),
    CASE WHEN i % 5 = 0 THEN 'Company ' || (i % 97) END,
    'First' || (i % 113), 'Last' || (i % 311), 'seed' || i || '@example.com', '+1555' || lpad(i::text, 7, '0'),
    i % 2 = 0, CASE WHEN i % 7 = 0 THEN '{"source":"import"}'::jsonb END,
    now() - (10000 - i) * interval '1 minute', now() - (10000 - i) * interval '1 minute'
FROM generate_series(1, 10000) i;

INSERT INTO customer_address (id, customer_id, address_name, is_default_shipping, is_default_billing,
    first_name, last_name, address_1, city, country_code, postal_code, created_at, updated_at)
SELECT 'cuaddr_01JLOAD' || lpad(i::text, 12, '0'), 'cus_01JLOAD' || lpad(i::text, 15, '0'), 'Home', true, true,
    'First' || (i % 113), 'Last' || (i % 311), i || ' Main St', 'Springfield', 'us', '12345', now(), now()
FROM generate_series(1, 10000) i;

VACUUM ANALYZE customer, customer_address;
