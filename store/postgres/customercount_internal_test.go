package postgres

import (
	"testing"
	"time"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// TestCountsLiveCustomers: only a count of every live customer reads the
// kept count; any filter, a search or the soft-deleted rows count by a
// query.
func TestCountsLiveCustomers(t *testing.T) {
	yes := true
	tests := []struct {
		name        string
		f           customer.Filter
		withDeleted bool
		want        bool
	}{
		{"no filter", customer.Filter{}, false, true},
		{"with deleted", customer.Filter{}, true, false},
		{"deleted_at filter", customer.Filter{DeletedAt: store.TimeFilter{Gt: time.Unix(1, 0)}}, false, false},
		{"has_account", customer.Filter{HasAccount: &yes}, false, false},
		{"q", customer.Filter{Q: "ada"}, false, false},
		{"no ids", customer.Filter{IDs: []string{}}, false, false},
		{"ids", customer.Filter{IDs: []string{"cus_1"}}, false, false},
		{"email pattern", customer.Filter{Email: store.ILike("%ada%")}, false, false},
		{"empty or", customer.Filter{Or: []customer.Filter{}}, false, false},
		{"refused", customer.Filter{Q: "x", And: []customer.Filter{{Q: "y"}}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countsLiveCustomers(customerQuery(tt.f, tt.withDeleted)); got != tt.want {
				t.Errorf("countsLiveCustomers = %v, want %v", got, tt.want)
			}
		})
	}
}
