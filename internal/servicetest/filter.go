package servicetest

import (
	"strings"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// nested returns a filter whose And nests depth deep.
func nested(depth int) customer.Filter {
	f := customer.Filter{FirstName: store.Eq("x")}
	for range depth {
		f = customer.Filter{And: []customer.Filter{f}}
	}
	return f
}

var filterTests = []test{
	{"Filter/OperatorsThroughServices", func(e *env) {
		ann := e.customer(customer.CreateParams{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee"})
		bob := e.customer(customer.CreateParams{Email: "bob@shop.org", FirstName: "Bob", LastName: "Lee"})
		e.customer(customer.CreateParams{Email: "cat@example.com", FirstName: "Cat"})
		vip := e.group("VIP")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: bob.ID, GroupID: vip.ID})
		e.must(err)
		list, n, err := e.customers.ListAndCount(e.ctx, customer.Filter{
			Email: store.ILike("%@EXAMPLE.com"),
			Or:    []customer.Filter{{LastName: store.IsNull()}, {FirstName: store.Like("A%")}},
		}, store.ListOptions{Take: 1})
		e.must(err)
		e.same([]string{ann.ID}, customerIDs(list))
		e.same(2, n)
		got, err := e.customers.List(e.ctx, customer.Filter{Groups: &customer.GroupFilter{Name: store.ILike("vip")}}, store.ListOptions{})
		e.must(err)
		e.same([]string{bob.ID}, customerIDs(got))
		gs, err := e.groups.List(e.ctx, group.Filter{Customers: &group.CustomerFilter{Email: store.Like("%shop%")}}, store.ListOptions{})
		e.must(err)
		e.same([]string{"VIP"}, names(gs))
		// Filters select what UpdateWhere and DeleteWhere touch too.
		updated, err := e.customers.UpdateWhere(e.ctx, customer.Filter{LastName: store.Eq("Lee"), ID: store.Ne(ann.ID)},
			customer.UpdateParams{CompanyName: ptr("Shop")})
		e.must(err)
		e.same([]string{bob.ID}, customerIDs(updated))
		e.must(e.customers.DeleteWhere(e.ctx, customer.Filter{Or: []customer.Filter{{FirstName: store.Eq("Cat")}}}))
		left, err := e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{})
		e.must(err)
		e.same([]string{ann.ID, bob.ID}, customerIDs(left))
		// An address list of one customer with the new text columns.
		a := e.address(address.CreateParams{CustomerID: ann.ID, FirstName: "Ann", Address1: "1 Main St", Phone: "+4511"})
		e.address(address.CreateParams{CustomerID: ann.ID, FirstName: "Bo", Address2: "Apt 2"})
		as, n, err := e.addresses.ListAndCount(e.ctx, address.Filter{CustomerIDs: []string{ann.ID},
			Or: []address.Filter{{Address1: store.ILike("%main%")}, {Phone: store.Like("+45%")}}}, store.ListOptions{})
		e.must(err)
		e.same(1, n)
		e.same(a.ID, as[0].ID)
	}},
	{"Filter/SoftDeletedByDeletedAt", func(e *env) {
		ann := e.customer(customer.CreateParams{FirstName: "Ann"})
		bob := e.customer(customer.CreateParams{FirstName: "Bob"})
		_, err := e.customers.SoftDelete(e.ctx, bob.ID)
		e.must(err)
		got, err := e.customers.List(e.ctx, customer.Filter{DeletedAt: store.TimeFilter{Gte: time.Unix(0, 0)}}, store.ListOptions{})
		e.must(err)
		e.same([]string{bob.ID}, customerIDs(got))
		got, err = e.customers.List(e.ctx, customer.Filter{Or: []customer.Filter{{DeletedAt: store.TimeFilter{Gte: time.Unix(0, 0)}}, {ID: store.Eq(ann.ID)}}}, store.ListOptions{})
		e.must(err)
		e.same([]string{ann.ID, bob.ID}, customerIDs(got))
	}},
	{"Filter/BadOperatorValues", func(e *env) {
		c := e.customer(customer.CreateParams{FirstName: "Ann"})
		e.address(address.CreateParams{CustomerID: c.ID, City: "Paris"})
		e.group("vip")
		before := e.snapshot()
		many := make([]string, store.MaxFilterValues+1)
		for i := range many {
			many[i] = "cus_" + strings.Repeat("x", i%7)
		}
		manyTimes := make([]time.Time, store.MaxFilterValues+1)
		long := strings.Repeat("%a", store.MaxPatternBytes/2) + "%"
		wide := customer.Filter{}
		for range store.MaxFilterTerms + 1 {
			wide.Or = append(wide.Or, customer.Filter{FirstName: store.Eq("Ann")})
		}
		for _, tc := range []struct {
			field string
			f     customer.Filter
		}{
			{"first_name", customer.Filter{FirstName: store.Like(`Ann\`)}},
			{"email", customer.Filter{Email: store.ILike(`%\\\`)}},
			{"email", customer.Filter{Email: store.ILike(long)}},
			{"id", customer.Filter{ID: store.Eq(many...)}},
			{"id", customer.Filter{ID: store.Ne(many...)}},
			{"created_at", customer.Filter{CreatedAt: store.TimeFilter{In: manyTimes}}},
			{"deleted_at", customer.Filter{DeletedAt: store.TimeFilter{NotIn: manyTimes}}},
			{"groups.name", customer.Filter{Groups: &customer.GroupFilter{Name: store.Like(`x\`)}}},
			{"or[1].q", customer.Filter{Or: []customer.Filter{{}, {Q: "ann"}}}},
			{"and[0].or[0].last_name", customer.Filter{And: []customer.Filter{{Or: []customer.Filter{{LastName: store.ILike(`\`)}}}}}},
			{"and[0].and[0].and[0].and[0].and[0]", nested(store.MaxFilterDepth + 1)},
			{"or[100]", wide},
			{"or[0].first_name[0]", customer.Filter{Or: []customer.Filter{{FirstName: store.Eq("a\x00")}}}},
			{"and[0].email", customer.Filter{And: []customer.Filter{{Email: store.Like("\xff")}}}},
		} {
			_, err := e.customers.List(e.ctx, tc.f, store.ListOptions{})
			e.wantInvalid(err, tc.field, customer.ErrInvalid)
			_, _, err = e.customers.ListAndCount(e.ctx, tc.f, store.ListOptions{})
			e.wantInvalid(err, tc.field, customer.ErrInvalid)
			_, err = e.customers.UpdateWhere(e.ctx, tc.f, customer.UpdateParams{FirstName: ptr("x")})
			e.wantInvalid(err, tc.field, customer.ErrInvalid)
			e.wantInvalid(e.customers.DeleteWhere(e.ctx, tc.f), tc.field, customer.ErrInvalid)
		}
		// At the bounds: answered.
		_, err := e.customers.List(e.ctx, nested(store.MaxFilterDepth), store.ListOptions{})
		e.must(err)
		wide.Or = wide.Or[:store.MaxFilterTerms]
		_, err = e.customers.List(e.ctx, wide, store.ListOptions{})
		e.must(err)
		_, err = e.customers.List(e.ctx, customer.Filter{ID: store.Eq(many[:store.MaxFilterValues]...), FirstName: store.Like(long[1:])}, store.ListOptions{})
		e.must(err)
		_, err = e.customers.List(e.ctx, customer.Filter{FirstName: store.Like(`Ann\\`)}, store.ListOptions{})
		e.must(err)

		for _, tc := range []struct {
			field string
			f     group.Filter
		}{
			{"name", group.Filter{Name: store.Like(`v\`)}},
			{"customers.email", group.Filter{Customers: &group.CustomerFilter{Email: store.ILike(`\`)}}},
			{"customers.id", group.Filter{Customers: &group.CustomerFilter{ID: store.Eq(many...)}}},
			{"or[0].q", group.Filter{Or: []group.Filter{{Q: "vip"}}}},
			{"and[0].created_at", group.Filter{And: []group.Filter{{CreatedAt: store.TimeFilter{In: manyTimes}}}}},
		} {
			_, err := e.groups.List(e.ctx, tc.f, store.ListOptions{})
			e.wantInvalid(err, tc.field, group.ErrInvalid)
			_, _, err = e.groups.ListAndCount(e.ctx, tc.f, store.ListOptions{})
			e.wantInvalid(err, tc.field, group.ErrInvalid)
		}
		for _, tc := range []struct {
			field string
			f     address.Filter
		}{
			{"phone", address.Filter{Phone: store.Like(`+45\`)}},
			{"address_1", address.Filter{Address1: store.Eq(many...)}},
			{"or[0].q", address.Filter{Or: []address.Filter{{Q: "paris"}}}},
			{"or[0].and[0].first_name", address.Filter{Or: []address.Filter{{And: []address.Filter{{FirstName: store.ILike(`\`)}}}}}},
		} {
			_, err := e.addresses.List(e.ctx, tc.f, store.ListOptions{})
			e.wantInvalid(err, tc.field, address.ErrInvalid)
			_, _, err = e.addresses.ListAndCount(e.ctx, tc.f, store.ListOptions{})
			e.wantInvalid(err, tc.field, address.ErrInvalid)
		}
		e.unchanged(before)
	}},
}
