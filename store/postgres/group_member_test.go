package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// memberGroups is the number of groups seedMembers makes; each customer is
// a member of memberOf of them.
const (
	memberGroups = 2000
	memberOf     = 3
)

func memberGroupID(i int) string   { return fmt.Sprintf("cusgroup_bench%04d", i%memberGroups) }
func memberGroupName(i int) string { return fmt.Sprintf("Segment %04d", i%memberGroups) }

// seedMembers adds memberGroups groups to a store holding the customers
// ids and makes customer i a member of groups i, i+1 and i+2 (modulo
// memberGroups). Every hundredth membership has a legacy duplicate row and
// every fiftieth customer also has a soft-deleted membership of group
// i+1000; every hundredth group is soft-deleted.
func seedMembers(tb testing.TB, st *postgres.Store, ids []string) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	groups := make([]*group.Group, memberGroups)
	for i := range groups {
		groups[i] = &group.Group{ID: memberGroupID(i), Name: memberGroupName(i), CreatedAt: now, UpdatedAt: now}
		if i%100 == 99 {
			groups[i].DeletedAt = &now
		}
	}
	if err := st.InsertGroups(ctx, groups); err != nil {
		tb.Fatal(err)
	}
	var ms []*group.Membership
	add := func(c string, g int, deleted bool) {
		m := &group.Membership{ID: fmt.Sprintf("cusgc_bench%07d", len(ms)), CustomerID: c, GroupID: memberGroupID(g), CreatedAt: now, UpdatedAt: now}
		if deleted {
			m.DeletedAt = &now
		}
		ms = append(ms, m)
	}
	for i, c := range ids {
		for k := range memberOf {
			add(c, i+k, false)
			if len(ms)%100 == 0 {
				add(c, i+k, false)
			}
		}
		if i%50 == 0 {
			add(c, i+1000, true)
		}
	}
	for start := 0; start < len(ms); start += 5000 {
		if err := st.InsertMemberships(ctx, ms[start:min(len(ms), start+5000)]); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := st.DB().ExecContext(ctx, "VACUUM ANALYZE customer_group, customer_group_customer"); err != nil {
		tb.Fatal(err)
	}
}

// memberCase is customer i's membership test of one kind, with the answer.
func memberCase(ids []string, kind string, i int) (string, group.Match, bool) {
	c := ids[i%len(ids)]
	g := i % len(ids) // customer i is in groups g, g+1 and g+2
	if g%memberGroups%100 == 99 {
		g++ // a soft-deleted group
	}
	switch kind {
	case "by-id":
		return c, group.Match{IDs: []string{memberGroupID(g)}}, true
	case "by-name":
		return c, group.Match{Names: []string{memberGroupName(g)}}, true
	case "by-ids-or-names":
		return c, group.Match{IDs: []string{memberGroupID(g + 500), memberGroupID(g + 1000)}, Names: []string{memberGroupName(g + 600), memberGroupName(g)}}, true
	default: // not a member: none of the groups is one of the customer's
		return c, group.Match{IDs: []string{memberGroupID(g + 500), memberGroupID(g + 1000)}, Names: []string{memberGroupName(g + 600), memberGroupName(g + 700)}}, false
	}
}

var memberKinds = []string{"by-id", "by-name", "by-ids-or-names", "not-member"}

// TestHasMembershipPlan checks, at 10,000 customers in 2,000 groups, that
// HasMembership is one statement that reaches the customer's memberships
// through Medusa's index on customer_group_customer(customer_id), the
// customer by primary key and the groups by primary key or name, with no
// sequential scan, for every shape of Match, with the generic plan that
// pgx's statement cache leads to. No index of clientele's own is needed.
func TestHasMembershipPlan(t *testing.T) {
	ctx := t.Context()
	base := pgtest.NewStore(t)
	ds := seed(t, base, 10_000)
	seedMembers(t, base, ds.ids)
	st, rec := recordingStore(t)
	shapes := []group.Match{
		{IDs: []string{memberGroupID(1)}},
		{IDs: []string{memberGroupID(1), memberGroupID(2)}},
		{Names: []string{memberGroupName(1)}},
		{Names: []string{memberGroupName(1), memberGroupName(2)}},
		{IDs: []string{memberGroupID(1)}, Names: []string{memberGroupName(2)}},
		{IDs: []string{memberGroupID(1), memberGroupID(3)}, Names: []string{memberGroupName(2), memberGroupName(4)}},
	}
	for _, m := range shapes {
		t.Run(fmt.Sprintf("%d ids %d names", len(m.IDs), len(m.Names)), func(t *testing.T) {
			rec.last("") // forget earlier statements
			if _, err := st.HasMembership(ctx, ds.ids[1], m); err != nil {
				t.Fatal(err)
			}
			rec.mu.Lock()
			n := len(rec.queries)
			rec.mu.Unlock()
			if n != 1 {
				t.Fatalf("%d statements, want 1", n)
			}
			query := rec.lastSelect()
			plan := explain(t, query)
			for _, idx := range []string{"IDX_customer_group_customer_customer_id", "customer_pkey"} {
				if !strings.Contains(plan, idx) {
					t.Errorf("plan does not use %s\nquery: %s\nplan:\n%s", idx, query.sql, plan)
				}
			}
			// A group is found by primary key, or by Medusa's unique index
			// on the name when that is the only condition.
			if !strings.Contains(plan, "customer_group_pkey") && !strings.Contains(plan, "IDX_customer_group_name_unique") {
				t.Errorf("plan reads customer_group by neither index\nquery: %s\nplan:\n%s", query.sql, plan)
			}
			if strings.Contains(plan, "Seq Scan") {
				t.Errorf("plan scans a table sequentially\nquery: %s\nplan:\n%s", query.sql, plan)
			}
			t.Logf("%s %v\n%s", query.sql, query.args, plan)
		})
	}
	// The seeded answers hold.
	svc := newGroups(t, st)
	for _, kind := range memberKinds {
		for i := range 200 {
			c, m, want := memberCase(ds.ids, kind, i*37)
			got, err := svc.IsMember(ctx, c, m)
			if err != nil || got != want {
				t.Fatalf("%s: IsMember(%s, %+v) = %v, %v; want %v", kind, c, m, got, err, want)
			}
		}
	}
}

// BenchmarkIsMember measures group.Service.IsMember at 10,000 customers,
// each in three of 2,000 groups, cycling through the customers: a member
// found by one group id, by one name, by one of two ids or names, and a
// customer that is in none of four groups (every membership of the
// customer is looked at). pgx/… runs the same statement on a pgx pool.
func BenchmarkIsMember(b *testing.B) {
	ctx := context.Background()
	st, ds := seeded(b)
	if memberSeeded != st {
		seedMembers(b, st, ds.ids)
		memberSeeded = st
	}
	svc := newGroups(b, st)
	for _, kind := range memberKinds {
		b.Run("library/service/"+kind, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c, m, want := memberCase(ds.ids, kind, i)
				got, err := svc.IsMember(ctx, c, m)
				if err != nil || got != want {
					b.Fatalf("IsMember(%s, %+v) = %v, %v; want %v", c, m, got, err, want)
				}
				i++
			}
		})
	}
	pool := pgxPool(b)
	b.Run("pgx/cache_statement/by-ids-or-names", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c, m, want := memberCase(ds.ids, "by-ids-or-names", i)
			var got bool
			err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customer_group_customer AS cgc
				JOIN customer_group AS cg ON cg.id = cgc.customer_group_id
				JOIN customer AS c ON c.id = cgc.customer_id
				WHERE cgc.customer_id = $1 AND cgc.deleted_at IS NULL AND cg.deleted_at IS NULL AND c.deleted_at IS NULL
				AND (cg.id = ANY($2) OR cg.name = ANY($3)))`, c, m.IDs, m.Names).Scan(&got)
			if err != nil || got != want {
				b.Fatalf("%v %v", got, err)
			}
			i++
		}
	})
}

// memberSeeded is the store seedMembers last filled.
var memberSeeded *postgres.Store

// TestGetOrCreateLostRace makes GetOrCreate lose the race at Medusa's
// unique index on the name: a unit of work creates the group and holds its
// transaction open until the second call waits on the index, then commits.
// Outside a unit the loser returns the winner's group; inside one it fails
// with ErrConflict (its transaction is aborted) and succeeds when run again.
func TestGetOrCreateLostRace(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	svc := newGroups(t, st)
	waiting := func() {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
			var n int
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("the second GetOrCreate never waited on the unique index")
	}
	race := func(name string, loser func() (*group.Group, bool, error)) (winner, lost *group.Group, created bool, err error) {
		done := make(chan struct{})
		uerr := st.InTx(ctx, func(ctx context.Context) error {
			g, c, werr := svc.GetOrCreate(ctx, name)
			if werr != nil || !c {
				return fmt.Errorf("winner: %v, %v", c, werr)
			}
			winner = g
			go func() {
				defer close(done)
				lost, created, err = loser()
			}()
			waiting()
			return nil
		})
		if uerr != nil {
			t.Fatal(uerr)
		}
		<-done
		return winner, lost, created, err
	}

	winner, got, created, err := race("Outside", func() (*group.Group, bool, error) {
		return svc.GetOrCreate(ctx, "Outside")
	})
	if err != nil || created || got == nil || got.ID != winner.ID {
		t.Fatalf("outside a unit, the loser got %+v, %v, %v; want %s", got, created, err, winner.ID)
	}

	winner, lost, _, err := race("Inside", func() (*group.Group, bool, error) {
		var g *group.Group
		var c bool
		err := st.InTx(ctx, func(ctx context.Context) error {
			var err error
			g, c, err = svc.GetOrCreate(ctx, "Inside")
			return err
		})
		return g, c, err
	})
	if !errors.Is(err, group.ErrConflict) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("inside a unit, the loser got %+v, %v; want ErrConflict", lost, err)
	}
	err = st.InTx(ctx, func(ctx context.Context) error {
		g, c, err := svc.GetOrCreate(ctx, "Inside")
		if err == nil && (c || g.ID != winner.ID) {
			err = fmt.Errorf("got %s, created %v; want %s", g.ID, c, winner.ID)
		}
		return err
	})
	if err != nil {
		t.Fatalf("inside a unit, run again: %v", err)
	}
	all, err := svc.List(ctx, group.Filter{}, store.ListOptions{WithDeleted: true})
	if err != nil || len(all) != 2 {
		t.Fatalf("%d groups (%v), want 2", len(all), err)
	}
}
