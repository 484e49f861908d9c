package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// Medusa's error types.
const (
	typeInvalidData = "invalid_data"
	typeNotFound    = "not_found"
	typeNotAllowed  = "not_allowed"
	typeUnauth      = "unauthorized"
	typeForbidden   = "forbidden"
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

// internalError marks an error that is not the client's fault whatever its
// kind (a failed membership check): a 500, logged.
type internalError struct{ err error }

func (e *internalError) Error() string { return e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// Generic messages of errors that carry no public message.
const (
	msgInvalid   = "Invalid request."
	msgNotFound  = "Not found."
	msgNotAllow  = "Not allowed."
	msgDuplicate = "Already exists."
	msgConflict  = "The request conflicted with a concurrent change. Retry the request."
)

// toError maps a service error to Medusa's status, type and message. The
// message is the error's public message (store.PublicMessage) or, when it
// has none, a generic one for its status; hidden reports that (and every
// 500): the client does not see the error's detail, which belongs in the
// log.
func toError(err error) (e *apiError, hidden bool) {
	if err == nil {
		// A handler wrote "no error" as an error: a bug, never a success.
		return errUnknown, true
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, ae.Status >= 500
	}
	var ie *internalError
	if errors.As(err, &ie) {
		return errUnknown, true
	}
	pub, hasPub := store.PublicMessage(err)
	var pe *provider.Error
	hasPE := errors.As(err, &pe)
	// public returns the error's public message, or generic (and marks the
	// detail hidden).
	public := func(generic string) string {
		if hasPub {
			return pub
		}
		hidden = true
		return generic
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errUnknown, true
	case errors.Is(err, throttle.ErrLimited):
		return newError(http.StatusTooManyRequests, typeNotAllowed, throttle.Message), false
	case errors.Is(err, account.ErrHasAccount):
		return &apiError{Status: 422, Type: typeDuplicate, Code: "invalid_request_error", Message: public(msgDuplicate)}, hidden
	case errors.Is(err, auth.ErrInvalidToken):
		// A token that does not verify is Medusa's "Invalid token", unless
		// a provider said more.
		msg := "Invalid token"
		if hasPE && pe.Message != "" {
			msg = pe.Message
		}
		return newError(http.StatusUnauthorized, typeUnauth, msg), false
	case errors.Is(err, auth.ErrUnauthorized), errors.Is(err, auth.ErrUnknownProvider):
		msg := "Unauthorized"
		if hasPub {
			msg = pub
		}
		return newError(http.StatusUnauthorized, typeUnauth, msg), false
	case errors.Is(err, auth.ErrNotAllowed):
		return newError(http.StatusBadRequest, typeNotAllowed, public(msgNotAllow)), hidden
	case errors.Is(err, store.ErrNotFound):
		return newError(http.StatusNotFound, typeNotFound, public(msgNotFound)), hidden
	case errors.Is(err, address.ErrConflict) && !isConflictError(err):
		// A second default address written concurrently.
		return newError(http.StatusConflict, typeConflict, msgConflict), true
	case errors.Is(err, store.ErrConflict) && hasPub:
		// A unique rule the client broke (Medusa answers invalid_data).
		return newError(http.StatusBadRequest, typeInvalidData, pub), false
	case errors.Is(err, store.ErrConflict):
		// A conflict with a concurrent writer (serialization failure,
		// deadlock): retryable, and its text is the database's, not ours.
		return newError(http.StatusConflict, typeConflict, msgConflict), true
	case errors.Is(err, store.ErrInvalid):
		return newError(http.StatusBadRequest, typeInvalidData, public(msgInvalid)), hidden
	}
	return errUnknown, true
}

func isConflictError(err error) bool {
	var ce *store.ConflictError
	return errors.As(err, &ce)
}

// writeError writes err in Medusa's envelope, logging what the client does
// not see: the detail of a 500 as an error, that of a 4xx without a public
// message as a warning.
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	e, hidden := toError(err)
	if hidden {
		level, msg := slog.LevelWarn, "httpapi: error without a public message"
		if e.Status >= 500 {
			level, msg = slog.LevelError, "httpapi: request failed"
		}
		log.Log(r.Context(), level, msg, "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", fmt.Sprint(err))
	}
	setRetryAfter(w, err)
	if e.Bare {
		writeJSON(w, e.Status, map[string]any{"message": e.Message})
		return
	}
	out := map[string]any{"type": e.Type, "message": e.Message}
	if e.Code != "" {
		out["code"] = e.Code
	}
	writeJSON(w, e.Status, out)
}
