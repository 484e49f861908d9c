package memory

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/store"
)

var _ auth.Store = (*Store)(nil)

type stateEntry struct {
	value     []byte
	expiresAt time.Time
}

func cloneAuthIdentity(a *auth.AuthIdentity) *auth.AuthIdentity {
	cp := *a
	cp.AppMetadata = meta.Clone(a.AppMetadata)
	cp.DeletedAt = cloneTime(a.DeletedAt)
	cp.ProviderIdentities = nil
	return &cp
}

func cloneProviderIdentity(p *auth.ProviderIdentity) *auth.ProviderIdentity {
	cp := *p
	cp.UserMetadata = meta.Clone(p.UserMetadata)
	cp.ProviderMetadata = meta.Clone(p.ProviderMetadata)
	cp.DeletedAt = cloneTime(p.DeletedAt)
	return &cp
}

// putProvider writes a provider identity, keeping byEntity in step.
func (s *Store) putProvider(tx *txn, id string, p *auth.ProviderIdentity) {
	put(tx, s.providerIdentities, id, p, func(id string, from, to *auth.ProviderIdentity) {
		var f, t, fa, ta string
		if from != nil {
			f, fa = strings.ToLower(from.EntityID), from.AuthIdentityID
		}
		if to != nil {
			t, ta = strings.ToLower(to.EntityID), to.AuthIdentityID
		}
		reindex(s.byEntity, id, f, t)
		reindex(s.providersOf, id, fa, ta)
	})
}

// providerCandidates narrows a scan of provider identities by id or entity
// id.
func (s *Store) providerCandidates(f auth.ProviderIdentityFilter) []*auth.ProviderIdentity {
	var keys []string
	switch {
	case f.EntityIDs != nil:
		for _, e := range f.EntityIDs {
			keys = append(keys, strings.ToLower(e))
		}
		if keys == nil {
			keys = []string{}
		}
	case f.EntityIDsFold != nil:
		keys = f.EntityIDsFold
	}
	return candidates(s.providerIdentities, f.IDs, s.byEntity, keys)
}

// jsonContains reports whether have contains want as PostgreSQL's jsonb
// @> does: every key of want is in have with a value that contains want's
// (objects recursively, arrays element by element, scalars by equality).
func jsonContains(have, want map[string]any) bool {
	hb, err1 := json.Marshal(have)
	wb, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		return false
	}
	var h, w any
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(wb, &w) != nil {
		return false
	}
	return containsValue(h, w)
}

func containsValue(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok || !containsValue(hv, wv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok {
			return false
		}
		for _, wv := range w {
			found := false
			for _, hv := range h {
				if containsValue(hv, wv) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	default:
		return have == want
	}
}

func providerMatcher(f auth.ProviderIdentityFilter, opts store.ListOptions) func(*auth.ProviderIdentity) bool {
	return func(p *auth.ProviderIdentity) bool {
		return live(p.DeletedAt, opts) &&
			inList(f.IDs, p.ID) &&
			inList(f.EntityIDs, p.EntityID) &&
			inList(f.EntityIDsFold, strings.ToLower(p.EntityID)) &&
			inList(f.Providers, p.Provider) &&
			inList(f.AuthIdentityIDs, p.AuthIdentityID)
	}
}

func (s *Store) authIdentityMatcher(f auth.IdentityFilter, opts store.ListOptions) func(*auth.AuthIdentity) bool {
	var withProvider map[string]bool
	if f.EntityIDs != nil || f.Providers != nil {
		withProvider = map[string]bool{}
		match := providerMatcher(auth.ProviderIdentityFilter{EntityIDs: f.EntityIDs, Providers: f.Providers}, store.ListOptions{})
		for _, p := range s.providerCandidates(auth.ProviderIdentityFilter{EntityIDs: f.EntityIDs}) {
			if p.DeletedAt == nil && match(p) {
				withProvider[p.AuthIdentityID] = true
			}
		}
	}
	return func(a *auth.AuthIdentity) bool {
		return live(a.DeletedAt, opts) &&
			inList(f.IDs, a.ID) &&
			(withProvider == nil || withProvider[a.ID]) &&
			(f.AppMetadata == nil || jsonContains(a.AppMetadata, f.AppMetadata))
	}
}

// ListAuthIdentities implements auth.Store.
func (s *Store) ListAuthIdentities(ctx context.Context, f auth.IdentityFilter, opts store.ListOptions) ([]*auth.AuthIdentity, error) {
	by, err := sorterOf(auth.Sortable, opts, authIdentityID)
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func() []*auth.AuthIdentity {
		match := s.authIdentityMatcher(f, opts)
		var rows []*auth.AuthIdentity
		for _, a := range candidates(s.authIdentities, f.IDs, nil, nil) {
			if match(a) {
				rows = append(rows, a)
			}
		}
		rows = sortAndPage(rows, opts, by)
		out := make([]*auth.AuthIdentity, len(rows))
		for i, a := range rows {
			out[i] = cloneAuthIdentity(a)
			out[i].ProviderIdentities = s.providerIdentitiesOf(a.ID, opts.WithDeleted)
		}
		return out
	})
}

// providerIdentitiesOf returns copies of an identity's live provider
// identities (all of them withDeleted) in id order; it runs under the
// lock.
func (s *Store) providerIdentitiesOf(authID string, withDeleted bool) []*auth.ProviderIdentity {
	var rows []*auth.ProviderIdentity
	for id := range s.providersOf[authID] {
		if p := s.providerIdentities[id]; p.DeletedAt == nil || withDeleted {
			rows = append(rows, p)
		}
	}
	slices.SortFunc(rows, func(a, b *auth.ProviderIdentity) int { return strings.Compare(a.ID, b.ID) })
	out := make([]*auth.ProviderIdentity, len(rows))
	for i, p := range rows {
		out[i] = cloneProviderIdentity(p)
	}
	return out
}

// CountAuthIdentities implements auth.Store.
func (s *Store) CountAuthIdentities(ctx context.Context, f auth.IdentityFilter, opts store.ListOptions) (int, error) {
	return read(ctx, s, func() int {
		match := s.authIdentityMatcher(f, opts)
		n := 0
		for _, a := range candidates(s.authIdentities, f.IDs, nil, nil) {
			if match(a) {
				n++
			}
		}
		return n
	})
}

// checkProviderKeys enforces Medusa's unique index on (entity_id,
// provider), soft-deleted rows included.
func (s *Store) checkProviderKeys(next []*auth.ProviderIdentity) error {
	replaced := make(map[string]bool, len(next))
	for _, p := range next {
		replaced[p.ID] = true
	}
	type key struct{ entity, provider string }
	taken := map[key]bool{}
	for _, p := range next {
		k := key{p.EntityID, p.Provider}
		clash := taken[k]
		for id := range s.byEntity[strings.ToLower(p.EntityID)] {
			o := s.providerIdentities[id]
			if !replaced[id] && o.EntityID == p.EntityID && o.Provider == p.Provider {
				clash = true
			}
		}
		if clash {
			return &store.ConflictError{Entity: "Provider identity", Fields: [][2]string{{"entity_id", p.EntityID}, {"provider", p.Provider}}}
		}
		taken[k] = true
	}
	return nil
}

// newProviderIDs fails, as a primary key would, when an id is taken or
// given twice.
func (s *Store) newProviderIDs(pis []*auth.ProviderIdentity) error {
	seen := make(map[string]bool, len(pis))
	for _, p := range pis {
		if _, taken := s.providerIdentities[p.ID]; taken || seen[p.ID] {
			return &store.ConflictError{Entity: "Provider identity", Fields: [][2]string{{"id", p.ID}}}
		}
		seen[p.ID] = true
	}
	return nil
}

// InsertAuthIdentities implements auth.Store.
func (s *Store) InsertAuthIdentities(ctx context.Context, ids []*auth.AuthIdentity) error {
	return s.write(ctx, func(tx *txn) error {
		var pis []*auth.ProviderIdentity
		for _, a := range ids {
			if _, dup := s.authIdentities[a.ID]; dup {
				return &store.ConflictError{Entity: "Auth identity", Fields: [][2]string{{"id", a.ID}}}
			}
			pis = append(pis, a.ProviderIdentities...)
		}
		if err := s.newProviderIDs(pis); err != nil {
			return err
		}
		if err := s.checkProviderKeys(pis); err != nil {
			return err
		}
		for _, a := range ids {
			put(tx, s.authIdentities, a.ID, cloneAuthIdentity(a), nil)
		}
		for _, p := range pis {
			s.putProvider(tx, p.ID, cloneProviderIdentity(p))
		}
		return nil
	})
}

// UpdateAuthIdentities implements auth.Store.
func (s *Store) UpdateAuthIdentities(ctx context.Context, ids []*auth.AuthIdentity) error {
	return s.write(ctx, func(tx *txn) error {
		for _, a := range ids {
			old, ok := s.authIdentities[a.ID]
			if !ok {
				continue
			}
			n := cloneAuthIdentity(old)
			n.AppMetadata, n.UpdatedAt, n.DeletedAt = meta.Clone(a.AppMetadata), a.UpdatedAt, cloneTime(a.DeletedAt)
			put(tx, s.authIdentities, a.ID, n, nil)
		}
		return nil
	})
}

// DeleteAuthIdentities implements auth.Store.
func (s *Store) DeleteAuthIdentities(ctx context.Context, ids []string) error {
	return s.write(ctx, func(tx *txn) error {
		gone := map[string]bool{}
		for _, id := range ids {
			if _, ok := s.authIdentities[id]; ok {
				gone[id] = true
				put[auth.AuthIdentity](tx, s.authIdentities, id, nil, nil)
			}
		}
		for id, p := range s.providerIdentities {
			if gone[p.AuthIdentityID] {
				s.putProvider(tx, id, nil)
			}
		}
		for id, t := range s.resetTokens {
			if gone[t.AuthIdentityID] {
				put[auth.ResetToken](tx, s.resetTokens, id, nil, nil)
			}
		}
		for id, v := range s.verifications {
			if gone[v.AuthIdentityID] {
				put[auth.Verification](tx, s.verifications, id, nil, nil)
			}
		}
		s.deleteMFAOf(tx, gone) // mfa.go
		return nil
	})
}

// InsertProviderIdentities implements auth.Store.
func (s *Store) InsertProviderIdentities(ctx context.Context, pis []*auth.ProviderIdentity) error {
	return s.write(ctx, func(tx *txn) error {
		for _, p := range pis {
			if _, ok := s.authIdentities[p.AuthIdentityID]; !ok {
				return &store.NotFoundError{Entity: "AuthIdentity", IDs: []string{p.AuthIdentityID}}
			}
		}
		if err := s.newProviderIDs(pis); err != nil {
			return err
		}
		if err := s.checkProviderKeys(pis); err != nil {
			return err
		}
		for _, p := range pis {
			s.putProvider(tx, p.ID, cloneProviderIdentity(p))
		}
		return nil
	})
}

// ListProviderIdentities implements auth.Store.
func (s *Store) ListProviderIdentities(ctx context.Context, f auth.ProviderIdentityFilter, opts store.ListOptions) ([]*auth.ProviderIdentity, error) {
	by, err := sorterOf(auth.ProviderSortable, opts, providerIdentityID)
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func() []*auth.ProviderIdentity {
		match := providerMatcher(f, opts)
		var rows []*auth.ProviderIdentity
		for _, p := range s.providerCandidates(f) {
			if match(p) {
				rows = append(rows, p)
			}
		}
		rows = sortAndPage(rows, opts, by)
		out := make([]*auth.ProviderIdentity, len(rows))
		for i, p := range rows {
			out[i] = cloneProviderIdentity(p)
		}
		return out
	})
}

// UpdateProviderIdentities implements auth.Store.
func (s *Store) UpdateProviderIdentities(ctx context.Context, pis []*auth.ProviderIdentity) error {
	return s.write(ctx, func(tx *txn) error {
		next := make([]*auth.ProviderIdentity, 0, len(pis))
		for _, p := range pis {
			old, ok := s.providerIdentities[p.ID]
			if !ok {
				continue
			}
			n := cloneProviderIdentity(old)
			n.EntityID, n.UpdatedAt, n.DeletedAt = p.EntityID, p.UpdatedAt, cloneTime(p.DeletedAt)
			n.UserMetadata, n.ProviderMetadata = meta.Clone(p.UserMetadata), meta.Clone(p.ProviderMetadata)
			next = append(next, n)
		}
		if err := s.checkProviderKeys(next); err != nil {
			return err
		}
		for _, p := range next {
			s.putProvider(tx, p.ID, p)
		}
		return nil
	})
}

// DeleteProviderIdentities implements auth.Store.
func (s *Store) DeleteProviderIdentities(ctx context.Context, ids []string) error {
	return s.write(ctx, func(tx *txn) error {
		gone := map[string]bool{}
		for _, id := range ids {
			if _, ok := s.providerIdentities[id]; ok {
				gone[id] = true
				s.putProvider(tx, id, nil)
			}
		}
		for id, t := range s.resetTokens {
			if gone[t.ProviderIdentityID] {
				put[auth.ResetToken](tx, s.resetTokens, id, nil, nil)
			}
		}
		return nil
	})
}

// ReplaceResetToken implements auth.Store.
func (s *Store) ReplaceResetToken(ctx context.Context, t *auth.ResetToken) error {
	return s.write(ctx, func(tx *txn) error {
		if _, ok := s.providerIdentities[t.ProviderIdentityID]; !ok {
			return &store.NotFoundError{Entity: "ProviderIdentity", IDs: []string{t.ProviderIdentityID}}
		}
		for id, old := range s.resetTokens {
			if old.ProviderIdentityID == t.ProviderIdentityID {
				put[auth.ResetToken](tx, s.resetTokens, id, nil, nil)
			}
		}
		cp := *t
		put(tx, s.resetTokens, t.ID, &cp, nil)
		return nil
	})
}

// TakeResetToken implements auth.Store.
func (s *Store) TakeResetToken(ctx context.Context, tokenHash string) (*auth.ResetToken, error) {
	var out *auth.ResetToken
	err := s.write(ctx, func(tx *txn) error {
		for id, t := range s.resetTokens {
			if t.TokenHash == tokenHash {
				cp := *t
				out = &cp
				put[auth.ResetToken](tx, s.resetTokens, id, nil, nil)
				return nil
			}
		}
		return &store.NotFoundError{Entity: "PasswordResetToken"}
	})
	return out, err
}

// PutState implements auth.Store.
func (s *Store) PutState(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	return s.write(ctx, func(tx *txn) error {
		// Forget expired states as new ones come in.
		for k, e := range s.states {
			if !e.expiresAt.After(time.Now()) {
				put[stateEntry](tx, s.states, k, nil, nil)
			}
		}
		put(tx, s.states, key, &stateEntry{value: append([]byte(nil), value...), expiresAt: expiresAt}, nil)
		return nil
	})
}

// TakeState implements auth.Store.
func (s *Store) TakeState(ctx context.Context, key string, now time.Time) ([]byte, error) {
	var out []byte
	err := s.write(ctx, func(tx *txn) error {
		e, ok := s.states[key]
		if !ok || !now.Before(e.expiresAt) {
			// An expired state is left for PutState to sweep.
			return &store.NotFoundError{Entity: "State"}
		}
		put[stateEntry](tx, s.states, key, nil, nil)
		out = append([]byte(nil), e.value...)
		return nil
	})
	return out, err
}

func authIdentityID(a *auth.AuthIdentity) string { return a.ID }

func providerIdentityID(p *auth.ProviderIdentity) string { return p.ID }
