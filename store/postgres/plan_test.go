package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// recorder is a pgx tracer that keeps the statements it sees.
type recorder struct {
	mu      sync.Mutex
	queries []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	r.queries = append(r.queries, recorded{d.SQL, d.Args})
	r.mu.Unlock()
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// lastSelect returns the last SELECT and forgets every statement.
func (r *recorder) lastSelect() recorded { return r.last("SELECT") }

// last returns the last statement that starts with prefix and forgets
// every statement.
func (r *recorder) last(prefix string) recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var q recorded
	for _, s := range r.queries {
		if strings.HasPrefix(s.sql, prefix) {
			q = s
		}
	}
	r.queries = nil
	return q
}

// recordingStore opens a Store of its own on the package database whose
// pgx connections record their statements.
func recordingStore(t *testing.T) (*postgres.Store, *recorder) {
	t.Helper()
	cfg, err := pgx.ParseConfig(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg.Tracer = rec
	st := postgres.New(bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New()))
	t.Cleanup(func() { st.DB().Close() })
	return st, rec
}

// explain returns the plan PostgreSQL uses for q as the Store runs it: a
// statement the Store sends in QueryExecModeExec (a search) is planned for
// its arguments; any other is prepared and cached by pgx, and so runs with
// the generic plan after five executions. settings are SET LOCAL first.
func explain(t *testing.T, q recorded, settings ...string) string {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	mode := "force_generic_plan"
	var literals []string
	for _, a := range q.args {
		switch v := a.(type) {
		case pgx.QueryExecMode:
			if v == pgx.QueryExecModeExec {
				mode = "force_custom_plan"
			}
		case pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
		case string:
			literals = append(literals, quote(v))
		case []string:
			quoted := make([]string, len(v))
			for i, s := range v {
				quoted[i] = quote(s)
			}
			literals = append(literals, "ARRAY["+strings.Join(quoted, ", ")+"]::text[]")
		case time.Time:
			literals = append(literals, quote(v.Format(time.RFC3339Nano))+"::timestamptz")
		default:
			t.Fatalf("explain: argument %T", a)
		}
	}
	for _, s := range append(settings, "plan_cache_mode = "+mode) {
		if _, err := tx.Exec(ctx, "SET LOCAL "+s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(ctx, "PREPARE planned AS "+q.sql); err != nil {
		t.Fatalf("prepare %s: %v", q.sql, err)
	}
	execute := "EXPLAIN EXECUTE planned"
	if len(literals) > 0 {
		execute += "(" + strings.Join(literals, ", ") + ")"
	}
	rows, err := tx.Query(ctx, execute)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", execute, err)
	}
	return strings.Join(lines, "\n")
}

// seqScan matches a sequential scan of the two large tables.
var seqScan = regexp.MustCompile(`Seq Scan on (customer|customer_address) `)

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestQueryPlans checks at 10,000 customers that the queries the store
// sends use the indexes meant for them: the pg_trgm index of every searched
// column for q, the primary key for ids, lower(email) for emails.
func TestQueryPlans(t *testing.T) {
	ctx := t.Context()
	base := pgtest.NewStore(t)
	ds := seed(t, base, 10_000)
	// 2,000 groups, 10 of them VIP, and every customer in one of them.
	now := time.Now().UTC().Truncate(time.Microsecond)
	var groups []*group.Group
	for i := range 2000 {
		name := fmt.Sprintf("Segment %04d", i)
		if i%200 == 0 {
			name = fmt.Sprintf("VIP %04d", i)
		}
		groups = append(groups, &group.Group{ID: fmt.Sprintf("cusgroup_%04d", i), Name: name, CreatedAt: now, UpdatedAt: now})
	}
	var ms []*group.Membership
	for i, c := range ds.ids {
		ms = append(ms, &group.Membership{ID: fmt.Sprintf("cusgc_%05d", i), CustomerID: c, GroupID: groups[i%len(groups)].ID, CreatedAt: now, UpdatedAt: now})
	}
	if err := base.InsertGroups(ctx, groups); err != nil {
		t.Fatal(err)
	}
	if err := base.InsertMemberships(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if _, err := base.DB().ExecContext(ctx, "VACUUM ANALYZE customer_group, customer_group_customer"); err != nil {
		t.Fatal(err)
	}
	st, rec := recordingStore(t)
	yes := true
	ids := func() []string {
		var ids []string
		if err := base.DB().NewRaw("SELECT id FROM customer ORDER BY id LIMIT 3").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		return ids
	}()

	// The cursors of a customer in the middle of the lists by created_at.
	byCreated := []store.Order{store.Desc("created_at")}
	middle, err := base.ListCustomers(ctx, customer.Filter{}, store.ListOptions{Order: byCreated, Skip: 5000, Take: 1})
	if err != nil || len(middle) != 1 {
		t.Fatal(len(middle), err)
	}
	cursor := func(order ...store.Order) string {
		return customer.Sortable.Cursor(order, func(c *customer.Customer) string { return c.ID }, middle[0])
	}
	// A keyset page by created_at starts the scan of its index at the
	// cursor: an index condition on created_at, not a filter on every row
	// before it.
	createdAtPage := []string{"IDX_clientele_customer_created_at", "Index Cond: (created_at"}

	trgm := func(table string, cols ...string) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = "IDX_clientele_" + table + "_" + c + "_trgm"
		}
		return out
	}
	customerTrgm := trgm("customer", "company_name", "first_name", "last_name", "email", "phone")
	addressTrgm := trgm("customer_address", "address_name", "company", "first_name", "last_name",
		"address_1", "address_2", "city", "province", "postal_code")

	tests := []struct {
		name     string
		run      func() error
		settings []string
		want     []string
	}{
		{"customer q list", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Q: strings.ToLower(rareName), HasAccount: &yes}, store.ListOptions{Take: 20})
			return err
		}, nil, customerTrgm},
		{"customer q count", func() error {
			_, err := st.CountCustomers(ctx, customer.Filter{Q: strings.ToLower(rareName), HasAccount: &yes}, store.ListOptions{})
			return err
		}, nil, customerTrgm},
		{"customer q two words", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Q: rareName + " example.org"}, store.ListOptions{Take: 20})
			return err
		}, nil, customerTrgm},
		{"customer by id", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{IDs: ids[:1]}, store.ListOptions{})
			return err
		}, nil, []string{"customer_pkey"}},
		{"customers by ids", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{IDs: ids}, store.ListOptions{})
			return err
		}, nil, []string{"customer_pkey"}},
		{"customer has_account page", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{HasAccount: &yes}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"customer_pkey"}},
		{"customer emails", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Emails: []string{"a@example.com", "B@example.com"}}, store.ListOptions{})
			return err
		}, nil, []string{"IDX_clientele_customer_email_lower"}},
		{"customer lock", func() error {
			return st.InTx(ctx, func(ctx context.Context) error {
				_, err := st.LockCustomers(ctx, ids)
				return err
			})
		}, nil, []string{"customer_pkey"}},
		{"addresses of a customer", func() error {
			_, err := st.ListAddresses(ctx, address.Filter{CustomerIDs: ids[:1]}, store.ListOptions{})
			return err
		}, nil, []string{"IDX_customer_address_customer_id"}},
		{"address q", func() error {
			_, err := st.ListAddresses(ctx, address.Filter{Q: strings.ToLower(rareName)}, store.ListOptions{Take: 20})
			return err
		}, nil, addressTrgm},
		{"group q", func() error {
			_, err := st.ListGroups(ctx, group.Filter{Q: "vip"}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_clientele_customer_group_name_trgm"}},
		{"customers of a group", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{GroupIDs: []string{"cusgroup_0001"}}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_customer_group_customer_customer_group_id"}},
		{"groups of a customer", func() error {
			_, err := st.ListGroups(ctx, group.Filter{CustomerIDs: ids[:1]}, store.ListOptions{})
			return err
		}, nil, []string{"IDX_customer_group_customer_customer_id"}},
		{"customer email ilike", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Email: store.ILike("%" + strings.ToLower(rareName) + "%")}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_clientele_customer_email_trgm"}},
		{"customer email like, folded", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Email: store.Like("%" + rareName + "%")}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_clientele_customer_email_trgm"}},
		{"customer last name like", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{LastName: store.Like(rareName[:5] + "%")}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_clientele_customer_last_name_trgm"}},
		{"customer email in", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Email: store.Eq("A@example.com", "b@example.com")}, store.ListOptions{})
			return err
		}, nil, []string{"IDX_clientele_customer_email_lower"}},
		{"customer id in", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{ID: store.Eq(ids...)}, store.ListOptions{})
			return err
		}, nil, []string{"customer_pkey"}},
		{"customer id gt, a page", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{ID: store.StringFilter{Gt: &ids[2]}}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"customer_pkey"}},
		{"customers in a group by name", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Groups: &customer.GroupFilter{Name: store.Eq("VIP 0200")}}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_customer_group_customer_customer_group_id"}},
		{"customers in an or", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{Or: []customer.Filter{{ID: store.Eq(ids[0])}, {Emails: []string{"a@example.com"}}}}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"customer_pkey", "IDX_clientele_customer_email_lower"}},
		{"groups with a member by email", func() error {
			_, err := st.ListGroups(ctx, group.Filter{Customers: &group.CustomerFilter{Email: store.Eq("a@example.com")}}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_clientele_customer_email_lower"}},
		{"customer created_at desc, after a cursor", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{Order: byCreated, After: cursor(byCreated...), Take: 20})
			return err
		}, nil, createdAtPage},
		{"customer created_at desc, before a cursor", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{Order: byCreated, Before: cursor(byCreated...), Take: 20})
			return err
		}, nil, createdAtPage},
		{"customer created_at asc, after a cursor", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("created_at")}, After: cursor(store.Asc("created_at")), Take: 20})
			return err
		}, nil, createdAtPage},
		{"customer created_at desc with has_account, after a cursor", func() error {
			_, err := st.ListCustomers(ctx, customer.Filter{HasAccount: &yes}, store.ListOptions{Order: byCreated, After: cursor(byCreated...), Take: 20})
			return err
		}, nil, createdAtPage},
		{"address first name ilike", func() error {
			_, err := st.ListAddresses(ctx, address.Filter{LastName: store.ILike(strings.ToLower(rareName) + "%")}, store.ListOptions{Take: 20})
			return err
		}, nil, []string{"IDX_clientele_customer_address_last_name_trgm"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err != nil {
				t.Fatal(err)
			}
			query := rec.lastSelect()
			if searched := strings.Contains(query.sql, "LIKE"); searched != slices.Contains(query.args, any(pgx.QueryExecModeExec)) {
				t.Errorf("search %v, but QueryExecModeExec in the arguments %v", searched, query.args)
			}
			plan := explain(t, query, tc.settings...)
			for _, idx := range tc.want {
				if !strings.Contains(plan, idx) {
					t.Errorf("plan does not use %s\nquery: %s\nplan:\n%s", idx, query.sql, plan)
				}
			}
			if tc.settings == nil && seqScan.MatchString(plan) {
				t.Errorf("plan scans customer sequentially\nquery: %s\nplan:\n%s", query.sql, plan)
			}
			t.Logf("%s %v\n%s", query.sql, query.args, plan)
		})
	}
}

// TestAuthQueryPlans checks at 10,000 auth identities that the auth
// store's lookups use their indexes: the lower(entity_id) index for the
// case-insensitive lookup of a login, Medusa's unique (entity_id,
// provider) index for the exact one, the token_hash index for taking
// a reset token, and the indexes of auth_verification.
func TestAuthQueryPlans(t *testing.T) {
	ctx := t.Context()
	base := pgtest.NewStore(t)
	const n = 10_000
	now := time.Now().UTC().Truncate(time.Microsecond)
	for start := 0; start < n; start += 1000 {
		var batch []*auth.AuthIdentity
		for i := start; i < start+1000; i++ {
			id := fmt.Sprintf("authid_%05d", i)
			entity := fmt.Sprintf("user%05d@example.com", i)
			if i%10 == 0 {
				entity = fmt.Sprintf("User%05d@Example.com", i) // a legacy case variant
			}
			batch = append(batch, &auth.AuthIdentity{ID: id, AppMetadata: map[string]any{"customer_id": fmt.Sprintf("cus_%05d", i)},
				CreatedAt: now, UpdatedAt: now, ProviderIdentities: []*auth.ProviderIdentity{
					{ID: fmt.Sprintf("01PI%05d", i), EntityID: entity, Provider: "emailpass", AuthIdentityID: id,
						ProviderMetadata: map[string]any{"password": "x"}, CreatedAt: now, UpdatedAt: now},
				}})
		}
		if err := base.InsertAuthIdentities(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := base.DB().ExecContext(ctx, `INSERT INTO auth_password_reset_token
		(id, auth_identity_id, provider_identity_id, entity_id, token_hash, expires_at)
		SELECT 'authprt_' || id, auth_identity_id, id, entity_id, md5(id), now() + interval '15 minutes' FROM provider_identity`); err != nil {
		t.Fatal(err)
	}
	if _, err := base.DB().ExecContext(ctx, `INSERT INTO auth_verification
		(id, auth_identity_id, entity_id, entity_type, code_provider, requested_at, provider_metadata)
		SELECT 'authver_' || id, auth_identity_id, entity_id, 'email', 'token', now(), jsonb_build_object('token_hash', md5(id)) FROM provider_identity`); err != nil {
		t.Fatal(err)
	}
	if _, err := base.DB().ExecContext(ctx, "VACUUM ANALYZE auth_identity, provider_identity, auth_password_reset_token, auth_verification"); err != nil {
		t.Fatal(err)
	}
	st, rec := recordingStore(t)
	ids := []string{"authid_00001", "authid_00002", "authid_00003"}

	tests := []struct {
		name   string
		prefix string // of the statement to explain
		run    func() error
		want   string
	}{
		{"provider identity by entity, folded", "SELECT pi.", func() error {
			got, err := st.ListProviderIdentities(ctx, auth.ProviderIdentityFilter{EntityIDsFold: []string{"user00010@example.com"}, Providers: []string{"emailpass"}},
				store.ListOptions{Order: []store.Order{store.Asc("created_at")}, Take: 1})
			if err == nil && len(got) != 1 {
				err = fmt.Errorf("found %d", len(got))
			}
			return err
		}, "IDX_clientele_provider_identity_entity_id_lower"},
		{"provider identity by entity", "SELECT pi.", func() error {
			_, err := st.ListProviderIdentities(ctx, auth.ProviderIdentityFilter{EntityIDs: []string{"user00011@example.com"}, Providers: []string{"emailpass"}}, store.ListOptions{})
			return err
		}, "IDX_provider_identity_provider_entity_id"},
		{"identity by id", "SELECT ai.", func() error {
			_, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{IDs: ids[:1]}, store.ListOptions{})
			return err
		}, "auth_identity_pkey"},
		{"provider identities of identities", "SELECT pi.", func() error {
			_, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{IDs: ids}, store.ListOptions{})
			return err
		}, "IDX_provider_identity_auth_identity_id"},
		{"identities by entity", "SELECT ai.", func() error {
			_, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{EntityIDs: []string{"user00011@example.com"}, Providers: []string{"emailpass"}}, store.ListOptions{})
			return err
		}, "IDX_provider_identity_provider_entity_id"},
		{"take reset token", "DELETE", func() error {
			_, err := st.TakeResetToken(ctx, "0123456789abcdef")
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		}, "IDX_auth_password_reset_token_token_hash"},
		{"verification by code", "SELECT av.", func() error {
			_, err := st.ListVerifications(ctx, auth.VerificationFilter{CodeHashes: []string{"0123456789abcdef"}})
			return err
		}, "IDX_clientele_auth_verification_token_hash"},
		{"verification of an entity", "SELECT av.", func() error {
			got, err := st.ListVerifications(ctx, auth.VerificationFilter{AuthIdentityIDs: ids[1:2],
				EntityIDs: []string{"user00002@example.com"}, EntityTypes: []string{"email"}})
			if err == nil && len(got) != 1 {
				err = fmt.Errorf("found %d", len(got))
			}
			return err
		}, "IDX_auth_verification_"},
		{"mark verified", "UPDATE", func() error {
			_, err := st.MarkVerified(ctx, "authver_01PI00003", "0123456789abcdef", now)
			return err
		}, "auth_verification_pkey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err != nil {
				t.Fatal(err)
			}
			query := rec.last(tc.prefix)
			plan := explain(t, query)
			if !strings.Contains(plan, tc.want) {
				t.Errorf("plan does not use %s\nquery: %s\nplan:\n%s", tc.want, query.sql, plan)
			}
			if strings.Contains(plan, "Seq Scan") {
				t.Errorf("plan scans a table sequentially\nquery: %s\nplan:\n%s", query.sql, plan)
			}
			t.Logf("%s %v\n%s", query.sql, query.args, plan)
		})
	}
}
