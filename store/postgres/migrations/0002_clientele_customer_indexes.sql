-- clientele's additions to Medusa's customer schema. Indexes only, none of
-- them unique, so Medusa keeps working on the same database.
--
-- q (free-text search) is an ILIKE '%word%' per searched column, OR-ed per
-- word; PostgreSQL serves it with one pg_trgm GIN index per column (a
-- single index over a concatenation of the columns is never used for the
-- OR). Case-insensitive email lookups use lower(email).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_company_name_trgm" ON customer USING gin (company_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_first_name_trgm" ON customer USING gin (first_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_last_name_trgm" ON customer USING gin (last_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_email_trgm" ON customer USING gin (email gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_phone_trgm" ON customer USING gin (phone gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_email_lower" ON customer USING btree (lower(email));

CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_address_name_trgm" ON customer_address USING gin (address_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_company_trgm" ON customer_address USING gin (company gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_first_name_trgm" ON customer_address USING gin (first_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_last_name_trgm" ON customer_address USING gin (last_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_address_1_trgm" ON customer_address USING gin (address_1 gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_address_2_trgm" ON customer_address USING gin (address_2 gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_city_trgm" ON customer_address USING gin (city gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_province_trgm" ON customer_address USING gin (province gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_address_postal_code_trgm" ON customer_address USING gin (postal_code gin_trgm_ops);

CREATE INDEX IF NOT EXISTS "IDX_clientele_customer_group_name_trgm" ON customer_group USING gin (name gin_trgm_ops);
