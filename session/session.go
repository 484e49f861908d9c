// Package session defines server-side login sessions (Medusa's cookie
// session mode) and the store that keeps them.
//
// A session is what a session cookie stands for: the verified claims of
// the token it was opened with, kept in the store so that it can be
// revoked. The store is shared by every instance of an application
// (store/memory and store/postgres implement [Store]), so a session opened
// on one instance is honoured, and revoked, on all of them.
//
// Session ids are the hex SHA-256 of the cookie's secret value, never the
// value itself, so a copy of the store cannot be replayed as cookies.
package session

import (
	"context"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// ErrNotFound is the error of a missing or expired session. It wraps
// store.ErrNotFound.
var ErrNotFound = store.Kind("session", store.ErrNotFound)

// Session is a server-side login session.
type Session struct {
	// ID is the hex SHA-256 of the cookie's secret value.
	ID             string
	AuthIdentityID string
	ActorType      string
	ActorID        string
	// Claims are the verified claims of the token the session was made
	// from (Medusa stores the whole JWT payload as the auth context).
	Claims    auth.Claims
	CreatedAt time.Time
	// ExpiresAt is the session's absolute end.
	ExpiresAt time.Time
	// IdleExpiresAt, when set, is when the session ends unless it is
	// used before: the time of its last recorded use plus the idle
	// timeout. [Toucher.TouchSession] moves it forward. Zero: no idle
	// timeout.
	IdleExpiresAt time.Time
}

// Live reports whether s has not expired at now, absolutely or for being
// idle.
func (s *Session) Live(now time.Time) bool {
	return now.Before(s.ExpiresAt) && (s.IdleExpiresAt.IsZero() || now.Before(s.IdleExpiresAt))
}

// Toucher is implemented by session stores that can extend a session's
// idle deadline (store/memory and store/postgres do); idle timeouts need
// it.
type Toucher interface {
	// TouchSession sets the IdleExpiresAt of the session with id idHash to
	// idleExpiresAt when that is later than the stored one. A session that
	// is missing, has no idle deadline, or has expired (absolutely or
	// idle) at now is left as it is: a touch never revives a session
	// nor creates one, so it cannot race a logout into a live session.
	TouchSession(ctx context.Context, idHash string, idleExpiresAt, now time.Time) error
}

// Store keeps sessions.
//
// Its writes join the unit of work carried by their context
// (store.Transactor): inside a unit they apply only when it commits, so
// an account and its sessions can be deleted together.
type Store interface {
	// PutSession stores s under s.ID, replacing a session with that id.
	// An empty id is a *store.ValidationError.
	PutSession(ctx context.Context, s *Session) error
	// GetSession returns the session with id idHash that is live at now
	// (Session.Live: neither its ExpiresAt nor its IdleExpiresAt has
	// passed); a missing or expired session fails with ErrNotFound.
	GetSession(ctx context.Context, idHash string, now time.Time) (*Session, error)
	// DeleteSession deletes the session with id idHash; a missing session
	// is not an error.
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteSessionsOf deletes the sessions of an auth identity: every
	// one (after a password reset, or when the identity is deleted), or,
	// with actorTypes, only those of these actor types (when one actor of
	// the identity is deleted).
	DeleteSessionsOf(ctx context.Context, authIdentityID string, actorTypes ...string) error
}
