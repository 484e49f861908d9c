package postgres_test

import (
	"fmt"
	"testing"

	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/internal/servicetest"
)

// TestErasureLeavesNoPersonalData erases customers that had addresses,
// groups, an emailpass and a social identity, a verification, an MFA
// factor, recovery codes and a challenge, a session and a refresh token,
// with the audit log on (the flows' client names the customer in its
// user agent), then reads every text, varchar and jsonb column of every table of the
// public schema (Medusa's and clientele's) for their email, names and
// phone, and finds none.
func TestErasureLeavesNoPersonalData(t *testing.T) {
	st := pgtest.NewStore(t)
	values := servicetest.ErasedPersonalData(t, st)
	ctx := t.Context()
	var cols []struct {
		Table  string `bun:"table_name"`
		Column string `bun:"column_name"`
	}
	err := st.DB().NewRaw(`SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'character')
		ORDER BY table_name, column_name`).Scan(ctx, &cols)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for _, c := range cols {
		tables[c.Table] = true
	}
	for _, want := range []string{"customer", "customer_address", "auth_identity", "provider_identity", "auth_verification", "auth_mfa_factor", "clientele_session", "clientele_refresh_token", "clientele_audit"} {
		if !tables[want] {
			t.Fatalf("no text column found in table %s: the scan sees the wrong schema", want)
		}
	}
	for _, c := range cols {
		for _, v := range values {
			var n int
			q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(lower(%q::text), lower(?)) > 0`, c.Table, c.Column)
			if err := st.DB().NewRaw(q, v).Scan(ctx, &n); err != nil {
				t.Fatalf("%s.%s: %v", c.Table, c.Column, err)
			}
			if n > 0 {
				t.Errorf("%s.%s still holds %q in %d rows", c.Table, c.Column, v, n)
			}
		}
	}
	var entries int
	if err := st.DB().NewRaw("SELECT count(*) FROM clientele_audit").Scan(ctx, &entries); err != nil || entries == 0 {
		t.Fatalf("%d audit entries (%v): the audit log was not on", entries, err)
	}
	t.Logf("scanned %d columns of %d tables for %d values", len(cols), len(tables), len(values))
}
