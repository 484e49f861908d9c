package storetest

import (
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// The page tests check what the order tests do not: the cursors a list
// refuses, and the counts of customer.Pager (exact, estimated, capped).

var pageTests = []test{
	{"Page/CursorRefused", func(e *env) {
		cs := pageCustomers(e, 3)
		order := []store.Order{store.Desc("email")}
		good := customer.Sortable.Cursor(order, customerID, cs[0])
		other := customer.Sortable.Cursor(nil, customerID, cs[0])
		list := func(opts store.ListOptions) error {
			_, err := e.st.ListCustomers(e.ctx, customer.Filter{}, opts)
			return err
		}
		e.must(list(store.ListOptions{Order: order, After: good}))
		for _, tc := range []struct {
			opts  store.ListOptions
			field string
		}{
			{store.ListOptions{After: good}, "after"},                                           // made for another order
			{store.ListOptions{Order: order, Before: other}, "before"},                          // made for id order
			{store.ListOptions{Order: []store.Order{store.Asc("email")}, After: good}, "after"}, // another direction
			{store.ListOptions{Order: order, After: "not a cursor!"}, "after"},
			{store.ListOptions{Order: order, After: base64.RawURLEncoding.EncodeToString([]byte(`{"o":["-email","id"],"k":[1,2]}`))}, "after"},
			{store.ListOptions{Order: order, After: base64.RawURLEncoding.EncodeToString([]byte(`{"o":["-email","id"],"k":["a"]}`))}, "after"},
			{store.ListOptions{Order: order, After: base64.RawURLEncoding.EncodeToString([]byte(`{"o":["-email","id"],"k":["","x"]}`))}, "after"},
			{store.ListOptions{Order: order, After: good[:len(good)-2]}, "after"},
			{store.ListOptions{Order: order, After: good, Before: good}, "before"},
			{store.ListOptions{Order: order, After: good, Skip: 1}, "skip"},
			{store.ListOptions{Count: store.CountCapped}, "count_cap"},
			{store.ListOptions{CountCap: 5}, "count_cap"},
			{store.ListOptions{Count: 7}, "count"},
		} {
			e.wantInvalid(list(tc.opts), tc.field)
			if pg, ok := e.st.(customer.Pager); ok {
				_, _, err := pg.PageCustomers(e.ctx, customer.Filter{}, tc.opts)
				e.wantInvalid(err, tc.field)
			}
		}
		// A boolean and a time key of the wrong type are refused too.
		byAccount := []store.Order{store.Asc("has_account")}
		bad := base64.RawURLEncoding.EncodeToString([]byte(`{"o":["has_account","id"],"k":[null,"cus_x"]}`))
		e.wantInvalid(list(store.ListOptions{Order: byAccount, After: bad}), "after")
		byTime := []store.Order{store.Asc("created_at")}
		bad = base64.RawURLEncoding.EncodeToString([]byte(`{"o":["created_at","id"],"k":["yesterday","cus_x"]}`))
		e.wantInvalid(list(store.ListOptions{Order: byTime, After: bad}), "after")
	}},
	{"Page/Counts", func(e *env) {
		pg, ok := e.st.(customer.Pager)
		if !ok {
			e.t.Skip("the store is not a customer.Pager")
		}
		cs := pageCustomers(e, 7)
		all := ids(cs, customerID)
		for _, tc := range []struct {
			name string
			f    customer.Filter
			opts store.ListOptions
			want store.Count
			page []string
		}{
			{"exact", customer.Filter{}, store.ListOptions{Take: 2}, store.Count{N: 7}, all[:2]},
			{"exact past the end", customer.Filter{}, store.ListOptions{Skip: 9, Take: 2}, store.Count{N: 7}, nil},
			{"exact after the last", customer.Filter{}, store.ListOptions{Take: 2, After: customer.Sortable.Cursor(nil, customerID, cs[6])}, store.Count{N: 7}, nil},
			{"exact search", customer.Filter{Q: "page"}, store.ListOptions{Take: 2, After: customer.Sortable.Cursor(nil, customerID, cs[1])}, store.Count{N: 7}, all[2:4]},
			{"capped hit", customer.Filter{}, store.ListOptions{Take: 2, Count: store.CountCapped, CountCap: 5}, store.Count{N: 5, Kind: store.CountCapped}, all[:2]},
			{"capped at the total", customer.Filter{}, store.ListOptions{Take: 2, Count: store.CountCapped, CountCap: 7}, store.Count{N: 7}, all[:2]},
			{"capped not hit", customer.Filter{}, store.ListOptions{Take: 2, Count: store.CountCapped, CountCap: 100}, store.Count{N: 7}, all[:2]},
			{"capped filtered", customer.Filter{Q: "page"}, store.ListOptions{Take: 2, Count: store.CountCapped, CountCap: 3}, store.Count{N: 3, Kind: store.CountCapped}, all[:2]},
			{"capped empty page", customer.Filter{}, store.ListOptions{Skip: 10, Count: store.CountCapped, CountCap: 3}, store.Count{N: 3, Kind: store.CountCapped}, nil},
			{"capped nothing", customer.Filter{Q: "nobody"}, store.ListOptions{Count: store.CountCapped, CountCap: 3}, store.Count{}, nil},
		} {
			got, n, err := pg.PageCustomers(e.ctx, tc.f, tc.opts)
			if err != nil {
				e.t.Fatalf("%s: %v", tc.name, err)
			}
			if n != tc.want || !slices.Equal(tc.page, ids(got, customerID)) {
				e.t.Errorf("%s: page %v, count %+v; want %v, %+v", tc.name, ids(got, customerID), n, tc.page, tc.want)
			}
		}
		// An estimate is the database's: it says so, unless it is exact.
		for _, tc := range []struct {
			name  string
			f     customer.Filter
			page  []string
			total int
		}{
			{"all", customer.Filter{}, all[:3], 7},
			{"search", customer.Filter{Q: "page"}, all[:3], 7},
			{"filter", customer.Filter{HasAccount: ptr(true)}, []string{all[0], all[2], all[4]}, 4},
		} {
			got, n, err := pg.PageCustomers(e.ctx, tc.f, store.ListOptions{Take: 3, Count: store.CountEstimated})
			e.must(err)
			if !slices.Equal(tc.page, ids(got, customerID)) {
				e.t.Errorf("estimated, %s: page %v, want %v", tc.name, ids(got, customerID), tc.page)
			}
			switch {
			case n.Kind == store.CountExact && n.N != tc.total:
				e.t.Errorf("estimated, %s: an exact count of %d, want %d", tc.name, n.N, tc.total)
			case n.Kind != store.CountExact && n.Kind != store.CountEstimated, n.N < 0:
				e.t.Errorf("estimated, %s: count %+v", tc.name, n)
			}
		}
	}},
}

// pageCustomers inserts n customers whose ids ascend, each with a
// company name of "page".
func pageCustomers(e *env, n int) []*customer.Customer {
	t := now()
	cs := make([]*customer.Customer, n)
	for i := range cs {
		cs[i] = &customer.Customer{ID: fmt.Sprintf("cus_page%02d", i), CompanyName: "Page",
			Email: fmt.Sprintf("p%02d@example.com", i), HasAccount: i%2 == 0, CreatedAt: t, UpdatedAt: t}
	}
	e.must(e.st.InsertCustomers(e.ctx, cs))
	return cs
}
