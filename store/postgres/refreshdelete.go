package postgres

import (
	"context"

	"github.com/clientele/clientele/auth"
)

var _ auth.RefreshTokenDeleter = (*Store)(nil)

// DeleteRefreshTokensOf implements auth.RefreshTokenDeleter.
func (s *Store) DeleteRefreshTokensOf(ctx context.Context, authIdentityID string) error {
	_, err := s.sqlConn(ctx).ExecContext(ctx, "DELETE FROM clientele_refresh_token WHERE auth_identity_id = $1", authIdentityID)
	return translate(ctx, "delete refresh tokens", err)
}
