package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

var (
	_ auth.RevocationStore   = (*Store)(nil)
	_ auth.RefreshTokenStore = (*Store)(nil)
)

// TokensValidAfter implements auth.RevocationStore on
// clientele_token_revocation (one primary-key lookup).
func (s *Store) TokensValidAfter(ctx context.Context, authIdentityID string) (time.Time, error) {
	var t time.Time
	err := s.sqlConn(ctx).QueryRowContext(ctx,
		"SELECT valid_after FROM clientele_token_revocation WHERE auth_identity_id = $1", authIdentityID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, translate(ctx, "read token revocation", err)
	}
	return t.UTC(), nil
}

// SetTokensValidAfter implements auth.RevocationStore: an upsert that
// keeps the later time.
func (s *Store) SetTokensValidAfter(ctx context.Context, authIdentityID string, t time.Time) error {
	if authIdentityID == "" {
		return store.Invalid("auth_identity_id", "is required")
	}
	_, err := s.sqlConn(ctx).ExecContext(ctx, `INSERT INTO clientele_token_revocation (auth_identity_id, valid_after, updated_at)
VALUES ($1, $2, now())
ON CONFLICT (auth_identity_id) DO UPDATE SET valid_after = EXCLUDED.valid_after, updated_at = now()
WHERE clientele_token_revocation.valid_after < EXCLUDED.valid_after`, authIdentityID, t.UTC())
	return translate(ctx, "revoke tokens", err)
}

const refreshColumns = `id, family_id, auth_identity_id, actor_type, auth_provider, token_hash, login_at, created_at, expires_at, used_at, revoked_at, mfa_completed_at`

// InsertRefreshToken implements auth.RefreshTokenStore.
func (s *Store) InsertRefreshToken(ctx context.Context, t *auth.RefreshToken) error {
	if t == nil || t.TokenHash == "" || t.ID == "" {
		return store.Invalid("token_hash", "a refresh token needs an id and a hash")
	}
	// Expired tokens are purged as new ones come in, up to 100 at a time,
	// as PutSession does for sessions.
	_, err := s.sqlConn(ctx).ExecContext(ctx, `WITH expired AS (
	DELETE FROM clientele_refresh_token WHERE id IN (
		SELECT id FROM clientele_refresh_token WHERE expires_at < now()
		ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED))
INSERT INTO clientele_refresh_token (`+refreshColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		t.ID, t.FamilyID, t.AuthIdentityID, t.ActorType, t.AuthProvider, t.TokenHash,
		t.LoginAt.UTC(), t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utcArg(t.UsedAt), utcArg(t.RevokedAt), utcArg(t.MFACompletedAt))
	return translate(ctx, "insert refresh token", err)
}

// UseRefreshToken implements auth.RefreshTokenStore: the row is locked, so
// of concurrent uses exactly one reads used_at as NULL.
func (s *Store) UseRefreshToken(ctx context.Context, tokenHash string, now time.Time) (*auth.RefreshToken, error) {
	var t auth.RefreshToken
	var used, revoked, mfaAt sql.NullTime
	err := s.sqlConn(ctx).QueryRowContext(ctx, `WITH old AS (
	SELECT `+refreshColumns+` FROM clientele_refresh_token WHERE token_hash = $1 FOR UPDATE)
UPDATE clientele_refresh_token r SET used_at = COALESCE(r.used_at, $2) FROM old WHERE r.id = old.id
RETURNING old.id, old.family_id, old.auth_identity_id, old.actor_type, old.auth_provider, old.token_hash,
	old.login_at, old.created_at, old.expires_at, old.used_at, old.revoked_at, old.mfa_completed_at`, tokenHash, now.UTC()).
		Scan(&t.ID, &t.FamilyID, &t.AuthIdentityID, &t.ActorType, &t.AuthProvider, &t.TokenHash,
			&t.LoginAt, &t.CreatedAt, &t.ExpiresAt, &used, &revoked, &mfaAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &store.NotFoundError{Entity: "Refresh token", Err: store.ErrNotFound}
	}
	if err != nil {
		return nil, translate(ctx, "use refresh token", err)
	}
	t.LoginAt, t.CreatedAt, t.ExpiresAt = t.LoginAt.UTC(), t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	if used.Valid {
		u := used.Time.UTC()
		t.UsedAt = &u
	}
	if revoked.Valid {
		r := revoked.Time.UTC()
		t.RevokedAt = &r
	}
	if mfaAt.Valid {
		m := mfaAt.Time.UTC()
		t.MFACompletedAt = &m
	}
	return &t, nil
}

// RevokeRefreshFamily implements auth.RefreshTokenStore.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	_, err := s.sqlConn(ctx).ExecContext(ctx,
		"UPDATE clientele_refresh_token SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", familyID, now.UTC())
	return translate(ctx, "revoke refresh family", err)
}

// RevokeRefreshTokensOf implements auth.RefreshTokenStore.
func (s *Store) RevokeRefreshTokensOf(ctx context.Context, authIdentityID string, now time.Time) error {
	_, err := s.sqlConn(ctx).ExecContext(ctx,
		"UPDATE clientele_refresh_token SET revoked_at = $2 WHERE auth_identity_id = $1 AND revoked_at IS NULL", authIdentityID, now.UTC())
	return translate(ctx, "revoke refresh tokens", err)
}

func utcArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}
