-- Medusa 2.21's customer module schema: the tables customer,
-- customer_address, customer_group and customer_group_customer with their
-- primary keys, indexes and foreign keys, as Medusa's own migrations leave
-- them. Every statement is a no-op on a database that Medusa has already
-- migrated, so clientele and Medusa can share one database.

CREATE TABLE IF NOT EXISTS customer (
    id text NOT NULL,
    company_name text,
    first_name text,
    last_name text,
    email text,
    phone text,
    has_account boolean DEFAULT false NOT NULL,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    created_by text,
    CONSTRAINT customer_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS customer_address (
    id text NOT NULL,
    customer_id text NOT NULL,
    address_name text,
    is_default_shipping boolean DEFAULT false NOT NULL,
    is_default_billing boolean DEFAULT false NOT NULL,
    company text,
    first_name text,
    last_name text,
    address_1 text,
    address_2 text,
    city text,
    country_code text,
    province text,
    postal_code text,
    phone text,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT customer_address_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS customer_group (
    id text NOT NULL,
    name text NOT NULL,
    metadata jsonb,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT customer_group_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS customer_group_customer (
    id text NOT NULL,
    customer_id text NOT NULL,
    customer_group_id text NOT NULL,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text,
    deleted_at timestamp with time zone,
    CONSTRAINT customer_group_customer_pkey PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS "IDX_customer_address_customer_id" ON customer_address USING btree (customer_id);
CREATE INDEX IF NOT EXISTS "IDX_customer_address_deleted_at" ON customer_address USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_customer_address_unique_customer_billing" ON customer_address USING btree (customer_id) WHERE (is_default_billing = true);
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_customer_address_unique_customer_shipping" ON customer_address USING btree (customer_id) WHERE (is_default_shipping = true);
CREATE INDEX IF NOT EXISTS "IDX_customer_deleted_at" ON customer USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_customer_email_has_account_unique" ON customer USING btree (email, has_account) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_customer_group_customer_customer_group_id" ON customer_group_customer USING btree (customer_group_id) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_customer_group_customer_customer_id" ON customer_group_customer USING btree (customer_id);
CREATE INDEX IF NOT EXISTS "IDX_customer_group_customer_deleted_at" ON customer_group_customer USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE INDEX IF NOT EXISTS "IDX_customer_group_deleted_at" ON customer_group USING btree (deleted_at) WHERE (deleted_at IS NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_customer_group_name_unique" ON customer_group USING btree (name) WHERE (deleted_at IS NULL);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'customer_address_customer_id_foreign'
                     AND conrelid = 'customer_address'::regclass) THEN
        ALTER TABLE customer_address
            ADD CONSTRAINT customer_address_customer_id_foreign FOREIGN KEY (customer_id)
            REFERENCES customer (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'customer_group_customer_customer_group_id_foreign'
                     AND conrelid = 'customer_group_customer'::regclass) THEN
        ALTER TABLE customer_group_customer
            ADD CONSTRAINT customer_group_customer_customer_group_id_foreign FOREIGN KEY (customer_group_id)
            REFERENCES customer_group (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'customer_group_customer_customer_id_foreign'
                     AND conrelid = 'customer_group_customer'::regclass) THEN
        ALTER TABLE customer_group_customer
            ADD CONSTRAINT customer_group_customer_customer_id_foreign FOREIGN KEY (customer_id)
            REFERENCES customer (id) ON UPDATE CASCADE ON DELETE CASCADE;
    END IF;
END
$$;
