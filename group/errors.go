package group

import "github.com/clientele/clientele/store"

// Errors returned by the group service, matched with errors.Is.
var (
	// ErrNotFound: no such group, or no such (live) customer.
	ErrNotFound = store.Kind("group", store.ErrNotFound)
	// ErrConflict: the name is taken by a live group.
	ErrConflict = store.Kind("group", store.ErrConflict)
	// ErrInvalid: bad input; the error is a *store.ValidationError.
	ErrInvalid = store.Kind("group", store.ErrInvalid)
)

// ValidationError is store.ValidationError, so errors.As works with either name.
type ValidationError = store.ValidationError
