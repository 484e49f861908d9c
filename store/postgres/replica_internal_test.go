package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/clientele/clientele/store"
)

// BenchmarkReadConn measures the routing of one read: no replica; a
// replica whose last lag measure vouches for it, from a plain context and
// from one that wrote. No statement runs: the pools never connect.
func BenchmarkReadConn(b *testing.B) {
	db := func() *bun.DB {
		cfg, err := pgx.ParseConfig("postgres://nobody@127.0.0.1:1/none")
		if err != nil {
			b.Fatal(err)
		}
		d := bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New())
		b.Cleanup(func() { _ = d.Close() })
		return d
	}
	q := newQuery(customerTable)
	plain := store.ReadYourWrites(context.Background())
	wrote := store.ReadYourWrites(context.Background())
	store.MarkWritten(wrote)
	measured := func() *Store {
		s := NewWithReplica(db(), db())
		s.lag.ok.Store(true) // vouched for, an hour ahead
		s.lag.at.Store(time.Now().Add(time.Hour).UnixNano())
		return s
	}
	for _, c := range []struct {
		name    string
		s       *Store
		ctx     context.Context
		replica bool
	}{
		{"no-replica", New(db()), plain, false},
		{"replica", measured(), plain, true},
		{"replica/after-write", measured(), wrote, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got := c.s.readConn(c.ctx, q)
				if onReplica := c.s.replica != nil && got == sqlConn(c.s.replica.DB); onReplica != c.replica {
					b.Fatalf("readConn chose the wrong database")
				}
			}
		})
	}
}
