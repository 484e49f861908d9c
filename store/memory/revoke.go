package memory

import (
	"context"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

var (
	_ auth.RevocationStore   = (*Store)(nil)
	_ auth.RefreshTokenStore = (*Store)(nil)
)

// TokensValidAfter implements auth.RevocationStore.
func (s *Store) TokensValidAfter(ctx context.Context, authIdentityID string) (time.Time, error) {
	return read(ctx, s, func() time.Time {
		if t, ok := s.validAfter[authIdentityID]; ok {
			return *t
		}
		return time.Time{}
	})
}

// SetTokensValidAfter implements auth.RevocationStore.
func (s *Store) SetTokensValidAfter(ctx context.Context, authIdentityID string, t time.Time) error {
	if authIdentityID == "" {
		return store.Invalid("auth_identity_id", "is required")
	}
	t = t.UTC().Truncate(time.Microsecond)
	return s.write(ctx, func(tx *txn) error {
		if old, ok := s.validAfter[authIdentityID]; ok && !t.After(*old) {
			return nil
		}
		put(tx, s.validAfter, authIdentityID, &t, nil)
		return nil
	})
}

func cloneRefresh(t *auth.RefreshToken) *auth.RefreshToken {
	cp := *t
	cp.UsedAt = cloneTime(t.UsedAt)
	cp.RevokedAt = cloneTime(t.RevokedAt)
	cp.MFACompletedAt = cloneTime(t.MFACompletedAt)
	return &cp
}

// InsertRefreshToken implements auth.RefreshTokenStore.
func (s *Store) InsertRefreshToken(ctx context.Context, t *auth.RefreshToken) error {
	if t == nil || t.TokenHash == "" || t.ID == "" {
		return store.Invalid("token_hash", "a refresh token needs an id and a hash")
	}
	return s.write(ctx, func(tx *txn) error {
		if _, dup := s.refreshTokens[t.TokenHash]; dup {
			return &store.ConflictError{Entity: "Refresh token", Fields: [][2]string{{"id", t.ID}}, Err: store.ErrConflict}
		}
		// Forget expired tokens as new ones come in: a sweep whenever the
		// table has doubled since the last one (O(1) amortised).
		if len(s.refreshTokens) >= s.refreshSweepAt {
			now := time.Now()
			for k, e := range s.refreshTokens {
				if !e.ExpiresAt.After(now) {
					put[auth.RefreshToken](tx, s.refreshTokens, k, nil, nil)
				}
			}
			s.refreshSweepAt = max(64, 2*len(s.refreshTokens))
		}
		put(tx, s.refreshTokens, t.TokenHash, cloneRefresh(t), nil)
		return nil
	})
}

// UseRefreshToken implements auth.RefreshTokenStore.
func (s *Store) UseRefreshToken(ctx context.Context, tokenHash string, now time.Time) (*auth.RefreshToken, error) {
	var out *auth.RefreshToken
	err := s.write(ctx, func(tx *txn) error {
		t, ok := s.refreshTokens[tokenHash]
		if !ok {
			return &store.NotFoundError{Entity: "RefreshToken", Err: store.ErrNotFound}
		}
		out = cloneRefresh(t)
		if t.UsedAt == nil {
			used := cloneRefresh(t)
			at := now.UTC().Truncate(time.Microsecond)
			used.UsedAt = &at
			put(tx, s.refreshTokens, tokenHash, used, nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeRefreshFamily implements auth.RefreshTokenStore.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	return s.revokeRefresh(ctx, now, func(t *auth.RefreshToken) bool { return t.FamilyID == familyID })
}

// RevokeRefreshTokensOf implements auth.RefreshTokenStore.
func (s *Store) RevokeRefreshTokensOf(ctx context.Context, authIdentityID string, now time.Time) error {
	return s.revokeRefresh(ctx, now, func(t *auth.RefreshToken) bool { return t.AuthIdentityID == authIdentityID })
}

func (s *Store) revokeRefresh(ctx context.Context, now time.Time, match func(*auth.RefreshToken) bool) error {
	at := now.UTC().Truncate(time.Microsecond)
	return s.write(ctx, func(tx *txn) error {
		for k, t := range s.refreshTokens {
			if t.RevokedAt == nil && match(t) {
				r := cloneRefresh(t)
				r.RevokedAt = &at
				put(tx, s.refreshTokens, k, r, nil)
			}
		}
		return nil
	})
}
