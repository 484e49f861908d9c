package address

import "github.com/clientele/clientele/store"

// Errors returned by the address service, matched with errors.Is.
var (
	// ErrNotFound: no such address, or no such (live) customer.
	ErrNotFound = store.Kind("address", store.ErrNotFound)
	// ErrConflict: a write collided with a concurrent change of a
	// customer's default addresses; retrying may succeed.
	ErrConflict = store.Kind("address", store.ErrConflict)
	// ErrInvalid: bad input; the error is a *store.ValidationError.
	ErrInvalid = store.Kind("address", store.ErrInvalid)
)

// ValidationError is store.ValidationError, so errors.As works with either name.
type ValidationError = store.ValidationError
