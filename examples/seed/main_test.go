package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clientele/clientele/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// counts returns the rows the seeding made and the search indexes there
// are.
func counts(t *testing.T, dsn string) map[string]int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	out := map[string]int{}
	for name, q := range map[string]string{
		"customers":   "SELECT count(*) FROM customer",
		"registered":  "SELECT count(*) FROM customer WHERE has_account",
		"addresses":   "SELECT count(*) FROM customer_address",
		"no default":  "SELECT count(*) FROM customer c WHERE NOT EXISTS (SELECT 1 FROM customer_address a WHERE a.customer_id = c.id AND a.is_default_shipping)",
		"groups":      "SELECT count(*) FROM customer_group",
		"memberships": "SELECT count(*) FROM customer_group_customer",
		"indexes":     "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'IDX_clientele_%_trgm' AND tablename IN ('customer', 'customer_address')",
		"analyzed":    "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'customer' AND last_analyze IS NOT NULL",
	} {
		var n int
		if err := conn.QueryRow(t.Context(), q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[name] = n
	}
	return out
}

func TestSeed(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var out bytes.Buffer
	cfg := config{dsn: dsn, customers: 3000, groups: 3, batch: 1000, run: "t", deferIndexes: true}
	if err := run(t.Context(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	got := counts(t, dsn)
	if got["customers"] != 3000 || got["registered"] != 750 || got["groups"] != 3 || got["memberships"] != 1500+300 ||
		got["no default"] != 0 || got["addresses"] < 3000 || got["addresses"] > 6000 || got["indexes"] != 14 || got["analyzed"] != 1 {
		t.Fatalf("rows after the seeding: %v\n%s", got, out.String())
	}
	for _, step := range []string{"customers ", "groups ", "indexes ", "analyze ", "total "} {
		if !strings.Contains(out.String(), step) {
			t.Fatalf("no %q in the output:\n%s", step, out.String())
		}
	}

	// A second run adds to the database; an interrupted one builds the
	// search indexes again.
	ctx, cancel := context.WithCancel(t.Context())
	cfg.run, cfg.customers = "u", 5000
	n := 0
	cfg.progress = false
	cfg.onBatch = func() {
		if n++; n == 2 {
			cancel()
		}
	}
	if err := run(ctx, cfg, &out); err == nil {
		t.Fatal("an interrupted seeding succeeded")
	}
	got = counts(t, dsn)
	if got["indexes"] != 14 || got["customers"] != 3000+2000 {
		t.Fatalf("rows after an interrupted seeding: %v\n%s", got, out.String())
	}
}
