package postgres_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// medusaTables are Medusa 2.21's customer and auth module tables.
var medusaTables = []string{
	"customer", "customer_address", "customer_group", "customer_group_customer",
	"auth_identity", "provider_identity", "auth_password_reset_token",
	"auth_mfa_factor", "auth_mfa_recovery_code", "auth_verification",
}

// schema is what the migration tests compare: the columns, indexes and
// constraints of some tables, one line each.
type schema struct {
	Columns     []string
	Indexes     []string
	Constraints []string
}

func readSchema(t *testing.T, conn *pgx.Conn, tables ...string) schema {
	t.Helper()
	ctx := t.Context()
	if tables == nil {
		tables = medusaTables
	}
	lines := func(sql string) []string {
		rows, err := conn.Query(ctx, sql, tables)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return schema{
		Columns: lines(`SELECT concat_ws(' ', table_name, ordinal_position, column_name, data_type, is_nullable, column_default)
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)
			ORDER BY table_name, ordinal_position`),
		Indexes: lines(`SELECT indexname || ': ' || indexdef FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename = ANY($1) ORDER BY indexname`),
		Constraints: lines(`SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
			AND conrelid::regclass::text = ANY($1) ORDER BY 1`),
	}
}

// withoutClientele drops clientele's own indexes from s.
func (s schema) withoutClientele() schema {
	out := s
	out.Indexes = nil
	for _, ix := range s.Indexes {
		if !strings.HasPrefix(ix, "IDX_clientele_") {
			out.Indexes = append(out.Indexes, ix)
		}
	}
	return out
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// medusaDatabase returns a new database with Medusa 2.21's customer and
// auth tables, created by Medusa's own DDL.
func medusaDatabase(t *testing.T) string {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ddl, err := os.ReadFile("testdata/medusa_2.21.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, dsn).Exec(t.Context(), string(ddl)); err != nil {
		t.Fatalf("Medusa's DDL: %v", err)
	}
	return dsn
}

func appliedMigrations(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), "SELECT name || ' ' || applied_at FROM clientele_migrations ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateEmpty migrates an empty database and checks that it gets
// Medusa's customer and auth schema exactly, plus clientele's indexes and
// its state table, and that a second Migrate changes nothing.
func TestMigrateEmpty(t *testing.T) {
	ctx := t.Context()
	medusa := readSchema(t, connect(t, medusaDatabase(t)))

	dsn := pgtest.NewDatabase(t)
	st := open(t, dsn)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dsn)
	got := readSchema(t, conn)
	if diff := cmp.Diff(medusa, got.withoutClientele()); diff != "" {
		t.Errorf("schema differs from Medusa's (-medusa +migrated):\n%s", diff)
	}
	var names []string
	for _, m := range postgres.Migrations() {
		names = append(names, m.Name)
	}
	wantNames := []string{"0001_medusa_customer.sql", "0002_clientele_customer_indexes.sql", "0003_medusa_auth.sql", "0004_clientele_auth.sql", "0005_clientele_sessions.sql", "0006_clientele_throttle.sql", "0007_clientele_revocation.sql", "0008_clientele_session_idle.sql", "0009_clientele_verification.sql", "0010_clientele_mfa.sql", "0011_clientele_outbox.sql", "0012_clientele_audit.sql", "0013_clientele_customer_count.sql", "0014_clientele_customer_created_at.sql"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("migrations (-want +got):\n%s", diff)
	}
	wantOurs := []string{
		`IDX_clientele_customer_address_address_1_trgm: CREATE INDEX "IDX_clientele_customer_address_address_1_trgm" ON public.customer_address USING gin (address_1 gin_trgm_ops)`,
		`IDX_clientele_customer_email_lower: CREATE INDEX "IDX_clientele_customer_email_lower" ON public.customer USING btree (lower(email))`,
		`IDX_clientele_customer_email_trgm: CREATE INDEX "IDX_clientele_customer_email_trgm" ON public.customer USING gin (email gin_trgm_ops)`,
		`IDX_clientele_customer_group_name_trgm: CREATE INDEX "IDX_clientele_customer_group_name_trgm" ON public.customer_group USING gin (name gin_trgm_ops)`,
		`IDX_clientele_provider_identity_entity_id_lower: CREATE INDEX "IDX_clientele_provider_identity_entity_id_lower" ON public.provider_identity USING btree (lower(entity_id))`,
		`IDX_clientele_customer_created_at: CREATE INDEX "IDX_clientele_customer_created_at" ON public.customer USING btree (created_at, id) WHERE (deleted_at IS NULL)`,
		`IDX_clientele_auth_verification_token_hash: CREATE INDEX "IDX_clientele_auth_verification_token_hash" ON public.auth_verification USING btree (((provider_metadata ->> 'token_hash'::text))) WHERE (deleted_at IS NULL)`,
	}
	for _, w := range wantOurs {
		if !strings.Contains(strings.Join(got.Indexes, "\n"), w) {
			t.Errorf("missing index %s", w)
		}
	}
	if n := len(got.Indexes) - len(medusa.Indexes); n != clienteleIndexes {
		t.Errorf("clientele added %d indexes to Medusa's tables, want %d", n, clienteleIndexes)
	}
	for _, ix := range got.Indexes {
		if strings.HasPrefix(ix, "IDX_clientele_") && strings.Contains(ix, "UNIQUE") {
			t.Errorf("clientele added a unique index: %s", ix)
		}
	}

	state := readSchema(t, conn, "clientele_auth_state")
	wantState := schema{
		Columns: []string{
			"clientele_auth_state 1 key text NO",
			"clientele_auth_state 2 value bytea NO",
			"clientele_auth_state 3 expires_at timestamp with time zone NO",
			"clientele_auth_state 4 created_at timestamp with time zone NO now()",
		},
		Indexes: []string{
			`IDX_clientele_auth_state_expires_at: CREATE INDEX "IDX_clientele_auth_state_expires_at" ON public.clientele_auth_state USING btree (expires_at)`,
			`clientele_auth_state_pkey: CREATE UNIQUE INDEX clientele_auth_state_pkey ON public.clientele_auth_state USING btree (key)`,
		},
		Constraints: []string{"clientele_auth_state clientele_auth_state_pkey: PRIMARY KEY (key)"},
	}
	if diff := cmp.Diff(wantState, state); diff != "" {
		t.Errorf("clientele_auth_state (-want +got):\n%s", diff)
	}

	revocation := readSchema(t, conn, "clientele_token_revocation")
	wantRevocation := schema{
		Columns: []string{
			"clientele_token_revocation 1 auth_identity_id text NO",
			"clientele_token_revocation 2 valid_after timestamp with time zone NO",
			"clientele_token_revocation 3 updated_at timestamp with time zone NO now()",
		},
		Indexes: []string{
			`clientele_token_revocation_pkey: CREATE UNIQUE INDEX clientele_token_revocation_pkey ON public.clientele_token_revocation USING btree (auth_identity_id)`,
		},
		Constraints: []string{"clientele_token_revocation clientele_token_revocation_pkey: PRIMARY KEY (auth_identity_id)"},
	}
	if diff := cmp.Diff(wantRevocation, revocation); diff != "" {
		t.Errorf("clientele_token_revocation (-want +got):\n%s", diff)
	}
	if refresh := readSchema(t, conn, "clientele_refresh_token"); len(refresh.Columns) != 12 || len(refresh.Indexes) != 5 {
		t.Errorf("clientele_refresh_token: %d columns, %d indexes; want 12 and 5:\n%v", len(refresh.Columns), len(refresh.Indexes), refresh)
	}
	challenge := readSchema(t, conn, "clientele_mfa_challenge")
	wantChallenge := schema{
		Columns: []string{
			"clientele_mfa_challenge 1 id text NO",
			"clientele_mfa_challenge 2 auth_identity_id text NO",
			"clientele_mfa_challenge 3 auth_provider text YES",
			"clientele_mfa_challenge 4 methods ARRAY NO",
			"clientele_mfa_challenge 5 expires_at timestamp with time zone NO",
			"clientele_mfa_challenge 6 attempts integer NO 0",
			"clientele_mfa_challenge 7 max_attempts integer NO",
			"clientele_mfa_challenge 8 completed_at timestamp with time zone YES",
			"clientele_mfa_challenge 9 metadata jsonb YES",
			"clientele_mfa_challenge 10 created_at timestamp with time zone NO now()",
		},
		Indexes: []string{
			`IDX_clientele_mfa_challenge_auth_identity_id: CREATE INDEX "IDX_clientele_mfa_challenge_auth_identity_id" ON public.clientele_mfa_challenge USING btree (auth_identity_id)`,
			`IDX_clientele_mfa_challenge_expires_at: CREATE INDEX "IDX_clientele_mfa_challenge_expires_at" ON public.clientele_mfa_challenge USING btree (expires_at)`,
			`clientele_mfa_challenge_pkey: CREATE UNIQUE INDEX clientele_mfa_challenge_pkey ON public.clientele_mfa_challenge USING btree (id)`,
		},
		Constraints: []string{
			"clientele_mfa_challenge clientele_mfa_challenge_auth_identity_id_foreign: FOREIGN KEY (auth_identity_id) REFERENCES auth_identity(id) ON UPDATE CASCADE ON DELETE CASCADE",
			"clientele_mfa_challenge clientele_mfa_challenge_pkey: PRIMARY KEY (id)",
		},
	}
	if diff := cmp.Diff(wantChallenge, challenge); diff != "" {
		t.Errorf("clientele_mfa_challenge (-want +got):\n%s", diff)
	}
	throttleTable := readSchema(t, conn, "clientele_throttle")
	wantThrottle := schema{
		Columns: []string{
			"clientele_throttle 1 key text NO",
			"clientele_throttle 2 hits integer NO",
			"clientele_throttle 3 window_start timestamp with time zone NO",
			"clientele_throttle 4 last_hit_at timestamp with time zone NO",
			"clientele_throttle 5 expires_at timestamp with time zone NO",
		},
		Indexes: []string{
			`IDX_clientele_throttle_expires_at: CREATE INDEX "IDX_clientele_throttle_expires_at" ON public.clientele_throttle USING btree (expires_at)`,
			`clientele_throttle_pkey: CREATE UNIQUE INDEX clientele_throttle_pkey ON public.clientele_throttle USING btree (key)`,
		},
		Constraints: []string{"clientele_throttle clientele_throttle_pkey: PRIMARY KEY (key)"},
	}
	if diff := cmp.Diff(wantThrottle, throttleTable); diff != "" {
		t.Errorf("clientele_throttle (-want +got):\n%s", diff)
	}

	applied := appliedMigrations(t, conn)
	if len(applied) != len(wantNames) {
		t.Fatalf("clientele_migrations: %v", applied)
	}
	if err := postgres.Migrate(ctx, st.DB()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if diff := cmp.Diff(applied, appliedMigrations(t, conn)); diff != "" {
		t.Errorf("second Migrate changed clientele_migrations:\n%s", diff)
	}
	if diff := cmp.Diff(got, readSchema(t, conn)); diff != "" {
		t.Errorf("second Migrate changed the schema:\n%s", diff)
	}
}

// clienteleIndexes is how many indexes clientele adds to Medusa's tables:
// trigram indexes on 5 customer, 9 address and 1 group columns,
// lower(email), lower(entity_id), the verification code's hash and the
// live customers' (created_at, id).
const clienteleIndexes = 5 + 9 + 1 + 1 + 1 + 1 + 1

// TestMigrateConcurrently runs Migrate from several pools at once on an
// empty database: the advisory lock makes them take turns.
func TestMigrateConcurrently(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const n = 4
	stores := make([]*postgres.Store, n)
	for i := range stores {
		stores[i] = open(t, dsn)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, st := range stores {
		wg.Go(func() { errs[i] = st.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	if got := appliedMigrations(t, connect(t, dsn)); len(got) != len(postgres.Migrations()) {
		t.Errorf("clientele_migrations: %v", got)
	}
}

// TestMigrateMedusaDatabase migrates a database Medusa created and wrote
// to: Medusa's schema and rows stay, clientele's indexes are added, and the
// rows read back right.
func TestMigrateMedusaDatabase(t *testing.T) {
	ctx := t.Context()
	dsn := medusaDatabase(t)
	conn := connect(t, dsn)
	before := readSchema(t, conn)

	// Rows as Medusa writes them: mixed-case email, NULL and empty
	// strings, NULL metadata, times with the session's zone, a
	// duplicate membership (Medusa does not prevent one).
	_, err := conn.Exec(ctx, `
		INSERT INTO customer (id, email, first_name, last_name, company_name, has_account, metadata, created_at, updated_at)
		VALUES ('cus_01MEDUSA000000000000000001', 'Jane.Doe@Example.com', 'Jane', 'Doe', '', true, NULL,
		        '2024-05-01 10:00:00.123456+02', '2024-05-01 10:00:00.123456+02');
		INSERT INTO customer (id, email, has_account, metadata)
		VALUES ('cus_01MEDUSA000000000000000002', 'jane.doe@example.com', false, '{"tier": 2, "tags": ["a"]}');
		INSERT INTO customer_address (id, customer_id, address_name, is_default_shipping, country_code, city, metadata)
		VALUES ('cuaddr_01MEDUSA00000000000000001', 'cus_01MEDUSA000000000000000001', 'Home', true, 'de', 'Berlin', NULL);
		INSERT INTO customer_group (id, name, created_by) VALUES ('cusgroup_01MEDUSA000000000000001', 'VIP', 'user_1');
		INSERT INTO customer_group_customer (id, customer_id, customer_group_id)
		VALUES ('cusgc_01MEDUSA0000000000000000001', 'cus_01MEDUSA000000000000000001', 'cusgroup_01MEDUSA000000000000001'),
		       ('cusgc_01MEDUSA0000000000000000002', 'cus_01MEDUSA000000000000000001', 'cusgroup_01MEDUSA000000000000001');
	`)
	if err != nil {
		t.Fatal(err)
	}

	st := open(t, dsn)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	after := readSchema(t, conn)
	if diff := cmp.Diff(before, after.withoutClientele()); diff != "" {
		t.Errorf("Migrate changed Medusa's schema (-before +after):\n%s", diff)
	}
	if len(after.Indexes) != len(before.Indexes)+clienteleIndexes {
		t.Errorf("got %d indexes, want Medusa's %d + %d", len(after.Indexes), len(before.Indexes), clienteleIndexes)
	}

	svc := newCustomers(t, st)
	got, err := svc.Retrieve(ctx, "cus_01MEDUSA000000000000000001", store.FindOptions{Relations: []string{customer.RelAddresses, customer.RelGroups}})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 5, 1, 8, 0, 0, 123456000, time.UTC)
	if got.Email != "Jane.Doe@Example.com" || got.FirstName != "Jane" || got.CompanyName != "" ||
		!got.HasAccount || got.Metadata != nil || !got.CreatedAt.Equal(created) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("customer read back as %+v", got)
	}
	if len(got.Addresses) != 1 || got.Addresses[0].City != "Berlin" || !got.Addresses[0].IsDefaultShipping || got.Addresses[0].Metadata != nil {
		t.Errorf("addresses read back as %+v", got.Addresses)
	}
	if len(got.Groups) != 1 || got.Groups[0].Name != "VIP" || got.Groups[0].CreatedBy != "user_1" {
		t.Errorf("groups read back as %+v", got.Groups)
	}
	guest, err := svc.Retrieve(ctx, "cus_01MEDUSA000000000000000002", store.FindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"tier": 2.0, "tags": []any{"a"}}, guest.Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}

	// Emails match case-insensitively, and q finds Medusa's rows.
	found, err := svc.List(ctx, customer.Filter{Emails: []string{"JANE.DOE@example.com"}}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 {
		t.Errorf("emails filter found %d customers, want both", len(found))
	}
	found, err = svc.List(ctx, customer.Filter{Q: "JANE example", CompanyName: store.IsNull(), FirstName: store.Eq("Jane")}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != "cus_01MEDUSA000000000000000001" {
		t.Errorf("q found %v", customerIDs(found))
	}

	// The duplicate membership reads as one group and goes with Remove.
	groups := newGroups(t, st)
	if err := groups.Remove(ctx, group.Pair{CustomerID: got.ID, GroupID: "cusgroup_01MEDUSA000000000000001"}); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM customer_group_customer").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d membership rows left, want 0", left)
	}

	// Hard delete cascades through Medusa's foreign keys.
	if err := svc.Delete(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM customer_address").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d addresses left, want 0", left)
	}
}

func customerIDs(cs []*customer.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// TestMigrateMedusaAuth migrates a database holding auth rows as Medusa
// writes them and reads them back through the auth service: a login with
// an email stored in another case, the app_metadata link to a customer,
// soft-deleted provider identities and reset tokens left out, and a hard
// delete cascading through Medusa's foreign keys.
func TestMigrateMedusaAuth(t *testing.T) {
	ctx := t.Context()
	dsn := medusaDatabase(t)
	conn := connect(t, dsn)
	hasher := emailpass.Scrypt{LogN: 4, R: 8, P: 1}
	hash, err := hasher.Hash([]byte("supersecret"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `
		INSERT INTO auth_identity (id, app_metadata, created_at, updated_at)
		VALUES ('authid_01MEDUSA00000000000000001', '{"customer_id": "cus_01MEDUSA000000000000000001"}',
		        '2024-05-01 10:00:00.123456+02', '2024-05-01 10:00:00.123456+02'),
		       ('authid_01MEDUSA00000000000000002', NULL, now(), now());
		INSERT INTO provider_identity (id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata)
		VALUES ('01MEDUSA0000000000000000P1', 'Jane.Doe@Example.com', 'emailpass', 'authid_01MEDUSA00000000000000001',
		        NULL, jsonb_build_object('password', $1::text)),
		       ('01MEDUSA0000000000000000P2', 'jane-google-sub', 'google', 'authid_01MEDUSA00000000000000001',
		        '{"name": "Jane"}', '{}');
		UPDATE provider_identity SET deleted_at = now() WHERE id = '01MEDUSA0000000000000000P2';
		INSERT INTO auth_password_reset_token (id, auth_identity_id, provider_identity_id, entity_id, token_hash, expires_at, deleted_at)
		VALUES ('authprt_01MEDUSA0000000000000001', 'authid_01MEDUSA00000000000000001', '01MEDUSA0000000000000000P1',
		        'Jane.Doe@Example.com', 'live-hash', now() + interval '15 minutes', NULL),
		       ('authprt_01MEDUSA0000000000000002', 'authid_01MEDUSA00000000000000001', '01MEDUSA0000000000000000P1',
		        'Jane.Doe@Example.com', 'used-hash', now() + interval '15 minutes', now());
	`, pgx.QueryExecModeSimpleProtocol, hash) // several statements: the simple protocol
	if err != nil {
		t.Fatal(err)
	}

	st := open(t, dsn)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("migration-test-secret-of-32-bytes!")})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(hasher))))
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Authenticate(ctx, emailpass.ID, emailpass.Credentials("jane.doe@example.com", "supersecret").ForActor(auth.ActorCustomer))
	if err != nil {
		t.Fatal(err)
	}
	a := res.AuthIdentity
	created := time.Date(2024, 5, 1, 8, 0, 0, 123456000, time.UTC)
	if a.ID != "authid_01MEDUSA00000000000000001" || a.ActorID("customer") != "cus_01MEDUSA000000000000000001" ||
		!a.CreatedAt.Equal(created) || a.CreatedAt.Location() != time.UTC {
		t.Errorf("identity read back as %+v", a)
	}
	if len(a.ProviderIdentities) != 1 || a.ProviderIdentities[0].EntityID != "Jane.Doe@Example.com" ||
		a.ProviderIdentities[0].UserMetadata != nil {
		t.Errorf("provider identities read back as %+v", a.ProviderIdentities)
	}
	linked, err := svc.ListAuthIdentities(ctx, auth.IdentityFilter{AppMetadata: map[string]any{"customer_id": "cus_01MEDUSA000000000000000001"}}, store.ListOptions{})
	if err != nil || len(linked) != 1 || linked[0].ID != a.ID {
		t.Errorf("app_metadata filter: %v, %v", linked, err)
	}
	google, err := svc.ListAuthIdentities(ctx, auth.IdentityFilter{Providers: []string{"google"}}, store.ListOptions{})
	if err != nil || len(google) != 0 {
		t.Errorf("a soft-deleted provider identity matched: %v, %v", google, err)
	}
	if _, err := st.TakeResetToken(ctx, "used-hash"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("took a soft-deleted reset token: %v", err)
	}
	if rt, err := st.TakeResetToken(ctx, "live-hash"); err != nil || rt.ProviderIdentityID != "01MEDUSA0000000000000000P1" {
		t.Errorf("take reset token: %+v, %v", rt, err)
	}

	if err := svc.DeleteAuthIdentities(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	var pis, prts int
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM provider_identity), (SELECT count(*) FROM auth_password_reset_token)").Scan(&pis, &prts); err != nil {
		t.Fatal(err)
	}
	if pis != 0 || prts != 0 {
		t.Errorf("%d provider identities and %d reset tokens left, want none", pis, prts)
	}
}
