package storetest

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// The order tests list sortRows rows of an entity ordered by each column
// of its Sortable declaration, both ways, and compare with the order the
// suite computes itself from the values it wrote. Every column holds
// different values in different rows, with a tie and, where the column
// may be empty, NULLs; the values of each column are shuffled so that
// each (column, direction) gives an order of its own, different from the
// id order a backend falls back to when it ignores a column. A backend
// that does not know a column, ignores it, or sorts by another one fails.

const sortRows = 6

// sortText are text values in ascending byte order (COLLATE "C"): a
// collation that ignores case or accents orders them differently.
var sortText = [sortRows]string{"Alpha", "Zulu", "alpha", "zulu", "Ölfass", "ölfass"}

var sortBase = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

func sortTime(rank int) time.Time {
	return sortBase.Add(time.Duration(rank) * (time.Hour + time.Microsecond))
}

// Rank multisets: -1 is NULL. Each column's is shuffled.
var (
	ranksUnique   = []int{0, 1, 2, 3, 4, 5}
	ranksText     = []int{0, 1, 2, 3, 3, 4}
	ranksNullText = []int{0, 1, 2, 3, 3, -1}
	ranksBool     = []int{0, 0, 0, 1, 1, 1}
	ranksNullTime = []int{0, 1, 1, 2, -1, -1}
)

// sortColumn is a column as the suite knows it: how to write the value of
// a rank into a row.
type sortColumn[T any] struct {
	name  string
	ranks []int
	set   func(row *T, rank int) // nil for id
}

func idColumn[T any]() sortColumn[T] { return sortColumn[T]{name: "id", ranks: ranksUnique} }

// textColumn writes prefix+sortText[rank] ("" for NULL). unique columns
// get a different value in every row.
func textColumn[T any](name, prefix string, ranks []int, field func(*T) *string) sortColumn[T] {
	return sortColumn[T]{name, ranks, func(r *T, rank int) {
		if rank < 0 {
			*field(r) = ""
		} else {
			*field(r) = prefix + sortText[rank]
		}
	}}
}

func boolColumn[T any](name string, field func(*T) *bool) sortColumn[T] {
	return sortColumn[T]{name, ranksBool, func(r *T, rank int) { *field(r) = rank == 1 }}
}

func timeColumn[T any](name string, field func(*T) *time.Time) sortColumn[T] {
	return sortColumn[T]{name, ranksText, func(r *T, rank int) { *field(r) = sortTime(rank) }}
}

func nullTimeColumn[T any](name string, field func(*T) **time.Time) sortColumn[T] {
	return sortColumn[T]{name, ranksNullTime, func(r *T, rank int) {
		if rank < 0 {
			*field(r) = nil
		} else {
			t := sortTime(rank)
			*field(r) = &t
		}
	}}
}

// sortEntity is one entity's order test.
type sortEntity[T any] struct {
	declared store.Columns[T]
	columns  []sortColumn[T]
	newRow   func(i int) *T // row i, with its id (ids ascend with i)
	id       func(*T) string
	insert   func(e *env, rows []*T)
	list     func(e *env, opts store.ListOptions) ([]*T, error)
	count    func(e *env) (int, error)
}

// ranked is the rank of every row in every column.
type ranked map[string][]int

// shuffle deals each column's ranks to the rows with a generator seeded
// by seed.
func (s sortEntity[T]) shuffle(seed uint64) ranked {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	out := ranked{}
	for _, c := range s.columns {
		ranks := slices.Clone(c.ranks)
		if c.set != nil {
			r.Shuffle(len(ranks), func(i, j int) { ranks[i], ranks[j] = ranks[j], ranks[i] })
		}
		out[c.name] = ranks
	}
	return out
}

// expect returns the row indexes in the order a list by column must give:
// ascending ranks with NULL last (descending: NULL first), ties in id
// order.
func expect(ranks []int, desc bool) []int {
	key := func(i int) int {
		if ranks[i] < 0 {
			return 1 << 30
		}
		return ranks[i]
	}
	order := []int{0, 1, 2, 3, 4, 5}
	slices.SortStableFunc(order, func(a, b int) int {
		c := key(a) - key(b)
		if desc {
			c = -c
		}
		return c
	})
	return order
}

func orderKey(order []int) string {
	var b strings.Builder
	for _, i := range order {
		b.WriteByte(byte('0' + i))
	}
	return b.String()
}

// distinct reports whether every (column, direction) gives an order of its
// own, none of them the id order (but id ascending itself).
func (s sortEntity[T]) distinct(rk ranked) bool {
	seen := map[string]bool{orderKey(ranksUnique): true}
	for _, c := range s.columns {
		for _, desc := range []bool{false, true} {
			if c.set == nil && !desc {
				continue
			}
			k := orderKey(expect(rk[c.name], desc))
			if seen[k] {
				return false
			}
			seen[k] = true
		}
	}
	return true
}

func (s sortEntity[T]) run(e *env) {
	e.t.Helper()
	// Every column the declaration names, and no other.
	var names []string
	for _, c := range s.columns {
		names = append(names, c.name)
	}
	declared := s.declared.Names()
	slices.Sort(names)
	slices.Sort(declared)
	e.same(names, declared)

	var rk ranked
	for seed := uint64(1); ; seed++ {
		if rk = s.shuffle(seed); s.distinct(rk) {
			break
		}
		if seed == 10_000 {
			e.t.Fatal("no shuffle gives every column an order of its own")
		}
	}
	rows := make([]*T, sortRows)
	for i := range rows {
		rows[i] = s.newRow(i)
		for _, c := range s.columns {
			if c.set != nil {
				c.set(rows[i], rk[c.name][i])
			}
		}
	}
	s.insert(e, rows)
	n, err := s.count(e)
	e.must(err)
	e.same(sortRows, n)

	for _, c := range s.columns {
		for _, desc := range []bool{false, true} {
			want := make([]string, sortRows)
			for j, i := range expect(rk[c.name], desc) {
				want[j] = s.id(rows[i])
			}
			o := store.Order{Field: c.name, Desc: desc}
			got, err := s.list(e, store.ListOptions{Order: []store.Order{o}, WithDeleted: true})
			if err != nil {
				e.t.Errorf("order by %s desc=%v: %v", c.name, desc, err)
				continue
			}
			if g := ids(got, s.id); !slices.Equal(want, g) {
				e.t.Errorf("order by %s desc=%v:\n got %v\nwant %v", c.name, desc, g, want)
				continue
			}
			page, err := s.list(e, store.ListOptions{Order: []store.Order{o}, WithDeleted: true, Skip: 1, Take: 3})
			e.must(err)
			if g := ids(page, s.id); !slices.Equal(want[1:4], g) {
				e.t.Errorf("order by %s desc=%v, skip 1 take 3: got %v, want %v", c.name, desc, g, want[1:4])
			}
			s.walk(e, rows, []store.Order{o})
		}
	}
	// Two sort keys, in opposite directions, with ties and NULLs in both.
	for i, c := range s.columns {
		next := s.columns[(i+1)%len(s.columns)]
		if c.name == "id" {
			continue
		}
		s.walk(e, rows, []store.Order{store.Asc(c.name), store.Desc(next.name)})
		s.walk(e, rows, []store.Order{store.Desc(c.name), store.Asc(next.name)})
	}
	// An unknown column fails as the services' check does.
	for _, field := range []string{"nope", "metadata", "ID", ""} {
		_, err := s.list(e, store.ListOptions{Order: []store.Order{store.Asc(field)}})
		e.wantInvalid(err, "order")
		if want := "invalid order: Order field " + field + " is not valid"; err.Error() != want {
			e.t.Errorf("error %q, want %q", err, want)
		}
	}
}

// walk pages through the list ordered by order with cursors, forward from
// the start with After and backward from the end with Before, in pages of
// every size, and checks that each walk visits every row once, in the
// order the declaration's comparison gives (which is how PostgreSQL sorts).
func (s sortEntity[T]) walk(e *env, rows []*T, order []store.Order) {
	e.t.Helper()
	by, err := s.declared.Comparer(order, s.id)
	e.must(err)
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, by)
	want := ids(sorted, s.id)
	cursor := func(row *T) string { return s.declared.Cursor(order, s.id, row) }
	for take := 1; take <= sortRows; take++ {
		var got []string
		after := ""
		for step := 0; step <= sortRows; step++ {
			page, err := s.list(e, store.ListOptions{Order: order, WithDeleted: true, Take: take, After: after})
			if err != nil {
				e.t.Fatalf("order %v, take %d, after %q: %v", order, take, after, err)
			}
			got = append(got, ids(page, s.id)...)
			if len(page) < take {
				break
			}
			after = cursor(page[len(page)-1])
		}
		if !slices.Equal(want, got) {
			e.t.Errorf("order %v, forward by %d:\n got %v\nwant %v", order, take, got, want)
		}
		// Backward from the last row: every row before it, in order.
		got = nil
		before := cursor(sorted[len(sorted)-1])
		for step := 0; step <= sortRows; step++ {
			page, err := s.list(e, store.ListOptions{Order: order, WithDeleted: true, Take: take, Before: before})
			if err != nil {
				e.t.Fatalf("order %v, take %d, before %q: %v", order, take, before, err)
			}
			got = append(ids(page, s.id), got...)
			if len(page) < take {
				break
			}
			before = cursor(page[0])
		}
		if !slices.Equal(want[:len(want)-1], got) {
			e.t.Errorf("order %v, backward by %d:\n got %v\nwant %v", order, take, got, want[:len(want)-1])
		}
	}
	// Without a limit, a cursor keeps every row past it.
	for i, row := range sorted {
		after, err := s.list(e, store.ListOptions{Order: order, WithDeleted: true, After: cursor(row)})
		e.must(err)
		before, err := s.list(e, store.ListOptions{Order: order, WithDeleted: true, Before: cursor(row)})
		e.must(err)
		if g := ids(after, s.id); !slices.Equal(want[i+1:], g) {
			e.t.Errorf("order %v, after row %d: got %v, want %v", order, i, g, want[i+1:])
		}
		if g := ids(before, s.id); !slices.Equal(want[:i], g) {
			e.t.Errorf("order %v, before row %d: got %v, want %v", order, i, g, want[:i])
		}
	}
}

var orderTests = []test{
	{"Order/Customer", func(e *env) {
		// Emails differ in every row: (email, has_account) is unique.
		sortEntity[customer.Customer]{
			declared: customer.Sortable,
			columns: []sortColumn[customer.Customer]{
				idColumn[customer.Customer](),
				textColumn("company_name", "", ranksNullText, func(c *customer.Customer) *string { return &c.CompanyName }),
				textColumn("first_name", "", ranksNullText, func(c *customer.Customer) *string { return &c.FirstName }),
				textColumn("last_name", "", ranksText, func(c *customer.Customer) *string { return &c.LastName }),
				textColumn("email", "", ranksUnique, func(c *customer.Customer) *string { return &c.Email }),
				textColumn("phone", "+", ranksNullText, func(c *customer.Customer) *string { return &c.Phone }),
				boolColumn("has_account", func(c *customer.Customer) *bool { return &c.HasAccount }),
				textColumn("created_by", "user_", ranksNullText, func(c *customer.Customer) *string { return &c.CreatedBy }),
				timeColumn("created_at", func(c *customer.Customer) *time.Time { return &c.CreatedAt }),
				timeColumn("updated_at", func(c *customer.Customer) *time.Time { return &c.UpdatedAt }),
				nullTimeColumn("deleted_at", func(c *customer.Customer) **time.Time { return &c.DeletedAt }),
			},
			newRow: func(i int) *customer.Customer { return &customer.Customer{ID: "cus_sort" + string(rune('0'+i))} },
			id:     customerID,
			insert: func(e *env, rows []*customer.Customer) { e.must(e.st.InsertCustomers(e.ctx, rows)) },
			list: func(e *env, opts store.ListOptions) ([]*customer.Customer, error) {
				got, err := e.st.ListCustomers(e.ctx, customer.Filter{}, opts)
				if err != nil {
					return nil, err
				}
				// The one-pass list and count, when the backend has it,
				// orders as the list does.
				if lc, ok := e.st.(customer.ListCounter); ok {
					both, n, err := lc.ListAndCountCustomers(e.ctx, customer.Filter{}, opts)
					if err != nil {
						return nil, err
					}
					e.same(ids(got, customerID), ids(both, customerID))
					e.same(sortRows, n)
				}
				return got, nil
			},
			count: func(e *env) (int, error) {
				return e.st.CountCustomers(e.ctx, customer.Filter{}, store.ListOptions{WithDeleted: true})
			},
		}.run(e)
	}},
	{"Order/Address", func(e *env) {
		// Each address belongs to a customer of its own, so the default
		// flags never collide.
		sortEntity[address.Address]{
			declared: address.Sortable,
			columns: []sortColumn[address.Address]{
				idColumn[address.Address](),
				textColumn("customer_id", "cus_", ranksUnique, func(a *address.Address) *string { return &a.CustomerID }),
				textColumn("address_name", "", ranksNullText, func(a *address.Address) *string { return &a.AddressName }),
				boolColumn("is_default_shipping", func(a *address.Address) *bool { return &a.IsDefaultShipping }),
				boolColumn("is_default_billing", func(a *address.Address) *bool { return &a.IsDefaultBilling }),
				textColumn("company", "", ranksNullText, func(a *address.Address) *string { return &a.Company }),
				textColumn("first_name", "", ranksNullText, func(a *address.Address) *string { return &a.FirstName }),
				textColumn("last_name", "", ranksText, func(a *address.Address) *string { return &a.LastName }),
				textColumn("address_1", "1 ", ranksNullText, func(a *address.Address) *string { return &a.Address1 }),
				textColumn("address_2", "", ranksNullText, func(a *address.Address) *string { return &a.Address2 }),
				textColumn("city", "", ranksText, func(a *address.Address) *string { return &a.City }),
				textColumn("country_code", "", ranksNullText, func(a *address.Address) *string { return &a.CountryCode }),
				textColumn("province", "", ranksNullText, func(a *address.Address) *string { return &a.Province }),
				textColumn("postal_code", "", ranksText, func(a *address.Address) *string { return &a.PostalCode }),
				textColumn("phone", "+", ranksNullText, func(a *address.Address) *string { return &a.Phone }),
				timeColumn("created_at", func(a *address.Address) *time.Time { return &a.CreatedAt }),
				timeColumn("updated_at", func(a *address.Address) *time.Time { return &a.UpdatedAt }),
				nullTimeColumn("deleted_at", func(a *address.Address) **time.Time { return &a.DeletedAt }),
			},
			newRow: func(i int) *address.Address { return &address.Address{ID: "cuaddr_sort" + string(rune('0'+i))} },
			id:     addressID,
			insert: func(e *env, rows []*address.Address) {
				t := now()
				cs := make([]*customer.Customer, sortRows)
				for i := range cs {
					cs[i] = &customer.Customer{ID: "cus_" + sortText[i], CreatedAt: t, UpdatedAt: t}
				}
				e.must(e.st.InsertCustomers(e.ctx, cs))
				e.must(e.st.InsertAddresses(e.ctx, rows))
			},
			list: func(e *env, opts store.ListOptions) ([]*address.Address, error) {
				return e.st.ListAddresses(e.ctx, address.Filter{}, opts)
			},
			count: func(e *env) (int, error) {
				return e.st.CountAddresses(e.ctx, address.Filter{}, store.ListOptions{WithDeleted: true})
			},
		}.run(e)
	}},
	{"Order/Group", func(e *env) {
		sortEntity[group.Group]{
			declared: group.Sortable,
			columns: []sortColumn[group.Group]{
				idColumn[group.Group](),
				textColumn("name", "", ranksUnique, func(g *group.Group) *string { return &g.Name }),
				textColumn("created_by", "user_", ranksNullText, func(g *group.Group) *string { return &g.CreatedBy }),
				timeColumn("created_at", func(g *group.Group) *time.Time { return &g.CreatedAt }),
				timeColumn("updated_at", func(g *group.Group) *time.Time { return &g.UpdatedAt }),
				nullTimeColumn("deleted_at", func(g *group.Group) **time.Time { return &g.DeletedAt }),
			},
			newRow: func(i int) *group.Group { return &group.Group{ID: "cusgroup_sort" + string(rune('0'+i))} },
			id:     groupID,
			insert: func(e *env, rows []*group.Group) { e.must(e.st.InsertGroups(e.ctx, rows)) },
			list: func(e *env, opts store.ListOptions) ([]*group.Group, error) {
				return e.st.ListGroups(e.ctx, group.Filter{}, opts)
			},
			count: func(e *env) (int, error) {
				return e.st.CountGroups(e.ctx, group.Filter{}, store.ListOptions{WithDeleted: true})
			},
		}.run(e)
	}},
	{"Order/AuthIdentity", func(e *env) {
		sortEntity[auth.AuthIdentity]{
			declared: auth.Sortable,
			columns: []sortColumn[auth.AuthIdentity]{
				idColumn[auth.AuthIdentity](),
				timeColumn("created_at", func(a *auth.AuthIdentity) *time.Time { return &a.CreatedAt }),
				timeColumn("updated_at", func(a *auth.AuthIdentity) *time.Time { return &a.UpdatedAt }),
				nullTimeColumn("deleted_at", func(a *auth.AuthIdentity) **time.Time { return &a.DeletedAt }),
			},
			newRow: func(i int) *auth.AuthIdentity { return &auth.AuthIdentity{ID: "authid_sort" + string(rune('0'+i))} },
			id:     identityID,
			insert: func(e *env, rows []*auth.AuthIdentity) { e.must(e.st.InsertAuthIdentities(e.ctx, rows)) },
			list: func(e *env, opts store.ListOptions) ([]*auth.AuthIdentity, error) {
				return e.st.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, opts)
			},
			count: func(e *env) (int, error) {
				return e.st.CountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{WithDeleted: true})
			},
		}.run(e)
	}},
	{"Order/ProviderIdentity", func(e *env) {
		sortEntity[auth.ProviderIdentity]{
			declared: auth.ProviderSortable,
			columns: []sortColumn[auth.ProviderIdentity]{
				idColumn[auth.ProviderIdentity](),
				timeColumn("created_at", func(p *auth.ProviderIdentity) *time.Time { return &p.CreatedAt }),
				timeColumn("updated_at", func(p *auth.ProviderIdentity) *time.Time { return &p.UpdatedAt }),
				nullTimeColumn("deleted_at", func(p *auth.ProviderIdentity) **time.Time { return &p.DeletedAt }),
			},
			newRow: func(i int) *auth.ProviderIdentity {
				return &auth.ProviderIdentity{ID: "01SORT" + string(rune('0'+i)), AuthIdentityID: "authid_sort",
					Provider: "manual", EntityID: "entity-" + string(rune('0'+i))}
			},
			id: providerID,
			insert: func(e *env, rows []*auth.ProviderIdentity) {
				t := now()
				e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{{ID: "authid_sort", CreatedAt: t, UpdatedAt: t}}))
				e.must(e.st.InsertProviderIdentities(e.ctx, rows))
			},
			list: func(e *env, opts store.ListOptions) ([]*auth.ProviderIdentity, error) {
				return e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, opts)
			},
			count: func(e *env) (int, error) {
				all, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{WithDeleted: true})
				return len(all), err
			},
		}.run(e)
	}},
}
