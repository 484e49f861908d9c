package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

var (
	_ session.Store   = (*Store)(nil)
	_ session.Toucher = (*Store)(nil)
)

// putSessionSQL upserts a session and deletes up to statePurge expired
// ones, as putStateSQL does for OAuth state.
var putSessionSQL = `WITH expired AS (
	DELETE FROM clientele_session WHERE id IN (
		SELECT id FROM clientele_session WHERE expires_at < now() AND id <> $1
		ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED))
INSERT INTO clientele_session (id, auth_identity_id, actor_type, actor_id, claims, created_at, expires_at, idle_expires_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
ON CONFLICT (id) DO UPDATE SET auth_identity_id = EXCLUDED.auth_identity_id, actor_type = EXCLUDED.actor_type,
	actor_id = EXCLUDED.actor_id, claims = EXCLUDED.claims, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
	idle_expires_at = EXCLUDED.idle_expires_at`

// PutSession implements session.Store on clientele_session.
func (s *Store) PutSession(ctx context.Context, sess *session.Session) error {
	if sess == nil || sess.ID == "" {
		return store.Invalid("id", "a session id is required")
	}
	claims, err := json.Marshal(sess.Claims)
	if err != nil {
		return store.Invalid("claims", "claims are not valid JSON: %v", err)
	}
	var idle sql.NullTime
	if !sess.IdleExpiresAt.IsZero() {
		idle = sql.NullTime{Time: sess.IdleExpiresAt.UTC(), Valid: true}
	}
	_, err = s.sqlConn(ctx).ExecContext(ctx, putSessionSQL, sess.ID, sess.AuthIdentityID, sess.ActorType, sess.ActorID,
		string(claims), sess.CreatedAt.UTC(), sess.ExpiresAt.UTC(), idle)
	return translate(ctx, "put session", err)
}

// GetSession implements session.Store.
func (s *Store) GetSession(ctx context.Context, idHash string, now time.Time) (*session.Session, error) {
	out, err := scanSession(s.sqlConn(ctx).QueryRowContext(ctx,
		`SELECT `+sessionColumns+` FROM clientele_session
		 WHERE id = $1 AND expires_at > $2 AND (idle_expires_at IS NULL OR idle_expires_at > $2)`, idHash, now.UTC()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &store.NotFoundError{Entity: "Session", Err: session.ErrNotFound}
	}
	if err != nil {
		return nil, translate(ctx, "get session", err)
	}
	return out, nil
}

// sessionColumns are the columns scanSession reads, in its order.
const sessionColumns = "id, auth_identity_id, actor_type, actor_id, claims, created_at, expires_at, idle_expires_at"

// scanSession reads a session row of sessionColumns.
func scanSession(row interface{ Scan(dest ...any) error }) (*session.Session, error) {
	var out session.Session
	var claims []byte
	var idle sql.NullTime
	if err := row.Scan(&out.ID, &out.AuthIdentityID, &out.ActorType, &out.ActorID, &claims, &out.CreatedAt, &out.ExpiresAt, &idle); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(claims, &out.Claims); err != nil {
		return nil, err
	}
	out.CreatedAt, out.ExpiresAt = out.CreatedAt.UTC(), out.ExpiresAt.UTC()
	if idle.Valid {
		out.IdleExpiresAt = idle.Time.UTC()
	}
	return &out, nil
}

// TouchSession implements session.Toucher: one UPDATE that changes
// nothing unless the session is live and the new deadline is later.
func (s *Store) TouchSession(ctx context.Context, idHash string, idleExpiresAt, now time.Time) error {
	_, err := s.sqlConn(ctx).ExecContext(ctx,
		`UPDATE clientele_session SET idle_expires_at = $2
		 WHERE id = $1 AND idle_expires_at IS NOT NULL AND idle_expires_at < $2 AND idle_expires_at > $3 AND expires_at > $3`,
		idHash, idleExpiresAt.UTC(), now.UTC())
	return translate(ctx, "touch session", err)
}

// DeleteSession implements session.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.sqlConn(ctx).ExecContext(ctx, "DELETE FROM clientele_session WHERE id = $1", idHash)
	return translate(ctx, "delete session", err)
}

// DeleteSessionsOf implements session.Store.
func (s *Store) DeleteSessionsOf(ctx context.Context, authIdentityID string, actorTypes ...string) error {
	var err error
	if len(actorTypes) == 0 {
		_, err = s.sqlConn(ctx).ExecContext(ctx, "DELETE FROM clientele_session WHERE auth_identity_id = $1", authIdentityID)
	} else {
		_, err = s.sqlConn(ctx).ExecContext(ctx, "DELETE FROM clientele_session WHERE auth_identity_id = $1 AND actor_type = ANY($2)", authIdentityID, actorTypes)
	}
	return translate(ctx, "delete sessions", err)
}
