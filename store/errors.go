package store

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Every error returned by a clientele service or backend that
// callers may branch on wraps exactly one of these.
var (
	// ErrNotFound is the kind of every "no such record" error.
	ErrNotFound = errors.New("not found")
	// ErrConflict is the kind of every error caused by a unique rule: a
	// duplicate email, a duplicate group name, a second default address
	// written concurrently. Conflicts caused by concurrent writers may succeed
	// when retried.
	ErrConflict = errors.New("conflict")
	// ErrInvalid is the kind of every error caused by bad input.
	ErrInvalid = errors.New("invalid input")
)

// PublicError is implemented by errors that carry a message meant for the
// clients of an application (an HTTP body, say), as opposed to the detail
// of Error, which is meant for logs. [PublicMessage] finds it along an
// error's chain.
//
// [*ValidationError], [*NotFoundError], [*ConflictError] and the sentinels
// made with [Sentinel] are PublicErrors; sentinels made with [Kind] are not.
type PublicError interface {
	error
	// PublicMessage returns the message for clients; "" means none.
	PublicMessage() string
}

// PublicMessage returns the first client-facing message found along err's
// chain (in the order of errors.As: err, then what it wraps, depth first),
// and whether there was one. An error without one should reach clients as
// a generic message for its kind, its detail going to the log.
func PublicMessage(err error) (string, bool) {
	for err != nil {
		if p, ok := err.(PublicError); ok {
			if m := p.PublicMessage(); m != "" {
				return m, true
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if m, ok := PublicMessage(e); ok {
					return m, true
				}
			}
			return "", false
		default:
			return "", false
		}
	}
	return "", false
}

// ValidationError reports one bad input field. It wraps [ErrInvalid] and,
// when Err is set, a more precise sentinel.
//
// Its public message is Message when set (for example Medusa's exact
// sentence, "Email is required to create a customer"), else its Error text,
// "invalid <field>: <reason>".
type ValidationError struct {
	Field   string // the field at fault, e.g. "email" or "addresses[1].country_code"
	Reason  string // a human-readable reason
	Message string // an optional message for clients; see PublicMessage
	Err     error  // an optional domain sentinel; the error also matches ErrInvalid
}

// Error returns "invalid <field>: <reason>", or the reason alone when
// there is no field. Without a reason, Message stands in for it.
func (e *ValidationError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = e.Message
	}
	if e.Field == "" {
		return reason
	}
	return fmt.Sprintf("invalid %s: %s", e.Field, reason)
}

// PublicMessage returns Message, or Error when Message is empty.
func (e *ValidationError) PublicMessage() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Error()
}

// Unwrap returns the domain sentinel (if any) and ErrInvalid.
func (e *ValidationError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Err, ErrInvalid}
	}
	return []error{ErrInvalid}
}

// Invalid returns a *ValidationError for field.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// NotFoundError reports records that do not exist (or are soft-deleted and
// were not asked for). It names them. Err is the domain sentinel, which wraps
// ErrNotFound.
type NotFoundError struct {
	Entity string   // Medusa's model name: "Customer", "CustomerAddress", "CustomerGroup"
	IDs    []string // the ids that were not found
	Err    error
}

// Error returns Medusa's message: "Customer with id: cus_1 was not found" for
// one id, `Customer with id "cus_1, cus_2" not found` for several.
func (e *NotFoundError) Error() string {
	if len(e.IDs) == 1 {
		return fmt.Sprintf("%s with id: %s was not found", e.Entity, e.IDs[0])
	}
	return fmt.Sprintf("%s with id %q not found", e.Entity, strings.Join(e.IDs, ", "))
}

// PublicMessage returns Error: Medusa's message names the records and
// nothing else.
func (e *NotFoundError) PublicMessage() string { return e.Error() }

// Unwrap returns the domain sentinel.
func (e *NotFoundError) Unwrap() error {
	if e.Err == nil {
		return ErrNotFound
	}
	return e.Err
}

// ConflictError reports a write that breaks a unique rule. Fields lists the
// columns and values of the rule, in order.
type ConflictError struct {
	Entity string      // Medusa's table name in words: "Customer", "Customer group", "Customer address"
	Fields [][2]string // column, value pairs
	Err    error
}

// Error returns Medusa's message, e.g. "Customer with email: a@b.c,
// has_account: false, already exists."
func (e *ConflictError) Error() string {
	var b strings.Builder
	b.WriteString(e.Entity)
	b.WriteString(" with ")
	for _, f := range e.Fields {
		b.WriteString(f[0])
		b.WriteString(": ")
		b.WriteString(f[1])
		b.WriteString(", ")
	}
	b.WriteString("already exists.")
	return b.String()
}

// PublicMessage returns Error, Medusa's message.
func (e *ConflictError) PublicMessage() string { return e.Error() }

// Unwrap returns the domain sentinel.
func (e *ConflictError) Unwrap() error {
	if e.Err == nil {
		return ErrConflict
	}
	return e.Err
}

// Kind returns a new sentinel for a domain package: its message is
// "<pkg>: <kind>" and it wraps kind. It has no public message: it names a
// class of errors, not something to tell a client.
func Kind(pkg string, kind error) error {
	return &kindError{msg: pkg + ": " + kind.Error(), kind: kind}
}

type kindError struct {
	msg    string
	kind   error
	public bool
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// PublicMessage returns the message of a sentinel made with Sentinel.
func (e *kindError) PublicMessage() string {
	if e.public {
		return e.msg
	}
	return ""
}

// Sentinel returns a new sentinel error with message msg that wraps kind.
// msg is its public message too (see [PublicMessage]): write it for
// clients, e.g. "Customer with this email already has an account".
func Sentinel(msg string, kind error) error {
	return &kindError{msg: msg, kind: kind, public: true}
}
