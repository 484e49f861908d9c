package customer

import "github.com/clientele/clientele/store"

// Errors returned by the customer service, matched with errors.Is.
var (
	// ErrNotFound: no such customer (or it is soft-deleted).
	ErrNotFound = store.Kind("customer", store.ErrNotFound)
	// ErrConflict: another live customer has the same email and
	// has_account; the error is a *store.ConflictError.
	ErrConflict = store.Kind("customer", store.ErrConflict)
	// ErrInvalid: bad input; the error is a *store.ValidationError.
	ErrInvalid = store.Kind("customer", store.ErrInvalid)
)

// ValidationError is store.ValidationError, so errors.As works with either name.
type ValidationError = store.ValidationError
