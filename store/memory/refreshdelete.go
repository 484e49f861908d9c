package memory

import (
	"context"

	"github.com/clientele/clientele/auth"
)

var _ auth.RefreshTokenDeleter = (*Store)(nil)

// DeleteRefreshTokensOf implements auth.RefreshTokenDeleter.
func (s *Store) DeleteRefreshTokensOf(ctx context.Context, authIdentityID string) error {
	return s.write(ctx, func(tx *txn) error {
		for k, t := range s.refreshTokens {
			if t.AuthIdentityID == authIdentityID {
				put[auth.RefreshToken](tx, s.refreshTokens, k, nil, nil)
			}
		}
		return nil
	})
}
