package audit

import (
	"context"
	"time"

	"github.com/clientele/clientele/store"
)

// Store keeps audit entries. store/memory and store/postgres implement
// it; store/storetest holds its conformance suite.
//
// Its writes join the unit of work carried by their context
// (store.Transactor): inside a unit they apply only when it commits, so
// that an entry and the change it records are kept together or not at
// all. There is no method that changes an entry's action, outcome, ids or
// time.
type Store interface {
	store.Transactor
	// AppendAuditEntries stores new entries. An entry without an id, an
	// action or an outcome, or with an id taken, fails (a
	// *store.ValidationError, or store.ErrConflict) and nothing is
	// written.
	AppendAuditEntries(ctx context.Context, entries []*Entry) error
	// ListAuditEntries returns the entries matching f, newest first
	// (CreatedAt, then ID, descending), paged by p (a zero Limit:
	// DefaultLimit).
	ListAuditEntries(ctx context.Context, f Filter, p Page) ([]*Entry, error)
	// PurgeAuditEntries deletes at most limit entries created before
	// before, oldest first, and returns how many it deleted.
	PurgeAuditEntries(ctx context.Context, before time.Time, limit int) (int, error)
	// AnonymiseAuditEntries empties the IP and UserAgent of the entries
	// matching f and returns how many it changed (entries already empty
	// are not counted).
	AnonymiseAuditEntries(ctx context.Context, f Filter) (int, error)
}

// CheckEntry validates an entry before a store writes it: the checks
// AppendAuditEntries makes, shared by the backends.
func CheckEntry(e *Entry) error {
	switch {
	case e == nil:
		return store.Invalid("entry", "is required")
	case e.ID == "":
		return store.Invalid("id", "is required")
	case e.Action == "":
		return store.Invalid("action", "is required")
	case e.Outcome != Success && e.Outcome != Failure:
		return store.Invalid("outcome", "must be %q or %q, got %q", Success, Failure, e.Outcome)
	case e.CreatedAt.IsZero():
		return store.Invalid("created_at", "is required")
	case len(e.Details) > MaxDetails:
		return store.Invalid("details", "at most %d, got %d", MaxDetails, len(e.Details))
	}
	if e.Reason != "" && !contains(Reasons, e.Reason) {
		return store.Invalid("reason", "unknown reason %q", e.Reason)
	}
	fields := []struct{ name, v string }{
		{"id", e.ID}, {"action", string(e.Action)}, {"auth_identity_id", e.AuthIdentityID},
		{"actor_type", e.ActorType}, {"actor_id", e.ActorID}, {"provider", e.Provider},
		{"ip", e.IP}, {"user_agent", e.UserAgent},
	}
	for _, f := range fields {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	for k, v := range e.Details {
		if k == "" {
			return store.Invalid("details", "empty key")
		}
		if err := checkText("details."+k, k); err != nil {
			return err
		}
		if err := checkText("details."+k, v); err != nil {
			return err
		}
	}
	return nil
}

func checkText(field, s string) error {
	if len(s) > MaxFieldLength {
		return store.Invalid(field, "at most %d bytes, got %d", MaxFieldLength, len(s))
	}
	if clean(s) != s {
		return store.Invalid(field, "must be valid UTF-8 without control characters")
	}
	return nil
}

// CheckPage validates a page and returns its limit (DefaultLimit for 0).
func CheckPage(p Page) (int, error) {
	switch {
	case p.Limit < 0:
		return 0, store.Invalid("limit", "must not be negative, got %d", p.Limit)
	case p.Limit > MaxLimit:
		return 0, store.Invalid("limit", "at most %d, got %d", MaxLimit, p.Limit)
	case p.Offset < 0:
		return 0, store.Invalid("offset", "must not be negative, got %d", p.Offset)
	case p.Limit == 0:
		return DefaultLimit, nil
	}
	return p.Limit, nil
}
