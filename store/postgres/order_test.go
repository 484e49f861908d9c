package postgres_test

import (
	"slices"
	"testing"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
)

// TestOrderLegacyEmptyStrings checks that rows a Medusa database holds
// with ” (clientele writes NULL) sort with the NULLs, as they do on the
// memory store, where both are "".
func TestOrderLegacyEmptyStrings(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	_, err := st.DB().ExecContext(ctx, `INSERT INTO customer (id, company_name, has_account, created_at, updated_at) VALUES
		('cus_1', 'b', false, now(), now()),
		('cus_2', '', false, now(), now()),
		('cus_3', NULL, false, now(), now()),
		('cus_4', 'a', false, now(), now())`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		order store.Order
		want  []string
	}{
		{store.Asc("company_name"), []string{"cus_4", "cus_1", "cus_2", "cus_3"}},
		{store.Desc("company_name"), []string{"cus_2", "cus_3", "cus_1", "cus_4"}},
	} {
		got, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{Order: []store.Order{tc.order}})
		if err != nil {
			t.Fatal(err)
		}
		if ids := customerIDs(got); !slices.Equal(ids, tc.want) {
			t.Errorf("%+v: got %v, want %v", tc.order, ids, tc.want)
		}
	}
}
