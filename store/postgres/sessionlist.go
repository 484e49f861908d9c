package postgres

import (
	"context"
	"time"

	"github.com/clientele/clientele/session"
)

var _ session.Lister = (*Store)(nil)

// ListSessionsOf implements session.Lister (served by the index on
// auth_identity_id).
func (s *Store) ListSessionsOf(ctx context.Context, authIdentityID string, now time.Time) ([]*session.Session, error) {
	rows, err := s.sqlConn(ctx).QueryContext(ctx,
		`SELECT `+sessionColumns+` FROM clientele_session
		 WHERE auth_identity_id = $1 AND expires_at > $2 AND (idle_expires_at IS NULL OR idle_expires_at > $2)
		 ORDER BY created_at, id`, authIdentityID, now.UTC())
	if err != nil {
		return nil, translate(ctx, "list sessions", err)
	}
	defer rows.Close()
	var out []*session.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, translate(ctx, "list sessions", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, "list sessions", err)
	}
	return out, nil
}
