package auth

import "context"

// RefreshTokenDeleter is implemented by refresh-token stores that can
// delete an identity's refresh tokens for good (store/memory and
// store/postgres do). [Service.DeleteRefreshTokensOf] uses it.
type RefreshTokenDeleter interface {
	// DeleteRefreshTokensOf deletes every refresh token of the identity,
	// used, revoked or live.
	DeleteRefreshTokensOf(ctx context.Context, authIdentityID string) error
}

// DeleteRefreshTokensOf deletes the identity's refresh tokens from the
// refresh-token store of [WithRefreshRotation], when that store is a
// [RefreshTokenDeleter] (a deleted token refreshes nothing: Rotate fails
// as for an unknown token). Without rotation, or with a store that cannot
// delete, it does nothing: revoke them with [Service.RevokeAll]. The
// erasure of a customer (account.Service.Erase) calls it so that no row
// names the erased identity but its revocation time, which must outlive
// the identity's last token.
func (s *Service) DeleteRefreshTokensOf(ctx context.Context, authIdentityID string) error {
	d, ok := s.rev.refresh.(RefreshTokenDeleter)
	if !ok {
		return nil
	}
	return d.DeleteRefreshTokensOf(ctx, authIdentityID)
}
