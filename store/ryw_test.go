package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/clientele/clientele/store"
)

type testKey struct{}

func TestReadYourWrites(t *testing.T) {
	t.Run("NoMarker", func(t *testing.T) {
		ctx := context.Background()
		store.MarkWritten(ctx) // nothing to record in, and no panic
		if store.Written(ctx) {
			t.Error("Written is true without a marker")
		}
	})
	t.Run("DerivedContextsShareTheMarker", func(t *testing.T) {
		req := store.ReadYourWrites(context.Background())
		if store.Written(req) {
			t.Fatal("a new marker says written")
		}
		unit := context.WithValue(req, testKey{}, 1) // as a unit of work derives its context
		store.MarkWritten(unit)
		if !store.Written(req) {
			t.Error("a write through a derived context is not seen by the request's context")
		}
	})
	t.Run("NestedCallKeepsTheMarker", func(t *testing.T) {
		req := store.ReadYourWrites(context.Background())
		store.MarkWritten(req)
		if again := store.ReadYourWrites(req); !store.Written(again) {
			t.Error("a nested ReadYourWrites forgot the write")
		}
	})
	t.Run("MarkersAreIndependent", func(t *testing.T) {
		a := store.ReadYourWrites(context.Background())
		b := store.ReadYourWrites(context.Background())
		store.MarkWritten(a)
		if store.Written(b) {
			t.Error("a write in one request marked another")
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		ctx := store.ReadYourWrites(context.Background())
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				store.MarkWritten(ctx)
				_ = store.Written(ctx)
			})
		}
		wg.Wait()
		if !store.Written(ctx) {
			t.Error("concurrent writes were not recorded")
		}
	})
}

// A request that reads from a replica, then writes, then reads again: the
// second read must see the write, so the backend sends it to the primary.
func ExampleReadYourWrites() {
	ctx := store.ReadYourWrites(context.Background()) // once per request
	fmt.Println(store.Written(ctx))                   // reads may use a replica
	store.MarkWritten(ctx)                            // a backend records a write
	fmt.Println(store.Written(ctx))                   // later reads go to the primary
	// Output:
	// false
	// true
}
