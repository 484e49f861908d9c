package postgres_test

import (
	"slices"
	"testing"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
)

// TestFilterLegacyEmptyStrings checks that rows a Medusa database holds
// with ” (clientele writes NULL) are filtered as NULL, as they are on the
// memory store, where both are "": only In with Null matches them.
func TestFilterLegacyEmptyStrings(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	_, err := st.DB().ExecContext(ctx, `INSERT INTO customer (id, email, company_name, has_account, created_at, updated_at) VALUES
		('cus_1', 'a@x.com', 'b', false, now(), now()),
		('cus_2', '', '', false, now(), now()),
		('cus_3', NULL, NULL, false, now(), now())`)
	if err != nil {
		t.Fatal(err)
	}
	lt := "c"
	for _, tc := range []struct {
		name string
		f    customer.Filter
		want []string
	}{
		{"null", customer.Filter{CompanyName: store.IsNull()}, []string{"cus_2", "cus_3"}},
		{"in empty", customer.Filter{CompanyName: store.Eq("")}, nil},
		{"ne", customer.Filter{CompanyName: store.Ne("x")}, []string{"cus_1"}},
		{"ne empty", customer.Filter{CompanyName: store.Ne("")}, []string{"cus_1"}},
		{"like any", customer.Filter{CompanyName: store.Like("%")}, []string{"cus_1"}},
		{"ilike any", customer.Filter{CompanyName: store.ILike("%")}, []string{"cus_1"}},
		{"lt", customer.Filter{CompanyName: store.StringFilter{Lt: &lt}}, []string{"cus_1"}},
		{"email null", customer.Filter{Email: store.IsNull()}, []string{"cus_2", "cus_3"}},
		{"email ne", customer.Filter{Email: store.Ne("b@x.com")}, []string{"cus_1"}},
		{"email like any", customer.Filter{Email: store.Like("%")}, []string{"cus_1"}},
		{"email lt", customer.Filter{Email: store.StringFilter{Lt: &lt}}, []string{"cus_1"}},
	} {
		got, err := st.ListCustomers(ctx, tc.f, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ids := customerIDs(got); !slices.Equal(ids, tc.want) && len(ids)+len(tc.want) > 0 {
			t.Errorf("%s: got %v, want %v", tc.name, ids, tc.want)
		}
	}
}

// TestMatchLikeAgreesWithPostgreSQL checks store.MatchLike, the memory
// store's LIKE, against PostgreSQL's LIKE and ILIKE on tricky patterns.
func TestMatchLikeAgreesWithPostgreSQL(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	values := []string{"", "a", "ab", "abc", "aXbXc", "a%b", "a_b", `a\b`, "ABC", "Ännchen", "ännchen", "straße", "日本語", "aaa", "abab"}
	patterns := []string{"", "%", "_", "__", "a", "a%", "%c", "%b%", "a_c", "a%c", "a%b%c", "%a%b", `a\%b`, `a\_b`, `a\\b`,
		"abc%", "%%", "_%_", "%__%", "abc_", `\a\b\c`, "ÄNN%", "änn%", "STRASSE", "日_語", "%ab", "a%a", "%a%a%"}
	for _, p := range patterns {
		for _, v := range values {
			var like, ilike bool
			err := st.DB().DB.QueryRowContext(ctx, "SELECT $1::text LIKE $2, $1::text ILIKE $2", v, p).Scan(&like, &ilike)
			if err != nil {
				t.Fatalf("%q LIKE %q: %v", v, p, err)
			}
			if got := store.MatchLike(p, v, false); got != like {
				t.Errorf("%q LIKE %q: MatchLike %v, PostgreSQL %v", v, p, got, like)
			}
			if got := store.MatchLike(p, v, true); got != ilike {
				t.Errorf("%q ILIKE %q: MatchLike %v, PostgreSQL %v", v, p, got, ilike)
			}
		}
	}
}
