package servicetest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// The tests of group.Service.IsMember (group.Store.HasMembership) and
// group.Service.GetOrCreate.

// gmFixture is a customer in two live groups, "VIP" and "Wholesale", plus
// a customer in none and a group with no members, "Empty".
type gmFixture struct {
	member, loner        *customer.Customer
	vip, wholesale, none *group.Group
}

func gmSetup(e *env) gmFixture {
	e.t.Helper()
	var f gmFixture
	var err error
	for _, c := range []**customer.Customer{&f.member, &f.loner} {
		if *c, err = e.customers.Create(e.ctx, customer.CreateParams{}); err != nil {
			e.t.Fatal(err)
		}
	}
	for name, g := range map[string]**group.Group{"VIP": &f.vip, "Wholesale": &f.wholesale, "Empty": &f.none} {
		if *g, err = e.groups.Create(e.ctx, group.CreateParams{Name: name}); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.groups.Add(e.ctx, group.Pair{CustomerID: f.member.ID, GroupID: f.vip.ID},
		group.Pair{CustomerID: f.member.ID, GroupID: f.wholesale.ID}); err != nil {
		e.t.Fatal(err)
	}
	return f
}

// gmIsMember checks IsMember's answer for each case.
func gmIsMember(e *env, cases []gmCase) {
	e.t.Helper()
	for _, tc := range cases {
		got, err := e.groups.IsMember(e.ctx, tc.customer, tc.m)
		if err != nil {
			e.t.Errorf("%s: IsMember(%q, %+v): %v", tc.name, tc.customer, tc.m, err)
			continue
		}
		if got != tc.want {
			e.t.Errorf("%s: IsMember(%q, %+v) = %v, want %v", tc.name, tc.customer, tc.m, got, tc.want)
		}
	}
}

type gmCase struct {
	name     string
	customer string
	m        group.Match
	want     bool
}

func gmCreatedEvents(e *env) int {
	n := 0
	for _, ev := range e.events.Events() {
		if ev.Name == group.EventCreated {
			n++
		}
	}
	return n
}

var groupMemberTests = []test{
	{"GroupMember/IsMember", func(e *env) {
		f := gmSetup(e)
		gmIsMember(e, []gmCase{
			{"by id", f.member.ID, group.Match{IDs: []string{f.vip.ID}}, true},
			{"by one of several ids", f.member.ID, group.Match{IDs: []string{"cusgroup_unknown", f.none.ID, f.wholesale.ID}}, true},
			{"by name", f.member.ID, group.Match{Names: []string{"VIP"}}, true},
			{"by one of several names", f.member.ID, group.Match{Names: []string{"Empty", "Wholesale", "Nope"}}, true},
			{"by name, trimmed", f.member.ID, group.Match{Names: []string{"  VIP "}}, true},
			{"by id or name, id matches", f.member.ID, group.Match{IDs: []string{f.vip.ID}, Names: []string{"Nope"}}, true},
			{"by id or name, name matches", f.member.ID, group.Match{IDs: []string{f.none.ID}, Names: []string{"Wholesale"}}, true},
			{"other group by id", f.member.ID, group.Match{IDs: []string{f.none.ID}}, false},
			{"other group by name", f.member.ID, group.Match{Names: []string{"Empty"}}, false},
			{"names are case-sensitive", f.member.ID, group.Match{Names: []string{"vip"}}, false},
			{"a name is not an id", f.member.ID, group.Match{IDs: []string{"VIP"}}, false},
			{"an id is not a name", f.member.ID, group.Match{Names: []string{f.vip.ID}}, false},
			{"unknown group", f.member.ID, group.Match{IDs: []string{"cusgroup_unknown"}, Names: []string{"Unknown"}}, false},
			{"customer in no group", f.loner.ID, group.Match{IDs: []string{f.vip.ID, f.wholesale.ID, f.none.ID}, Names: []string{"VIP"}}, false},
			{"unknown customer", "cus_unknown", group.Match{IDs: []string{f.vip.ID}, Names: []string{"VIP"}}, false},
		})
	}},
	{"GroupMember/IsMemberDeletedGroup", func(e *env) {
		f := gmSetup(e)
		if _, err := e.groups.SoftDelete(e.ctx, f.vip.ID); err != nil {
			e.t.Fatal(err)
		}
		cases := []gmCase{
			{"soft-deleted group by id", f.member.ID, group.Match{IDs: []string{f.vip.ID}}, false},
			{"soft-deleted group by name", f.member.ID, group.Match{Names: []string{"VIP"}}, false},
			{"live group beside the deleted one", f.member.ID, group.Match{IDs: []string{f.vip.ID}, Names: []string{"Wholesale"}}, true},
		}
		gmIsMember(e, cases)
		// A new live group that takes the deleted group's name does not
		// make the deleted group's members its members.
		if _, err := e.groups.Create(e.ctx, group.CreateParams{Name: "VIP"}); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, cases)
		if _, err := e.groups.Restore(e.ctx, f.vip.ID); !errors.Is(err, group.ErrConflict) {
			e.t.Fatalf("restore under a taken name: %v", err)
		}
		if err := e.groups.DeleteWhere(e.ctx, group.Filter{Names: []string{"VIP"}}); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, []gmCase{{"hard-deleted group", f.member.ID, group.Match{IDs: []string{f.vip.ID}, Names: []string{"VIP"}}, false}})
	}},
	{"GroupMember/IsMemberDeletedMembership", func(e *env) {
		f := gmSetup(e)
		t := time.Now().UTC().Truncate(time.Microsecond)
		// A soft-deleted pivot row, as a Medusa database may hold.
		if err := e.st.InsertMemberships(e.ctx, []*group.Membership{
			{ID: "cusgc_gm_deleted", CustomerID: f.loner.ID, GroupID: f.none.ID, CreatedAt: t, UpdatedAt: t, DeletedAt: &t},
		}); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, []gmCase{
			{"soft-deleted membership by id", f.loner.ID, group.Match{IDs: []string{f.none.ID}}, false},
			{"soft-deleted membership by name", f.loner.ID, group.Match{Names: []string{"Empty"}}, false},
		})
		// A removed membership is gone.
		if err := e.groups.Remove(e.ctx, group.Pair{CustomerID: f.member.ID, GroupID: f.vip.ID}); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, []gmCase{
			{"removed membership", f.member.ID, group.Match{IDs: []string{f.vip.ID}, Names: []string{"VIP"}}, false},
			{"membership left", f.member.ID, group.Match{IDs: []string{f.vip.ID}, Names: []string{"Wholesale"}}, true},
		})
	}},
	{"GroupMember/IsMemberLegacyDuplicates", func(e *env) {
		f := gmSetup(e)
		t := time.Now().UTC().Truncate(time.Microsecond)
		if err := e.st.InsertMemberships(e.ctx, []*group.Membership{
			{ID: "cusgc_gm_dup1", CustomerID: f.loner.ID, GroupID: f.none.ID, CreatedAt: t, UpdatedAt: t},
			{ID: "cusgc_gm_dup2", CustomerID: f.loner.ID, GroupID: f.none.ID, CreatedAt: t, UpdatedAt: t},
		}); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, []gmCase{{"duplicate rows", f.loner.ID, group.Match{IDs: []string{f.none.ID}, Names: []string{"Empty"}}, true}})
	}},
	{"GroupMember/IsMemberDeletedCustomer", func(e *env) {
		f := gmSetup(e)
		m := group.Match{IDs: []string{f.vip.ID}, Names: []string{"Wholesale"}}
		if _, err := e.customers.SoftDelete(e.ctx, f.member.ID); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, []gmCase{{"soft-deleted customer", f.member.ID, m, false}})
		// The memberships stay, so a restore brings membership back.
		if _, err := e.customers.Restore(e.ctx, f.member.ID); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, []gmCase{{"restored customer", f.member.ID, m, true}})
		if err := e.customers.Delete(e.ctx, f.member.ID); err != nil {
			e.t.Fatal(err)
		}
		gmIsMember(e, []gmCase{{"deleted customer", f.member.ID, m, false}})
	}},
	{"GroupMember/IsMemberBadInput", func(e *env) {
		f := gmSetup(e)
		cases := []struct {
			name, customer string
			m              group.Match
			field          string
		}{
			{"empty customer id", "", group.Match{IDs: []string{f.vip.ID}}, "customer_id"},
			{"blank customer id", "  ", group.Match{Names: []string{"VIP"}}, "customer_id"},
			{"empty match", f.member.ID, group.Match{}, "match"},
			{"empty lists", f.member.ID, group.Match{IDs: []string{}, Names: []string{}}, "match"},
			{"empty id", f.member.ID, group.Match{IDs: []string{f.vip.ID, ""}}, "ids[1]"},
			{"blank name", f.member.ID, group.Match{IDs: []string{f.vip.ID}, Names: []string{" "}}, "names[0]"},
		}
		for _, tc := range cases {
			got, err := e.groups.IsMember(e.ctx, tc.customer, tc.m)
			var ve *store.ValidationError
			if got || !errors.Is(err, group.ErrInvalid) || !errors.Is(err, store.ErrInvalid) || !errors.As(err, &ve) || ve.Field != tc.field {
				e.t.Errorf("%s: IsMember = %v, %v; want a validation error on %q", tc.name, got, err, tc.field)
			}
		}
	}},
	{"GroupMember/GetOrCreate", func(e *env) {
		existing, err := e.groups.Create(e.ctx, group.CreateParams{Name: "VIP", Metadata: map[string]any{"tier": "gold"}})
		if err != nil {
			e.t.Fatal(err)
		}
		e.events.Reset()
		got, created, err := e.groups.GetOrCreate(e.ctx, " VIP ")
		if err != nil || created || got.ID != existing.ID || got.Metadata["tier"] != "gold" {
			e.t.Fatalf("existing: GetOrCreate = %+v, %v, %v; want %s, false", got, created, err, existing.ID)
		}
		if n := gmCreatedEvents(e); n != 0 {
			e.t.Fatalf("%d created events for an existing group", n)
		}
		fresh, created, err := e.groups.GetOrCreate(e.ctx, "Wholesale")
		if err != nil || !created || fresh.Name != "Wholesale" || fresh.ID == "" {
			e.t.Fatalf("new: GetOrCreate = %+v, %v, %v", fresh, created, err)
		}
		if n := gmCreatedEvents(e); n != 1 {
			e.t.Fatalf("%d created events for a new group, want 1", n)
		}
		stored, err := e.groups.Retrieve(e.ctx, fresh.ID, store.FindOptions{})
		if err != nil || stored.Name != "Wholesale" {
			e.t.Fatalf("the new group is not stored: %+v, %v", stored, err)
		}
		again, created, err := e.groups.GetOrCreate(e.ctx, "Wholesale")
		if err != nil || created || again.ID != fresh.ID {
			e.t.Fatalf("again: GetOrCreate = %+v, %v, %v; want %s, false", again, created, err, fresh.ID)
		}
		// Names are case-sensitive, as in Medusa.
		other, created, err := e.groups.GetOrCreate(e.ctx, "vip")
		if err != nil || !created || other.ID == existing.ID {
			e.t.Fatalf("case variant: GetOrCreate = %+v, %v, %v", other, created, err)
		}
	}},
	{"GroupMember/GetOrCreateSoftDeletedName", func(e *env) {
		old, err := e.groups.Create(e.ctx, group.CreateParams{Name: "VIP"})
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.groups.SoftDelete(e.ctx, old.ID); err != nil {
			e.t.Fatal(err)
		}
		got, created, err := e.groups.GetOrCreate(e.ctx, "VIP")
		if err != nil || !created || got.ID == old.ID || got.DeletedAt != nil {
			e.t.Fatalf("GetOrCreate over a soft-deleted name = %+v, %v, %v; want a new group", got, created, err)
		}
		all, err := e.groups.List(e.ctx, group.Filter{Names: []string{"VIP"}}, store.ListOptions{WithDeleted: true})
		if err != nil || len(all) != 2 {
			e.t.Fatalf("groups named VIP: %d, %v; want the deleted one and the new one", len(all), err)
		}
		again, created, err := e.groups.GetOrCreate(e.ctx, "VIP")
		if err != nil || created || again.ID != got.ID {
			e.t.Fatalf("again: GetOrCreate = %+v, %v, %v; want %s", again, created, err, got.ID)
		}
	}},
	{"GroupMember/GetOrCreateBadInput", func(e *env) {
		for _, name := range []string{"", "   ", "\t\n"} {
			g, created, err := e.groups.GetOrCreate(e.ctx, name)
			var ve *store.ValidationError
			if g != nil || created || !errors.Is(err, group.ErrInvalid) || !errors.Is(err, store.ErrInvalid) || !errors.As(err, &ve) || ve.Field != "name" {
				e.t.Errorf("GetOrCreate(%q) = %v, %v, %v; want a validation error on name", name, g, created, err)
			}
		}
		all, err := e.groups.List(e.ctx, group.Filter{}, store.ListOptions{WithDeleted: true})
		if err != nil || len(all) != 0 {
			e.t.Fatalf("bad input left %d groups (%v)", len(all), err)
		}
	}},
	{"GroupMember/GetOrCreateInUnit", func(e *env) {
		// Inside a unit of work GetOrCreate joins it: a failed unit keeps
		// no group, and the created event is not sent.
		e.events.Reset()
		errRollback := errors.New("roll back")
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			g, created, err := e.groups.GetOrCreate(ctx, "Unit")
			if err != nil || !created {
				e.t.Errorf("in unit: GetOrCreate = %+v, %v, %v", g, created, err)
			}
			again, created, err := e.groups.GetOrCreate(ctx, "Unit")
			if err != nil || created || again == nil || g == nil || again.ID != g.ID {
				e.t.Errorf("in unit, again: GetOrCreate = %+v, %v, %v", again, created, err)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			e.t.Fatalf("InTx: %v", err)
		}
		all, err := e.groups.List(e.ctx, group.Filter{}, store.ListOptions{WithDeleted: true})
		if err != nil || len(all) != 0 || gmCreatedEvents(e) != 0 {
			e.t.Fatalf("a rolled back unit left %d groups and %d events (%v)", len(all), gmCreatedEvents(e), err)
		}
	}},
	{"GroupMember/GetOrCreateConcurrent", func(e *env) {
		const callers = 20
		e.events.Reset()
		var wg sync.WaitGroup
		ids := make([]string, callers)
		created := make([]bool, callers)
		errs := make([]error, callers)
		start := make(chan struct{})
		for i := range callers {
			wg.Go(func() {
				<-start
				g, c, err := e.groups.GetOrCreate(e.ctx, "Race")
				errs[i], created[i] = err, c
				if err == nil {
					ids[i] = g.ID
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				e.t.Fatalf("caller %d: %v", i, err)
			}
		}
		all, err := e.groups.List(e.ctx, group.Filter{Names: []string{"Race"}}, store.ListOptions{WithDeleted: true})
		if err != nil || len(all) != 1 {
			e.t.Fatalf("%d groups named Race after concurrent GetOrCreate (%v), want 1", len(all), err)
		}
		winners := 0
		for i := range callers {
			if ids[i] != all[0].ID {
				e.t.Errorf("caller %d got %s, want %s", i, ids[i], all[0].ID)
			}
			if created[i] {
				winners++
			}
		}
		if winners != 1 {
			e.t.Errorf("%d callers saw created=true, want 1", winners)
		}
		if n := gmCreatedEvents(e); n != 1 {
			e.t.Errorf("%d created events, want 1", n)
		}
	}},
}
