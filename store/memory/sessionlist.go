package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/session"
)

var _ session.Lister = (*Store)(nil)

// ListSessionsOf implements session.Lister.
func (s *Store) ListSessionsOf(ctx context.Context, authIdentityID string, now time.Time) ([]*session.Session, error) {
	t := s.sessions
	return read(ctx, s, func() []*session.Session {
		var out []*session.Session
		for _, e := range t {
			if e.AuthIdentityID == authIdentityID && e.Live(now) {
				out = append(out, cloneSession(e))
			}
		}
		slices.SortFunc(out, func(a, b *session.Session) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		return out
	})
}
