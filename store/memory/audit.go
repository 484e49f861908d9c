package memory

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/store"
)

var _ audit.Store = (*Store)(nil)

// cloneEntry copies e; no details are nil, as PostgreSQL reads them.
func cloneEntry(e *audit.Entry) *audit.Entry {
	cp := *e
	cp.Details = nil
	if len(e.Details) > 0 {
		cp.Details = maps.Clone(e.Details)
	}
	return &cp
}

// newestFirst orders entries by CreatedAt, then ID, descending.
func newestFirst(a, b *audit.Entry) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// AppendAuditEntries implements audit.Store.
func (s *Store) AppendAuditEntries(ctx context.Context, entries []*audit.Entry) error {
	for _, e := range entries {
		if err := audit.CheckEntry(e); err != nil {
			return err
		}
	}
	t := s.audit
	return s.write(ctx, func(tx *txn) error {
		seen := map[string]bool{}
		for _, e := range entries {
			if _, taken := t[e.ID]; taken || seen[e.ID] {
				return &store.ConflictError{Entity: "Audit entry", Fields: [][2]string{{"id", e.ID}}}
			}
			seen[e.ID] = true
		}
		for _, e := range entries {
			cp := cloneEntry(e)
			cp.CreatedAt = cp.CreatedAt.UTC().Truncate(time.Microsecond)
			put(tx, t, e.ID, cp, nil)
		}
		return nil
	})
}

// ListAuditEntries implements audit.Store.
func (s *Store) ListAuditEntries(ctx context.Context, f audit.Filter, p audit.Page) ([]*audit.Entry, error) {
	limit, err := audit.CheckPage(p)
	if err != nil {
		return nil, err
	}
	t := s.audit
	return read(ctx, s, func() []*audit.Entry {
		var out []*audit.Entry
		for _, e := range t {
			if f.Match(e) {
				out = append(out, e)
			}
		}
		slices.SortFunc(out, newestFirst)
		if p.Offset >= len(out) {
			return []*audit.Entry{}
		}
		out = out[p.Offset:min(len(out), p.Offset+limit)]
		for i, e := range out {
			out[i] = cloneEntry(e)
		}
		return out
	})
}

// PurgeAuditEntries implements audit.Store.
func (s *Store) PurgeAuditEntries(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, store.Invalid("limit", "must be positive, got %d", limit)
	}
	t := s.audit
	n := 0
	err := s.write(ctx, func(tx *txn) error {
		var old []*audit.Entry
		for _, e := range t {
			if e.CreatedAt.Before(before) {
				old = append(old, e)
			}
		}
		slices.SortFunc(old, func(a, b *audit.Entry) int { return newestFirst(b, a) })
		for _, e := range old[:min(len(old), limit)] {
			put[audit.Entry](tx, t, e.ID, nil, nil)
			n++
		}
		return nil
	})
	return n, err
}

// AnonymiseAuditEntries implements audit.Store.
func (s *Store) AnonymiseAuditEntries(ctx context.Context, f audit.Filter) (int, error) {
	t := s.audit
	n := 0
	err := s.write(ctx, func(tx *txn) error {
		for k, e := range t {
			if !f.Match(e) || (e.IP == "" && e.UserAgent == "") {
				continue
			}
			cp := cloneEntry(e)
			cp.IP, cp.UserAgent = "", ""
			put(tx, t, k, cp, nil)
			n++
		}
		return nil
	})
	return n, err
}
