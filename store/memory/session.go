package memory

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

var (
	_ session.Store   = (*Store)(nil)
	_ session.Toucher = (*Store)(nil)
)

func cloneSession(in *session.Session) *session.Session {
	cp := *in
	cp.Claims.AppMetadata = maps.Clone(in.Claims.AppMetadata)
	cp.Claims.UserMetadata = maps.Clone(in.Claims.UserMetadata)
	cp.Claims.Audience = append([]string(nil), in.Claims.Audience...)
	return &cp
}

// PutSession implements session.Store.
func (s *Store) PutSession(ctx context.Context, sess *session.Session) error {
	if sess == nil || sess.ID == "" {
		return store.Invalid("id", "a session id is required")
	}
	t := s.sessions
	return s.write(ctx, func(tx *txn) error {
		// Forget expired sessions as new ones come in: a sweep whenever
		// the table has doubled since the last one, so a put costs O(1)
		// amortised however many sessions there are.
		if len(t) >= s.sessionSweepAt {
			now := time.Now()
			for k, e := range t {
				if !e.ExpiresAt.After(now) {
					put[session.Session](tx, t, k, nil, nil)
				}
			}
			s.sessionSweepAt = max(64, 2*len(t))
		}
		put(tx, t, sess.ID, cloneSession(sess), nil)
		return nil
	})
}

// GetSession implements session.Store.
func (s *Store) GetSession(ctx context.Context, idHash string, now time.Time) (*session.Session, error) {
	t := s.sessions
	out, err := read(ctx, s, func() *session.Session {
		e, ok := t[idHash]
		if !ok || !e.Live(now) {
			return nil
		}
		return cloneSession(e)
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, &store.NotFoundError{Entity: "Session", Err: session.ErrNotFound}
	}
	return out, nil
}

// TouchSession implements session.Toucher.
func (s *Store) TouchSession(ctx context.Context, idHash string, idleExpiresAt, now time.Time) error {
	t := s.sessions
	return s.write(ctx, func(tx *txn) error {
		e, ok := t[idHash]
		if !ok || e.IdleExpiresAt.IsZero() || !e.Live(now) || !idleExpiresAt.After(e.IdleExpiresAt) {
			return nil
		}
		cp := cloneSession(e)
		cp.IdleExpiresAt = idleExpiresAt
		put(tx, t, idHash, cp, nil)
		return nil
	})
}

// DeleteSession implements session.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	t := s.sessions
	return s.write(ctx, func(tx *txn) error {
		if _, ok := t[idHash]; ok {
			put[session.Session](tx, t, idHash, nil, nil)
		}
		return nil
	})
}

// DeleteSessionsOf implements session.Store.
func (s *Store) DeleteSessionsOf(ctx context.Context, authIdentityID string, actorTypes ...string) error {
	return s.write(ctx, func(tx *txn) error {
		for id, sess := range s.sessions {
			if sess.AuthIdentityID == authIdentityID && (len(actorTypes) == 0 || slices.Contains(actorTypes, sess.ActorType)) {
				put[session.Session](tx, s.sessions, id, nil, nil)
			}
		}
		return nil
	})
}
