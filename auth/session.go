package auth

import (
	"context"
	"time"
)

// Session is a server-side login session (Medusa's cookie session mode):
// what a session cookie stands for, kept in the store so that it can be
// revoked. ID is the hex SHA-256 of the cookie's secret value, never the
// value itself, so a copy of the store cannot be replayed as cookies.
type Session struct {
	ID             string
	AuthIdentityID string
	ActorType      string
	ActorID        string
	// Claims are the verified claims of the token the session was made
	// from (Medusa stores the whole JWT payload as the auth context).
	Claims    Claims
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionStore is an optional interface of a backend that keeps
// server-side sessions (store/memory and store/postgres implement it).
type SessionStore interface {
	// PutSession stores s under s.ID, replacing a session with that id.
	PutSession(ctx context.Context, s *Session) error
	// GetSession returns the session with id idHash that has not expired
	// at now; a missing or expired session fails with ErrNotFound.
	GetSession(ctx context.Context, idHash string, now time.Time) (*Session, error)
	// DeleteSession deletes the session with id idHash; a missing session
	// is not an error.
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteSessionsOf deletes every session of an auth identity (after a
	// password reset, or when the identity or its actor is deleted).
	DeleteSessionsOf(ctx context.Context, authIdentityID string) error
}
