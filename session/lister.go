package session

import (
	"context"
	"time"
)

// Lister is implemented by session stores that can list an identity's
// sessions (store/memory and store/postgres do). account.Service.Export
// uses it to list a customer's sessions.
type Lister interface {
	// ListSessionsOf returns the sessions of an auth identity that are
	// live at now (Session.Live), oldest first.
	ListSessionsOf(ctx context.Context, authIdentityID string, now time.Time) ([]*Session, error)
}
