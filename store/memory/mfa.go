package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/store"
)

var _ auth.MFAStore = (*Store)(nil)

func cloneFactor(f *auth.MFAFactor) *auth.MFAFactor {
	cp := *f
	cp.ProviderMetadata = meta.Clone(f.ProviderMetadata)
	cp.Metadata = meta.Clone(f.Metadata)
	cp.DeletedAt = cloneTime(f.DeletedAt)
	cp.CreatedAt, cp.UpdatedAt = f.CreatedAt.UTC().Truncate(time.Microsecond), f.UpdatedAt.UTC().Truncate(time.Microsecond)
	return &cp
}

func cloneChallenge(c *auth.MFAChallenge) *auth.MFAChallenge {
	cp := *c
	cp.Methods = slices.Clone(c.Methods)
	cp.Metadata = meta.Clone(c.Metadata)
	cp.CompletedAt = cloneTime(c.CompletedAt)
	if cp.CompletedAt != nil {
		*cp.CompletedAt = cp.CompletedAt.UTC().Truncate(time.Microsecond)
	}
	cp.ExpiresAt = c.ExpiresAt.UTC().Truncate(time.Microsecond)
	cp.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	return &cp
}

// activeFactor reports whether f counts towards Medusa's partial unique
// index on (auth_identity_id, provider).
func activeFactor(f *auth.MFAFactor) bool {
	return f.DeletedAt == nil && (f.Status == auth.MFAPending || f.Status == auth.MFAEnabled)
}

// checkActiveFactor refuses f when another active factor has its identity
// and provider.
func (s *Store) checkActiveFactor(f *auth.MFAFactor) error {
	if !activeFactor(f) {
		return nil
	}
	for _, o := range s.mfaFactors {
		if o.ID != f.ID && activeFactor(o) && o.AuthIdentityID == f.AuthIdentityID && o.Provider == f.Provider {
			return &store.ConflictError{Entity: "Auth mfa factor", Fields: [][2]string{{"auth_identity_id", f.AuthIdentityID}, {"provider", f.Provider}}}
		}
	}
	return nil
}

func (s *Store) identityExists(id string) error {
	if _, ok := s.authIdentities[id]; !ok {
		return &store.NotFoundError{Entity: "AuthIdentity", IDs: []string{id}}
	}
	return nil
}

// InsertMFAFactor implements auth.MFAStore.
func (s *Store) InsertMFAFactor(ctx context.Context, f *auth.MFAFactor) error {
	if f == nil || f.ID == "" {
		return store.Invalid("id", "an MFA factor needs an id")
	}
	return s.write(ctx, func(tx *txn) error {
		if err := s.identityExists(f.AuthIdentityID); err != nil {
			return err
		}
		if _, dup := s.mfaFactors[f.ID]; dup {
			return &store.ConflictError{Entity: "Auth mfa factor", Fields: [][2]string{{"id", f.ID}}}
		}
		if err := s.checkActiveFactor(f); err != nil {
			return err
		}
		put(tx, s.mfaFactors, f.ID, cloneFactor(f), nil)
		return nil
	})
}

// ListMFAFactors implements auth.MFAStore.
func (s *Store) ListMFAFactors(ctx context.Context, f auth.MFAFactorFilter, opts store.ListOptions) ([]*auth.MFAFactor, error) {
	return read(ctx, s, func() []*auth.MFAFactor {
		out := []*auth.MFAFactor{}
		for _, x := range candidates(s.mfaFactors, f.IDs, nil, nil) {
			if live(x.DeletedAt, opts) && inList(f.AuthIdentityIDs, x.AuthIdentityID) &&
				inList(f.Providers, x.Provider) && inList(f.Statuses, x.Status) {
				out = append(out, cloneFactor(x))
			}
		}
		return sortAndPage(out, opts, sorter[auth.MFAFactor]{cmp: func(a, b *auth.MFAFactor) int { return strings.Compare(a.ID, b.ID) }})
	})
}

// UpdateMFAFactor implements auth.MFAStore.
func (s *Store) UpdateMFAFactor(ctx context.Context, f *auth.MFAFactor) error {
	return s.write(ctx, func(tx *txn) error {
		old, ok := s.mfaFactors[f.ID]
		if !ok {
			return &store.NotFoundError{Entity: "AuthMfaFactor", IDs: []string{f.ID}}
		}
		next := cloneFactor(old)
		next.Status, next.ProviderMetadata, next.Metadata = f.Status, meta.Clone(f.ProviderMetadata), meta.Clone(f.Metadata)
		next.UpdatedAt = f.UpdatedAt.UTC().Truncate(time.Microsecond)
		if err := s.checkActiveFactor(next); err != nil {
			return err
		}
		put(tx, s.mfaFactors, f.ID, next, nil)
		return nil
	})
}

// ReplaceRecoveryCodes implements auth.MFAStore.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, authIdentityID string, codes []*auth.RecoveryCode) error {
	return s.write(ctx, func(tx *txn) error {
		if len(codes) > 0 {
			if err := s.identityExists(authIdentityID); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if c.AuthIdentityID != authIdentityID || c.ID == "" {
				return store.Invalid("auth_identity_id", "every recovery code needs an id and the identity %s", authIdentityID)
			}
			if _, dup := s.recoveryCodes[c.ID]; dup || seen[c.ID] || seen["hash:"+c.CodeHash] {
				return &store.ConflictError{Entity: "Auth mfa recovery code", Fields: [][2]string{{"auth_identity_id", authIdentityID}, {"code_hash", c.CodeHash}}}
			}
			seen[c.ID], seen["hash:"+c.CodeHash] = true, true
		}
		for id, c := range s.recoveryCodes {
			if c.AuthIdentityID == authIdentityID {
				put[auth.RecoveryCode](tx, s.recoveryCodes, id, nil, nil)
			}
		}
		for _, c := range codes {
			cp := *c
			cp.CreatedAt, cp.UpdatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond), c.UpdatedAt.UTC().Truncate(time.Microsecond)
			put(tx, s.recoveryCodes, c.ID, &cp, nil)
		}
		return nil
	})
}

// ListRecoveryCodes implements auth.MFAStore.
func (s *Store) ListRecoveryCodes(ctx context.Context, authIdentityID string) ([]*auth.RecoveryCode, error) {
	return read(ctx, s, func() []*auth.RecoveryCode {
		out := []*auth.RecoveryCode{}
		for _, c := range s.recoveryCodes {
			if c.AuthIdentityID == authIdentityID {
				cp := *c
				out = append(out, &cp)
			}
		}
		slices.SortFunc(out, func(a, b *auth.RecoveryCode) int { return strings.Compare(a.ID, b.ID) })
		return out
	})
}

// DeleteRecoveryCode implements auth.MFAStore.
func (s *Store) DeleteRecoveryCode(ctx context.Context, id string) (bool, error) {
	deleted := false
	err := s.write(ctx, func(tx *txn) error {
		if _, ok := s.recoveryCodes[id]; ok {
			put[auth.RecoveryCode](tx, s.recoveryCodes, id, nil, nil)
			deleted = true
		}
		return nil
	})
	return deleted, err
}

// InsertMFAChallenge implements auth.MFAStore. Expired challenges are
// forgotten as new ones come in: a sweep whenever the table has doubled
// since the last one.
func (s *Store) InsertMFAChallenge(ctx context.Context, c *auth.MFAChallenge, now time.Time) error {
	if c == nil || c.ID == "" {
		return store.Invalid("id", "an MFA challenge needs an id")
	}
	return s.write(ctx, func(tx *txn) error {
		if err := s.identityExists(c.AuthIdentityID); err != nil {
			return err
		}
		if _, dup := s.mfaChallenges[c.ID]; dup {
			return &store.ConflictError{Entity: "MFA challenge", Fields: [][2]string{{"id", c.ID}}}
		}
		if len(s.mfaChallenges) >= s.challengeSweepAt {
			for k, e := range s.mfaChallenges {
				if e.ExpiresAt.Before(now) {
					put[auth.MFAChallenge](tx, s.mfaChallenges, k, nil, nil)
				}
			}
			s.challengeSweepAt = max(64, 2*len(s.mfaChallenges))
		}
		put(tx, s.mfaChallenges, c.ID, cloneChallenge(c), nil)
		return nil
	})
}

// GetMFAChallenge implements auth.MFAStore; a unit of work holds the
// store's write lock, so lock needs nothing more.
func (s *Store) GetMFAChallenge(ctx context.Context, id string, _ bool) (*auth.MFAChallenge, error) {
	c, err := read(ctx, s, func() *auth.MFAChallenge {
		if c, ok := s.mfaChallenges[id]; ok {
			return cloneChallenge(c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, &store.NotFoundError{Entity: "MFA challenge", IDs: []string{id}}
	}
	return c, nil
}

// UpdateMFAChallenge implements auth.MFAStore.
func (s *Store) UpdateMFAChallenge(ctx context.Context, c *auth.MFAChallenge) error {
	return s.write(ctx, func(tx *txn) error {
		old, ok := s.mfaChallenges[c.ID]
		if !ok {
			return &store.NotFoundError{Entity: "MFA challenge", IDs: []string{c.ID}}
		}
		next := cloneChallenge(old)
		next.Attempts = c.Attempts
		next.CompletedAt = cloneTime(c.CompletedAt)
		if next.CompletedAt != nil {
			*next.CompletedAt = next.CompletedAt.UTC().Truncate(time.Microsecond)
		}
		put(tx, s.mfaChallenges, c.ID, next, nil)
		return nil
	})
}

// deleteMFAOf deletes the factors, recovery codes and challenges of the
// identities in gone (DeleteAuthIdentities).
func (s *Store) deleteMFAOf(tx *txn, gone map[string]bool) {
	for id, f := range s.mfaFactors {
		if gone[f.AuthIdentityID] {
			put[auth.MFAFactor](tx, s.mfaFactors, id, nil, nil)
		}
	}
	for id, c := range s.recoveryCodes {
		if gone[c.AuthIdentityID] {
			put[auth.RecoveryCode](tx, s.recoveryCodes, id, nil, nil)
		}
	}
	for id, c := range s.mfaChallenges {
		if gone[c.AuthIdentityID] {
			put[auth.MFAChallenge](tx, s.mfaChallenges, id, nil, nil)
		}
	}
}
