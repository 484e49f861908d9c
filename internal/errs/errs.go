// Package errs builds the errors of one domain package: validation errors,
// not-found errors and the classification of a store's errors under the
// package's sentinels.
package errs

import (
	"errors"
	"fmt"

	"github.com/clientele/clientele/store"
)

// Domain is one entity of a domain package and the package's sentinels
// (each made with store.Kind, so each wraps its store kind).
type Domain struct {
	// Entity is Medusa's model name, used in not-found messages
	// ("Customer", "CustomerAddress", …).
	Entity                      string
	NotFound, Conflict, Invalid error
}

// Invalidf returns a *store.ValidationError for field that wraps the
// domain's Invalid sentinel.
func (d Domain) Invalidf(field, format string, args ...any) error {
	return &store.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...), Err: d.Invalid}
}

// Public returns a *store.ValidationError for field whose message for
// clients is msg as it is (Medusa's own sentence), wrapping the domain's
// Invalid sentinel.
func (d Domain) Public(field, msg string) error {
	return &store.ValidationError{Field: field, Reason: msg, Message: msg, Err: d.Invalid}
}

// Missing returns a *store.NotFoundError naming ids that wraps the domain's
// NotFound sentinel.
func (d Domain) Missing(ids ...string) error {
	return &store.NotFoundError{Entity: d.Entity, IDs: ids, Err: d.NotFound}
}

// Classify gives the store's typed errors in err's chain that carry no
// domain sentinel yet the domain's sentinel of their kind, so callers can
// match customer.ErrConflict and the like. Errors another domain has
// classified already keep their sentinel; classification follows the
// error's kind, never its entity name. Classify returns err.
func (d Domain) Classify(err error) error {
	if err == nil {
		return nil
	}
	if ve, ok := errors.AsType[*store.ValidationError](err); ok && ve.Err == nil {
		ve.Err = d.Invalid
	}
	if ce, ok := errors.AsType[*store.ConflictError](err); ok && ce.Err == nil {
		ce.Err = d.Conflict
	}
	if ne, ok := errors.AsType[*store.NotFoundError](err); ok && ne.Err == nil {
		ne.Err = d.NotFound
	}
	return err
}
