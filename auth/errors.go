package auth

import (
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// Errors returned by the auth service, matched with errors.Is.
var (
	// ErrNotFound: no such identity.
	ErrNotFound = store.Kind("auth", store.ErrNotFound)
	// ErrConflict: the provider identity (entity_id, provider) exists.
	ErrConflict = store.Kind("auth", store.ErrConflict)
	// ErrInvalid: bad input; the error is a *store.ValidationError or a
	// *provider.Error of kind store.ErrInvalid.
	ErrInvalid = store.Kind("auth", store.ErrInvalid)
	// ErrUnauthorized is the kind of every failed proof: wrong credentials,
	// a bad token, a failed callback. It wraps provider.ErrUnauthorized.
	ErrUnauthorized = store.Kind("auth", provider.ErrUnauthorized)
	// ErrUnknownProvider: no provider with that id is configured.
	ErrUnknownProvider = store.Sentinel("auth: unknown provider", store.ErrInvalid)
	// ErrNotAllowed: the actor type may not use the provider. It is also
	// the kind of Medusa's other NOT_ALLOWED refusals (the verification
	// code errors), which httpapi answers 400 not_allowed.
	ErrNotAllowed = store.Sentinel("auth: provider not allowed for actor type", store.ErrInvalid)
	// ErrNotSupported: the provider does not implement the method.
	ErrNotSupported = store.Sentinel("auth: not supported by provider", store.ErrInvalid)
)

// ValidationError is store.ValidationError, so errors.As works with either name.
type ValidationError = store.ValidationError
