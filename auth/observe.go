package auth

import (
	"context"
	"errors"
	"time"

	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// An Observer is told how the service's security operations end, for
// metrics: logins and their failures, lockouts, registrations, password
// resets, MFA challenges and requests of logins by email (see [Op]). Package otelclientele
// implements it with OpenTelemetry's metrics API; a host can implement it
// with any other.
//
// Observe is called synchronously, on the goroutine of the operation,
// once the operation's answer is known (after its unit of work has
// committed): it must be quick and must not block. It may be called from
// many goroutines at once. An Observation never holds an email, a
// token, a code, an address or any other value the caller sent: only
// names from fixed vocabularies, a provider id the service was
// configured with, and a duration.
type Observer interface {
	Observe(ctx context.Context, o Observation)
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(ctx context.Context, o Observation)

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, o Observation) { f(ctx, o) }

// WithObserver tells obs how the service's security operations end (see
// [Observer]). Without it nothing is observed, and the operations pay no
// more than a nil check.
func WithObserver(obs Observer) Option { return func(c *config) { c.observer = obs } }

// Op names an operation an [Observer] is told of.
type Op string

// The operations of an [Observation].
const (
	// OpLogin: a login's credentials were checked (Authenticate,
	// Login, ValidateCallback, LoginCallback, and ChangePassword's check
	// of the current password), or the login was refused
	// by a throttle before the check (ReasonLocked; httpapi reports the
	// refusals of its per-address rules through
	// [Service.RecordLoginRefused]). Duration is the time the check took.
	// The first leg of a redirect login (which only answers where to go)
	// is not a login.
	OpLogin Op = "login"
	// OpLockout: a failed login left the account locked (the
	// throttle's back-off began or grew). Its outcome is OutcomeSuccess.
	OpLockout Op = "lockout"
	// OpRegister: an identity was registered (Register, RegisterThen),
	// or the registration failed. Duration is the time it took.
	OpRegister Op = "register"
	// OpPasswordResetRequest: a password reset was asked for
	// (RequestPasswordReset). A request for an unknown account succeeds,
	// as its answer does.
	OpPasswordResetRequest Op = "password_reset_request"
	// OpPasswordReset: a reset token was spent to set a password
	// (ResetPassword), or was refused.
	OpPasswordReset Op = "password_reset"
	// OpMFAChallenge: an MFA challenge was answered
	// (VerifyMFAChallenge, CompleteMFALogin).
	OpMFAChallenge Op = "mfa_challenge"
	// OpEmailLoginRequest: a login by email was asked for
	// (RequestEmailLogin, provider/magiclink). A request for an unknown
	// email succeeds, as its answer does; one refused by the throttle
	// fails with ReasonLocked. Its completion is an OpLogin.
	OpEmailLoginRequest Op = "email_login_request"
)

// Ops lists the vocabulary of Op.
var Ops = []Op{OpLogin, OpLockout, OpRegister, OpPasswordResetRequest, OpPasswordReset, OpMFAChallenge, OpEmailLoginRequest}

// Outcome says whether an observed operation succeeded.
type Outcome string

// Outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
)

// Reason says why an observed operation failed, from a fixed vocabulary.
type Reason string

// Reasons of a failure.
const (
	// ReasonInvalidCredentials: a wrong password, an unknown account, a
	// failed callback (ErrUnauthorized).
	ReasonInvalidCredentials Reason = "invalid_credentials"
	// ReasonLocked: refused by a throttle (throttle.ErrLimited).
	ReasonLocked Reason = "locked"
	// ReasonInvalidCode: a wrong or spent MFA code or reset token
	// (ErrMFACode, ErrInvalidToken).
	ReasonInvalidCode Reason = "invalid_code"
	// ReasonConflict: the identity exists already (ErrConflict).
	ReasonConflict Reason = "conflict"
	// ReasonInvalidInput: the input was malformed or not allowed
	// (ErrInvalid, ErrNotAllowed, ErrNotFound, an unknown provider).
	ReasonInvalidInput Reason = "invalid_input"
	// ReasonError: anything else (a store failure, a cancelled context).
	ReasonError Reason = "error"
)

// Reasons lists the vocabulary of Reason.
var Reasons = []Reason{ReasonInvalidCredentials, ReasonLocked, ReasonInvalidCode, ReasonConflict, ReasonInvalidInput, ReasonError}

// Observation is what an [Observer] is told of one operation.
type Observation struct {
	Op      Op
	Outcome Outcome
	// Reason is one of Reasons when Outcome is OutcomeFailure, else "".
	Reason Reason
	// Provider is the id of the configured provider the operation used;
	// "" when it is not known (an MFA challenge that was not found) or
	// names no configured provider (an unknown provider id is never
	// passed on: it is the caller's input).
	Provider string
	// Duration is how long a login or a registration took, from the
	// service's call to its answer; 0 for the other events.
	Duration time.Duration
}

// reasonOf classifies err (nil: no reason).
func reasonOf(err error) Reason {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, throttle.ErrLimited):
		return ReasonLocked
	case errors.Is(err, ErrMFACode) || errors.Is(err, ErrInvalidToken):
		return ReasonInvalidCode
	case errors.Is(err, ErrUnauthorized):
		return ReasonInvalidCredentials
	case errors.Is(err, store.ErrConflict):
		return ReasonConflict
	case errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound):
		return ReasonInvalidInput
	default:
		return ReasonError
	}
}

// startObserving returns the time an observed operation starts (zero
// without an Observer, so that an unobserved call does not read the
// clock).
func (s *Service) startObserving() time.Time {
	if s.observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// observe tells the Observer that op with providerID (the caller's input:
// kept only when it names a configured provider) ended with err (a
// success when err is nil). start, when not zero, is when it began.
func (s *Service) observe(ctx context.Context, op Op, providerID string, start time.Time, err error) {
	if s.observer == nil {
		return
	}
	o := Observation{Op: op, Outcome: OutcomeSuccess, Provider: s.configuredProvider(providerID)}
	if err != nil {
		o.Outcome, o.Reason = OutcomeFailure, reasonOf(err)
	}
	if !start.IsZero() {
		o.Duration = time.Since(start)
	}
	s.observer.Observe(ctx, o)
}

// observeAttempt tells the Observer how a login or a registration with
// providerID ended: res carries the identity of a success; a redirect
// begun (res.Location) is not observed.
func (s *Service) observeAttempt(ctx context.Context, op Op, providerID string, start time.Time, res *Result, err error) {
	if s.observer == nil || (err == nil && (res == nil || res.AuthIdentity == nil)) {
		return
	}
	s.observe(ctx, op, providerID, start, err)
}

// configuredProvider returns providerID when it names a configured
// provider, else "": the id of an observation never carries the caller's
// input.
func (s *Service) configuredProvider(providerID string) string {
	if _, ok := s.providers[providerID]; ok {
		return providerID
	}
	return ""
}
