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

var _ auth.VerificationStore = (*Store)(nil)

func cloneVerification(v *auth.Verification) *auth.Verification {
	cp := *v
	cp.VerifiedAt = cloneTime(v.VerifiedAt)
	cp.DeletedAt = cloneTime(v.DeletedAt)
	cp.ProviderMetadata = meta.Clone(v.ProviderMetadata)
	cp.Metadata = meta.Clone(v.Metadata)
	return &cp
}

// RenewVerification implements auth.VerificationStore.
func (s *Store) RenewVerification(ctx context.Context, v *auth.Verification, replaceVerified bool) (*auth.Verification, bool, error) {
	if v == nil || v.ID == "" || v.AuthIdentityID == "" || v.EntityID == "" || v.EntityType == "" {
		return nil, false, store.Invalid("verification", "a verification needs an id, an identity and an entity")
	}
	var out *auth.Verification
	renewed := false
	err := s.write(ctx, func(tx *txn) error {
		if _, ok := s.authIdentities[v.AuthIdentityID]; !ok {
			return &store.NotFoundError{Entity: "AuthIdentity", IDs: []string{v.AuthIdentityID}}
		}
		var old *auth.Verification
		for _, o := range s.verifications {
			if o.DeletedAt == nil && o.AuthIdentityID == v.AuthIdentityID && o.EntityID == v.EntityID && o.EntityType == v.EntityType {
				old = o
				break
			}
		}
		if old == nil {
			if _, taken := s.verifications[v.ID]; taken {
				return &store.ConflictError{Entity: "Auth verification", Fields: [][2]string{{"id", v.ID}}}
			}
			out, renewed = cloneVerification(v), true
			put(tx, s.verifications, v.ID, out, nil)
			return nil
		}
		if old.VerifiedAt != nil && !replaceVerified {
			out = old
			return nil
		}
		n := cloneVerification(old)
		n.CodeProvider, n.CodeHash, n.RequestedAt, n.UpdatedAt = v.CodeProvider, v.CodeHash, v.RequestedAt, v.UpdatedAt
		n.ProviderMetadata, n.VerifiedAt = meta.Clone(v.ProviderMetadata), nil
		if v.Metadata != nil {
			n.Metadata = meta.Clone(v.Metadata)
		}
		out, renewed = n, true
		put(tx, s.verifications, n.ID, n, nil)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return cloneVerification(out), renewed, nil
}

// ListVerifications implements auth.VerificationStore.
func (s *Store) ListVerifications(ctx context.Context, f auth.VerificationFilter) ([]*auth.Verification, error) {
	return read(ctx, s, func() []*auth.Verification {
		var rows []*auth.Verification
		for _, v := range s.verifications {
			if v.DeletedAt == nil && inList(f.IDs, v.ID) && inList(f.AuthIdentityIDs, v.AuthIdentityID) &&
				inList(f.EntityIDs, v.EntityID) && inList(f.EntityTypes, v.EntityType) && inList(f.CodeHashes, v.CodeHash) {
				rows = append(rows, cloneVerification(v))
			}
		}
		slices.SortFunc(rows, func(a, b *auth.Verification) int { return strings.Compare(a.ID, b.ID) })
		return rows
	})
}

// MarkVerified implements auth.VerificationStore.
func (s *Store) MarkVerified(ctx context.Context, id, codeHash string, now time.Time) (bool, error) {
	ok := false
	err := s.write(ctx, func(tx *txn) error {
		v, found := s.verifications[id]
		if !found || v.DeletedAt != nil || v.VerifiedAt != nil || v.CodeHash != codeHash {
			return nil
		}
		n := cloneVerification(v)
		at := now.UTC().Truncate(time.Microsecond)
		n.VerifiedAt, n.UpdatedAt = &at, at
		put(tx, s.verifications, id, n, nil)
		ok = true
		return nil
	})
	return ok, err
}
