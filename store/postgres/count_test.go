package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
)

// TestEstimatedCount checks that an estimated count is the planner's, of
// the kind CountEstimated, before the table has statistics (EXPLAIN) and
// after ANALYZE (pg_class and pg_stats for an unfiltered list, EXPLAIN
// for a filtered one), within the planner's error of the real count.
func TestEstimatedCount(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	const n = 400
	cs := make([]*customer.Customer, n)
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range cs {
		cs[i] = &customer.Customer{ID: fmt.Sprintf("cus_est%04d", i), Email: fmt.Sprintf("e%d@example.com", i),
			HasAccount: i%4 == 0, CreatedAt: now, UpdatedAt: now}
		if i%10 == 0 {
			cs[i].DeletedAt = &now
		}
	}
	if err := st.InsertCustomers(ctx, cs); err != nil {
		t.Fatal(err)
	}
	yes := true
	check := func(stage string, f customer.Filter, want int) {
		t.Helper()
		page, c, err := st.PageCustomers(ctx, f, store.ListOptions{Take: 5, Count: store.CountEstimated})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 5 || c.Kind != store.CountEstimated || c.N < want*7/10 || c.N > want*13/10 {
			t.Errorf("%s, %+v: %d rows, count %+v, want about %d", stage, f, len(page), c, want)
		}
	}
	if _, err := st.DB().ExecContext(ctx, "ANALYZE customer"); err != nil {
		t.Fatal(err)
	}
	check("analyzed", customer.Filter{}, 360)
	check("analyzed", customer.Filter{HasAccount: &yes}, 90)
	page, c, err := st.PageCustomers(ctx, customer.Filter{}, store.ListOptions{Take: 5, WithDeleted: true, Count: store.CountEstimated})
	if err != nil || len(page) != 5 || c != (store.Count{N: n, Kind: store.CountEstimated}) {
		t.Errorf("with deleted: %d rows, %+v, %v; want %d estimated", len(page), c, err, n)
	}
	// An emptied table has no statistics: the planner estimates anyway.
	if _, err := st.DB().ExecContext(ctx, "TRUNCATE customer CASCADE"); err != nil {
		t.Fatal(err)
	}
	if _, c, err = st.PageCustomers(ctx, customer.Filter{}, store.ListOptions{Count: store.CountEstimated}); err != nil || c.Kind != store.CountEstimated || c.N < 0 {
		t.Errorf("no statistics: %+v, %v", c, err)
	}
}
