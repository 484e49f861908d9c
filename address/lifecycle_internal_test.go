package address

import (
	"context"
	"testing"

	"github.com/clientele/clientele/store"
)

// liveDefaults is a Store that holds live addresses only, as a database
// whose default-address indexes leave soft-deleted rows out would: there,
// a soft-deleted address may carry a flag that a live one holds too.
type liveDefaults struct {
	Store
	live []*Address
}

func (l liveDefaults) ListAddresses(_ context.Context, f Filter, _ store.ListOptions) ([]*Address, error) {
	var out []*Address
	for _, a := range l.live {
		for _, c := range f.CustomerIDs {
			if a.CustomerID == c {
				cp := *a
				out = append(out, &cp)
			}
		}
	}
	return out, nil
}

// TestKeepOneDefault: a restored address gives up a flag that a live
// address of its customer holds, or that an earlier restored one takes,
// and keeps one nobody holds.
func TestKeepOneDefault(t *testing.T) {
	s := &Service{st: liveDefaults{live: []*Address{
		{ID: "cuaddr_live", CustomerID: "cus_1", IsDefaultShipping: true},
		{ID: "cuaddr_other", CustomerID: "cus_2"},
	}}}
	restored := []*Address{
		{ID: "cuaddr_a", CustomerID: "cus_1", IsDefaultShipping: true, IsDefaultBilling: true},
		{ID: "cuaddr_b", CustomerID: "cus_1", IsDefaultBilling: true},
		{ID: "cuaddr_c", CustomerID: "cus_2", IsDefaultShipping: true},
		{ID: "cuaddr_d", CustomerID: "cus_2", IsDefaultShipping: true},
		{ID: "cuaddr_e", CustomerID: "cus_3"},
	}
	if err := s.keepOneDefault(t.Context(), restored); err != nil {
		t.Fatal(err)
	}
	type flags struct{ ship, bill bool }
	want := map[string]flags{
		"cuaddr_a": {false, true}, // cus_1's shipping default is live
		"cuaddr_b": {false, false},
		"cuaddr_c": {true, false},
		"cuaddr_d": {false, false},
		"cuaddr_e": {false, false},
	}
	for _, a := range restored {
		if got := (flags{a.IsDefaultShipping, a.IsDefaultBilling}); got != want[a.ID] {
			t.Errorf("%s: flags %+v, want %+v", a.ID, got, want[a.ID])
		}
	}
}
