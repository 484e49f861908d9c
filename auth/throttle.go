package auth

import (
	"context"
	"errors"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/throttle"
)

// WithThrottle applies lim's per-account rules (see package throttle):
//
//   - Authenticate and Login (and so ChangePassword) check the account's
//     lock before the provider checks the credentials, so a locked account
//     is refused with a *throttle.LimitError even with the right password;
//     a wrong password (ErrUnauthorized) counts a failure, a success
//     clears the account's failures, and any other end (a malformed
//     input, a store failure) counts nothing;
//   - Register and RegisterThen, which check the password of an existing
//     identity that has no actor yet, obey the same lock; an email that
//     has an identity already (ErrConflict) counts a failure;
//   - RequestPasswordReset counts the request and refuses it over the
//     Reset rule.
//
// The account is the provider and the identifier the input carries (its
// "email", else "username", else "identifier" field), trimmed and
// lower-cased, whether or not an identity has it: an unknown identifier is
// throttled as a known one is. Inputs without one (the first leg of a
// redirect login) are not throttled here.
//
// The per-address rules need the client's address: httpapi applies them
// (httpapi.Config.Throttle).
func WithThrottle(lim *throttle.Limiter) Option {
	return func(c *config) { c.throttle = lim }
}

// LoginIdentifier is the identifier a login or registration input names,
// by which WithThrottle counts the account's failures: its "email", else
// "username", else "identifier" field, as given ("" when it names none).
// httpapi passes it to throttle.Limiter.BeginLogin, so that the account's
// attempt is reserved with the client address's.
func LoginIdentifier(in provider.Input) string { return loginIdentifier(in) }

// loginIdentifier is LoginIdentifier.
func loginIdentifier(in provider.Input) string {
	for _, k := range []string{"email", "username", "identifier"} {
		if v, ok := in.Body[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// settle reports how a throttled login ended: a failure when err matches
// failed, a success when there is an identity, else (another error, or a
// redirect begun) neither, which takes the reserved failure back. A
// failure makes no store call (the attempt was counted when it was
// reserved) and is reported at once. A success or another end is reported
// after the call returns, so that the login's answer does not wait for
// the store; Flush waits for it. A late success clears the account's
// count as of its reservation only (throttle.Release.Since), so it never
// wipes the failures of attempts that came after it. A counter the store
// could not write is logged: the caller's answer stays the attempt's.
func (s *Service) settle(ctx context.Context, att *throttle.Attempt, res *Result, err, failed error) {
	if att == nil {
		return
	}
	end := attemptEnd(att, res, err, failed)
	if errors.Is(err, failed) {
		s.reportAttempt(ctx, end)
		return
	}
	s.events.Go(ctx, func(ctx context.Context) { s.reportAttempt(ctx, end) })
}

// settleRegistration reports how a throttled registration ended, as
// settle does, but before the answer whatever the end: until a success
// is reported the account counts one failure more, and the new identity's
// first logins must not meet it. A registration waits for a password hash
// anyway; one store call more is not felt.
func (s *Service) settleRegistration(ctx context.Context, att *throttle.Attempt, res *Result, err error) {
	if att != nil {
		s.reportAttempt(ctx, attemptEnd(att, res, err, ErrConflict))
	}
}

// attemptEnd is the report of att that settle makes: Fail when err matches
// failed, Succeed when res has an identity, else Cancel.
func attemptEnd(att *throttle.Attempt, res *Result, err, failed error) func(context.Context) error {
	switch {
	case err != nil && errors.Is(err, failed):
		return att.Fail
	case err == nil && res != nil && res.AuthIdentity != nil:
		return att.Succeed
	}
	return att.Cancel
}

// reportAttempt calls end, logging a counter the store could not write.
func (s *Service) reportAttempt(ctx context.Context, end func(context.Context) error) {
	if err := end(ctx); err != nil {
		s.logger.ErrorContext(ctx, "clientele: throttle counter not updated", "err", err.Error())
	}
}
