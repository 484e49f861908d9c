package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/store"
)

// outboxStore returns the store as an outbox.Store; a backend without one
// (it is optional) skips these tests, saying so.
func (e *env) outboxStore() outbox.Store {
	e.t.Helper()
	os, ok := e.st.(outbox.Store)
	if !ok {
		e.t.Skip("the backend implements no outbox.Store (optional)")
	}
	return os
}

// outboxRecord returns a row of entity key with clear data.
func outboxRecord(id, key string, at time.Time) *outbox.Record {
	return &outbox.Record{ID: id, Name: "thing.changed", EntityKey: key, Data: []byte(`{"id":"` + key + `"}`), CreatedAt: at, AvailableAt: at}
}

func (e *env) appendRecords(os outbox.Store, recs ...*outbox.Record) {
	e.t.Helper()
	e.must(os.InTx(e.ctx, func(ctx context.Context) error { return os.OutboxAppend(ctx, recs) }))
}

// compactJSON returns b without spaces: a backend may store the JSON of
// a row's data in a normal form of its own.
func compactJSON(e *env, b []byte) []byte {
	e.t.Helper()
	var out bytes.Buffer
	e.must(json.Compact(&out, b))
	return out.Bytes()
}

func recordIDs(rs []*outbox.Record) []string {
	return ids(rs, func(r *outbox.Record) string { return r.ID })
}

func (e *env) claim(os outbox.Store, by string, at time.Time, limit int) []string {
	e.t.Helper()
	rs, err := os.OutboxClaim(e.ctx, by, at, time.Minute, limit)
	e.must(err)
	for _, r := range rs {
		if r.ClaimedBy != by || r.ClaimedUntil == nil || !r.ClaimedUntil.Equal(at.Add(time.Minute)) {
			e.t.Fatalf("claimed row %s has lease %q until %v, want %q until %v", r.ID, r.ClaimedBy, r.ClaimedUntil, by, at.Add(time.Minute))
		}
	}
	return recordIDs(rs)
}

var outboxTests = []test{
	{"Outbox/AppendJoinsTheUnit", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		// Rolled back: never seen.
		boom := errors.New("boom")
		err := os.InTx(e.ctx, func(ctx context.Context) error {
			if err := os.OutboxAppend(ctx, []*outbox.Record{outboxRecord("evt_gone", "k1", t0)}); err != nil {
				return err
			}
			return boom
		})
		e.wantErr(err, boom)
		_, err = os.OutboxGet(e.ctx, "evt_gone")
		e.wantNotFound(err, "evt_gone")
		e.same([]string{}, e.claim(os, "a", t0, 10))
		// Inside a unit that has not committed: no claim sees it (on
		// PostgreSQL a claim passes the uncommitted row; on the memory
		// backend it waits for the unit to end).
		done := make(chan []string, 1)
		err = os.InTx(e.ctx, func(ctx context.Context) error {
			if err := os.OutboxAppend(ctx, []*outbox.Record{outboxRecord("evt_1", "k1", t0)}); err != nil {
				return err
			}
			go func() {
				rs, err := os.OutboxClaim(e.ctx, "b", t0, time.Minute, 10)
				if err != nil {
					e.t.Error(err)
				}
				done <- recordIDs(rs)
			}()
			select {
			case seen := <-done:
				if len(seen) > 0 {
					e.t.Errorf("a claim outside the unit saw %v before the commit", seen)
				}
				done <- nil
			case <-time.After(200 * time.Millisecond):
			}
			return nil
		})
		e.must(err)
		<-done
		_, err = os.OutboxRelease(e.ctx, "b")
		e.must(err)
		r, err := os.OutboxGet(e.ctx, "evt_1")
		e.must(err)
		r.Data = compactJSON(e, r.Data)
		e.same(&outbox.Record{ID: "evt_1", Seq: r.Seq, Name: "thing.changed", EntityKey: "k1", Data: []byte(`{"id":"k1"}`), CreatedAt: t0, AvailableAt: t0}, r)
		if r.Seq <= 0 {
			e.t.Fatalf("seq %d, want a positive one", r.Seq)
		}
	}},
	{"Outbox/AppendRefusesBadRows", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		e.appendRecords(os, outboxRecord("evt_1", "k", t0))
		err := os.InTx(e.ctx, func(ctx context.Context) error {
			return os.OutboxAppend(ctx, []*outbox.Record{outboxRecord("evt_2", "k", t0), outboxRecord("evt_1", "k", t0)})
		})
		e.wantErr(err, store.ErrConflict)
		_, err = os.OutboxGet(e.ctx, "evt_2")
		e.wantNotFound(err, "evt_2") // nothing of the failed append stays
		clearAndSealed := outboxRecord("evt_3", "k", t0)
		clearAndSealed.Sealed, clearAndSealed.KeyID = []byte{1}, "k1"
		sealedNoKey := &outbox.Record{ID: "evt_3", Name: "x", EntityKey: "k", Sealed: []byte{1}, CreatedAt: t0, AvailableAt: t0}
		for _, bad := range []*outbox.Record{nil, {Name: "x", EntityKey: "k"}, {ID: "evt_3", EntityKey: "k"}, {ID: "evt_3", Name: "x"}, clearAndSealed, sealedNoKey} {
			e.wantInvalid(os.OutboxAppend(e.ctx, []*outbox.Record{bad}), "outbox")
		}
		_, err = os.OutboxClaim(e.ctx, "", t0, time.Minute, 1)
		e.wantInvalid(err, "outbox")
		_, err = os.OutboxClaim(e.ctx, "a", t0, 0, 1)
		e.wantInvalid(err, "outbox")
		_, err = os.OutboxClaim(e.ctx, "a", t0, time.Minute, 0)
		e.wantInvalid(err, "outbox")
		_, err = os.OutboxPurge(e.ctx, t0, 0)
		e.wantInvalid(err, "outbox")
	}},
	{"Outbox/ClaimOrderPerEntity", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		// a1 b1 a2 c1 b2, appended in that order.
		e.appendRecords(os, outboxRecord("evt_a1", "a", t0), outboxRecord("evt_b1", "b", t0))
		e.appendRecords(os, outboxRecord("evt_a2", "a", t0), outboxRecord("evt_c1", "c", t0), outboxRecord("evt_b2", "b", t0))
		// One head per entity, in append order.
		e.same([]string{"evt_a1", "evt_b1", "evt_c1"}, e.claim(os, "x", t0, 10))
		// Nothing else while they are out.
		e.same([]string{}, e.claim(os, "y", t0, 10))
		e.must(os.OutboxDone(e.ctx, "evt_b1", t0))
		e.same([]string{"evt_b2"}, e.claim(os, "y", t0, 10))
		e.must(os.OutboxDone(e.ctx, "evt_c1", t0))
		e.must(os.OutboxDone(e.ctx, "evt_b2", t0))
		// A failed head holds its entity back until it is available.
		e.must(os.OutboxRetry(e.ctx, "evt_a1", "x", t0.Add(time.Hour), "sink down"))
		e.same([]string{}, e.claim(os, "y", t0.Add(30*time.Second), 10))
		e.same([]string{"evt_a1"}, e.claim(os, "y", t0.Add(time.Hour), 10))
		r, err := os.OutboxGet(e.ctx, "evt_a1")
		e.must(err)
		e.same(1, r.Attempts)
		e.same("sink down", r.LastError)
		e.must(os.OutboxDone(e.ctx, "evt_a1", t0))
		e.same([]string{"evt_a2"}, e.claim(os, "z", t0.Add(time.Hour), 10))
	}},
	{"Outbox/RetryAndReleaseNeedTheLease", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		e.appendRecords(os, outboxRecord("evt_1", "k", t0), outboxRecord("evt_2", "l", t0))
		e.same([]string{"evt_1", "evt_2"}, e.claim(os, "a", t0, 10))
		// Another claimer cannot retry or release a's rows.
		e.must(os.OutboxRetry(e.ctx, "evt_1", "b", t0, "x"))
		n, err := os.OutboxRelease(e.ctx, "b")
		e.must(err)
		e.same(0, n)
		r, err := os.OutboxGet(e.ctx, "evt_1")
		e.must(err)
		e.same("a", r.ClaimedBy)
		e.same(0, r.Attempts)
		// a releases: both claimable at once, no attempt counted.
		n, err = os.OutboxRelease(e.ctx, "a")
		e.must(err)
		e.same(2, n)
		r, err = os.OutboxGet(e.ctx, "evt_1")
		e.must(err)
		e.same(0, r.Attempts)
		e.same("", r.ClaimedBy)
		e.same((*time.Time)(nil), r.ClaimedUntil)
		e.same([]string{"evt_1", "evt_2"}, e.claim(os, "b", t0, 10))
		// Done on a row delivered already, or gone, changes nothing.
		e.must(os.OutboxDone(e.ctx, "evt_1", t0))
		e.must(os.OutboxDone(e.ctx, "evt_1", t0.Add(time.Hour)))
		e.must(os.OutboxDone(e.ctx, "evt_nope", t0))
		r, err = os.OutboxGet(e.ctx, "evt_1")
		e.must(err)
		e.same(t0, *r.DeliveredAt)
		// A delivered row is not retried nor released.
		e.must(os.OutboxRetry(e.ctx, "evt_1", "b", t0, "late"))
		r, err = os.OutboxGet(e.ctx, "evt_1")
		e.must(err)
		e.same(0, r.Attempts)
	}},
	{"Outbox/LeaseExpiryRetakes", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		e.appendRecords(os, outboxRecord("evt_1", "k", t0), outboxRecord("evt_2", "k", t0))
		e.same([]string{"evt_1"}, e.claim(os, "dead", t0, 10))
		e.same([]string{}, e.claim(os, "b", t0.Add(59*time.Second), 10))
		// The lease (a minute) has ended: b takes the row, and the dead
		// claimer's retry no longer applies.
		e.same([]string{"evt_1"}, e.claim(os, "b", t0.Add(time.Minute), 10))
		e.must(os.OutboxRetry(e.ctx, "evt_1", "dead", t0, "late"))
		r, err := os.OutboxGet(e.ctx, "evt_1")
		e.must(err)
		e.same("b", r.ClaimedBy)
		e.same(0, r.Attempts)
	}},
	{"Outbox/ConcurrentClaimsNeverShare", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		const n = 60
		recs := make([]*outbox.Record, n)
		for i := range recs {
			recs[i] = outboxRecord(fmt.Sprintf("evt_%03d", i), fmt.Sprintf("k%d", i%20), t0)
		}
		e.appendRecords(os, recs...)
		var mu sync.Mutex
		got := map[string]string{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				by := fmt.Sprintf("w%d", w)
				for {
					rs, err := os.OutboxClaim(e.ctx, by, t0, time.Minute, 3)
					if err != nil {
						e.t.Error(err)
						return
					}
					if len(rs) == 0 {
						mu.Lock()
						left := len(got) < n
						mu.Unlock()
						if !left {
							return
						}
						time.Sleep(time.Millisecond)
						continue
					}
					for _, r := range rs {
						mu.Lock()
						if prev, dup := got[r.ID]; dup {
							e.t.Errorf("%s claimed by %s and %s", r.ID, prev, by)
						}
						got[r.ID] = by
						mu.Unlock()
						if err := os.OutboxDone(e.ctx, r.ID, t0); err != nil {
							e.t.Error(err)
						}
					}
				}
			})
		}
		wg.Wait()
		e.same(n, len(got))
	}},
	{"Outbox/DoneDropsTheSecretAndPurgeDeletes", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		sealed := &outbox.Record{ID: "evt_s", Name: "auth.password_reset", EntityKey: "k", Sealed: []byte{1, 2, 3, 4}, KeyID: "k1", CreatedAt: t0, AvailableAt: t0}
		e.appendRecords(os, sealed, outboxRecord("evt_2", "l", t0), outboxRecord("evt_3", "m", t0))
		r, err := os.OutboxGet(e.ctx, "evt_s")
		e.must(err)
		e.same([]byte{1, 2, 3, 4}, r.Sealed)
		e.same([]byte(nil), r.Data)
		e.same([]string{"evt_s", "evt_2", "evt_3"}, e.claim(os, "a", t0, 10))
		e.must(os.OutboxDone(e.ctx, "evt_s", t0))
		e.must(os.OutboxDone(e.ctx, "evt_2", t0.Add(time.Hour)))
		r, err = os.OutboxGet(e.ctx, "evt_s")
		e.must(err)
		e.same([]byte(nil), r.Sealed)
		e.same("k1", r.KeyID)
		// Purge: delivered before the cut only, in batches, oldest first.
		n, err := os.OutboxPurge(e.ctx, t0.Add(2*time.Hour), 1)
		e.must(err)
		e.same(1, n)
		_, err = os.OutboxGet(e.ctx, "evt_s")
		e.wantNotFound(err, "evt_s")
		n, err = os.OutboxPurge(e.ctx, t0.Add(time.Hour), 10)
		e.must(err)
		e.same(0, n) // evt_2 was delivered at the cut, not before it
		n, err = os.OutboxPurge(e.ctx, t0.Add(2*time.Hour), 10)
		e.must(err)
		e.same(1, n)
		// The undelivered row stays.
		_, err = os.OutboxGet(e.ctx, "evt_3")
		e.must(err)
	}},
	{"Outbox/ForgetDeletesTheRowsThatNameAPerson", func(e *env) {
		os := e.outboxStore()
		t0 := now()
		row := func(id, key, data string, sealed bool) *outbox.Record {
			r := &outbox.Record{ID: id, Name: "thing.changed", EntityKey: key, CreatedAt: t0, AvailableAt: t0}
			if sealed {
				r.Sealed, r.KeyID = []byte{9, 9}, "k1"
			} else {
				r.Data = []byte(data)
			}
			return r
		}
		e.appendRecords(os,
			row("evt_key", "Ann@Example.com", "", true),
			row("evt_named_key", "entity_id:ann@example.com", "", true),                          // named by its key
			row("evt_entity", "authid_1", `{"entity_id":"ann@example.com"}`, false),              // by its entity_id
			row("evt_email", "cus_1", `{"id":"cus_1","email":"ANN@example.com"}`, false),         // by its email
			row("evt_prev", "cus_1", `{"id":"cus_1","previous_email":"ann@example.com"}`, false), // by its previous email
			row("evt_sealed", "authid_1", "", true),                                              // sealed, keyed by an id
			row("evt_ids", "cus_1", `{"id":"cus_1"}`, false),                                     // ids only: stays
			row("evt_other", "bob@example.com", `{"entity_id":"bob@example.com"}`, false),        // someone else: stays
			row("evt_sealed_other", "authid_2", "", true),                                        // someone else's secret: stays
		)
		e.must(os.OutboxDone(e.ctx, "evt_entity", t0)) // delivered rows go too
		// A unit that rolls back forgets nothing.
		boom := errors.New("boom")
		err := os.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := os.OutboxForget(ctx, []string{"ann@example.com"}, []string{"cus_1", "authid_1"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			e.t.Fatalf("InTx = %v", err)
		}
		_, err = os.OutboxGet(e.ctx, "evt_key")
		e.must(err)
		n, err := os.OutboxForget(e.ctx, []string{"ann@example.com", ""}, []string{"cus_1", "authid_1"})
		e.must(err)
		e.same(6, n)
		for _, id := range []string{"evt_key", "evt_named_key", "evt_entity", "evt_email", "evt_prev", "evt_sealed"} {
			_, err := os.OutboxGet(e.ctx, id)
			e.wantNotFound(err, id)
		}
		for _, id := range []string{"evt_ids", "evt_other", "evt_sealed_other"} {
			_, err := os.OutboxGet(e.ctx, id)
			e.must(err)
		}
		n, err = os.OutboxForget(e.ctx, nil, nil)
		e.must(err)
		e.same(0, n)
	}},
}
