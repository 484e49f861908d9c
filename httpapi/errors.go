package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// Medusa's error types.
const (
	typeInvalidData = "invalid_data"
	typeNotFound    = "not_found"
	typeNotAllowed  = "not_allowed"
	typeUnauth      = "unauthorized"
	typeDuplicate   = "duplicate_error"
	typeConflict    = "conflict"
	typeUnknown     = "unknown_error"
)

// apiError is an HTTP error in Medusa's envelope {type, message} (+ code).
// Bare errors are written as {"message": …} only, as Medusa's
// authentication middleware does.
type apiError struct {
	Status  int
	Type    string
	Message string
	Code    string
	Bare    bool
}

func (e *apiError) Error() string { return e.Message }

func newError(status int, typ, msg string) *apiError {
	return &apiError{Status: status, Type: typ, Message: msg}
}

func invalidData(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, typeInvalidData, fmt.Sprintf(format, args...))
}

func notFoundErr(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, typeNotFound, fmt.Sprintf(format, args...))
}

// errUnauthorized is the authentication middleware's bare 401.
func errUnauthorized() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Message: "Unauthorized", Bare: true}
}

var errUnknown = &apiError{Status: http.StatusInternalServerError, Type: typeUnknown, Code: typeUnknown, Message: "An unknown error occurred."}

// toError maps a service error to Medusa's status, type and message.
// ok is false for errors that are not the caller's fault (logged, 500).
func toError(err error) (e *apiError, ok bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, ae.Status < 500
	}
	var pe *provider.Error
	hasPE := errors.As(err, &pe)
	msg := err.Error()
	if hasPE {
		msg = pe.Message
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errUnknown, false
	case errors.Is(err, account.ErrHasAccount):
		return &apiError{Status: 422, Type: typeDuplicate, Code: "invalid_request_error", Message: msg}, true
	case errors.Is(err, auth.ErrInvalidToken):
		if !hasPE {
			msg = "Invalid token"
		}
		return newError(http.StatusUnauthorized, typeUnauth, msg), true
	case errors.Is(err, auth.ErrUnauthorized):
		if !hasPE || msg == "" {
			msg = "Unauthorized"
		}
		return newError(http.StatusUnauthorized, typeUnauth, msg), true
	case errors.Is(err, auth.ErrUnknownProvider):
		return newError(http.StatusUnauthorized, typeUnauth, msg), true
	case errors.Is(err, auth.ErrNotAllowed):
		return newError(http.StatusBadRequest, typeNotAllowed, msg), true
	case errors.Is(err, store.ErrNotFound):
		return newError(http.StatusNotFound, typeNotFound, msg), true
	case errors.Is(err, address.ErrConflict) && !isConflictError(err):
		return newError(http.StatusConflict, typeConflict, "The request conflicted with a concurrent change. Retry the request."), true
	case errors.Is(err, store.ErrConflict) && (hasPE || isConflictError(err)):
		return newError(http.StatusBadRequest, typeInvalidData, msg), true
	case errors.Is(err, store.ErrConflict):
		// A conflict with a concurrent writer (serialization failure,
		// deadlock): retryable, and its text is the database's, not ours.
		return newError(http.StatusConflict, typeConflict, "The request conflicted with a concurrent change. Retry the request."), true
	case errors.Is(err, store.ErrInvalid):
		var ve *store.ValidationError
		if !hasPE && errors.As(err, &ve) {
			msg = validationMessage(ve)
		}
		return newError(http.StatusBadRequest, typeInvalidData, msg), true
	}
	return errUnknown, false
}

func isConflictError(err error) bool {
	var ce *store.ConflictError
	return errors.As(err, &ce)
}

// validationMessage returns a ValidationError's reason when it is a
// sentence of its own (Medusa's words), else "invalid <field>: <reason>".
func validationMessage(ve *store.ValidationError) string {
	r := ve.Reason
	if r != "" && unicode.IsUpper([]rune(r)[0]) && (ve.Field == "" || strings.Contains(r, ve.Field) || strings.HasPrefix(r, "Order field")) {
		return r
	}
	return ve.Error()
}
