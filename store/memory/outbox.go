package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/store"
)

var _ outbox.Store = (*Store)(nil)

// outboxTable is the outbox: rows by id, and the last Seq given.
type outboxTable struct {
	rows map[string]*outbox.Record
	seq  int64
}

func cloneRecord(r *outbox.Record) *outbox.Record {
	cp := *r
	cp.Data = slices.Clone(r.Data)
	cp.Sealed = slices.Clone(r.Sealed)
	cp.ClaimedUntil = cloneTime(r.ClaimedUntil)
	cp.DeliveredAt = cloneTime(r.DeliveredAt)
	return &cp
}

// OutboxAppend implements outbox.Store; the rows join the caller's unit.
func (s *Store) OutboxAppend(ctx context.Context, recs []*outbox.Record) error {
	return s.write(ctx, func(tx *txn) error {
		rows := s.outbox.rows
		seen := make(map[string]bool, len(recs))
		for _, r := range recs {
			if err := outbox.CheckRecord(r); err != nil {
				return err
			}
			if _, taken := rows[r.ID]; taken || seen[r.ID] {
				return &store.ConflictError{Entity: "Outbox", Fields: [][2]string{{"id", r.ID}}}
			}
			seen[r.ID] = true
		}
		for _, r := range recs {
			s.outbox.seq++
			r.Seq = s.outbox.seq
			n := cloneRecord(r)
			n.CreatedAt, n.AvailableAt = n.CreatedAt.UTC().Truncate(time.Microsecond), n.AvailableAt.UTC().Truncate(time.Microsecond)
			n.Attempts, n.LastError, n.ClaimedBy, n.ClaimedUntil, n.DeliveredAt = 0, "", "", nil, nil
			put(tx, rows, r.ID, n, nil)
		}
		return nil
	})
}

// OutboxClaim implements outbox.Store under the write lock, so that two
// claims never overlap.
func (s *Store) OutboxClaim(ctx context.Context, claimer string, now time.Time, lease time.Duration, limit int) ([]*outbox.Record, error) {
	if claimer == "" || lease <= 0 || limit < 1 {
		return nil, store.Invalid("outbox", "a claim needs a claimer, a positive lease and a positive limit")
	}
	var out []*outbox.Record
	err := s.write(ctx, func(tx *txn) error {
		var pending []*outbox.Record
		for _, r := range s.outbox.rows {
			if r.DeliveredAt == nil {
				pending = append(pending, r)
			}
		}
		slices.SortFunc(pending, func(a, b *outbox.Record) int { return cmp.Compare(a.Seq, b.Seq) })
		blocked := map[string]bool{}
		until := now.Add(lease).UTC().Truncate(time.Microsecond)
		for _, r := range pending {
			if len(out) == limit {
				break
			}
			if blocked[r.EntityKey] {
				continue
			}
			blocked[r.EntityKey] = true // later rows of the entity wait for this one
			if r.AvailableAt.After(now) || (r.ClaimedUntil != nil && r.ClaimedUntil.After(now)) {
				continue
			}
			n := cloneRecord(r)
			n.ClaimedBy, n.ClaimedUntil = claimer, &until
			put(tx, s.outbox.rows, r.ID, n, nil)
			out = append(out, cloneRecord(n))
		}
		return nil
	})
	return out, err
}

// outboxUpdate replaces the row id by what f makes of a copy of it, when
// f returns true.
func (s *Store) outboxUpdate(ctx context.Context, id string, f func(r *outbox.Record) bool) error {
	return s.write(ctx, func(tx *txn) error {
		r, ok := s.outbox.rows[id]
		if !ok {
			return nil
		}
		n := cloneRecord(r)
		if f(n) {
			put(tx, s.outbox.rows, id, n, nil)
		}
		return nil
	})
}

// OutboxDone implements outbox.Store.
func (s *Store) OutboxDone(ctx context.Context, id string, now time.Time) error {
	return s.outboxUpdate(ctx, id, func(r *outbox.Record) bool {
		if r.DeliveredAt != nil {
			return false
		}
		at := now.UTC().Truncate(time.Microsecond)
		r.DeliveredAt, r.Sealed, r.ClaimedBy, r.ClaimedUntil = &at, nil, "", nil
		return true
	})
}

// OutboxRetry implements outbox.Store.
func (s *Store) OutboxRetry(ctx context.Context, id, claimer string, at time.Time, lastError string) error {
	return s.outboxUpdate(ctx, id, func(r *outbox.Record) bool {
		if r.DeliveredAt != nil || r.ClaimedBy != claimer {
			return false
		}
		r.Attempts++
		r.LastError, r.AvailableAt, r.ClaimedBy, r.ClaimedUntil = lastError, at.UTC().Truncate(time.Microsecond), "", nil
		return true
	})
}

// OutboxRelease implements outbox.Store.
func (s *Store) OutboxRelease(ctx context.Context, claimer string) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *txn) error {
		for id, r := range s.outbox.rows {
			if r.DeliveredAt == nil && r.ClaimedBy == claimer {
				c := cloneRecord(r)
				c.ClaimedBy, c.ClaimedUntil = "", nil
				put(tx, s.outbox.rows, id, c, nil)
				n++
			}
		}
		return nil
	})
	return n, err
}

// OutboxPurge implements outbox.Store.
func (s *Store) OutboxPurge(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, store.Invalid("outbox", "a purge needs a positive limit")
	}
	n := 0
	err := s.write(ctx, func(tx *txn) error {
		var old []*outbox.Record
		for _, r := range s.outbox.rows {
			if r.DeliveredAt != nil && r.DeliveredAt.Before(before) {
				old = append(old, r)
			}
		}
		slices.SortFunc(old, func(a, b *outbox.Record) int { return a.DeliveredAt.Compare(*b.DeliveredAt) })
		for _, r := range old[:min(limit, len(old))] {
			put(tx, s.outbox.rows, r.ID, nil, nil)
			n++
		}
		return nil
	})
	return n, err
}

// OutboxForget implements outbox.Store.
func (s *Store) OutboxForget(ctx context.Context, values, ids []string) (int, error) {
	values = outbox.ForgetValues(values)
	n := 0
	err := s.write(ctx, func(tx *txn) error {
		for _, r := range s.outbox.rows {
			if outbox.Mentions(r, values) || (r.Sealed != nil && slices.Contains(ids, r.EntityKey)) {
				put(tx, s.outbox.rows, r.ID, nil, nil)
				n++
			}
		}
		return nil
	})
	return n, err
}

// OutboxGet implements outbox.Store.
func (s *Store) OutboxGet(ctx context.Context, id string) (*outbox.Record, error) {
	r, err := read(ctx, s, func() *outbox.Record {
		if r, ok := s.outbox.rows[id]; ok {
			return cloneRecord(r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, &store.NotFoundError{Entity: "Outbox", IDs: []string{id}}
	}
	return r, nil
}
