package auth

import (
	"context"
	"errors"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/throttle"
)

// WithAudit records the service's security events in lg (see package
// audit): logins and their failures, lockouts, password resets and
// changes, verifications, MFA enrolment, challenges and disabling,
// provider links, and token revocations. An event that changes something
// is recorded in the unit of work that makes the change; a login, which
// changes nothing, is recorded after its answer (Flush waits for it).
// The client in the context (audit.WithClient) is recorded with each.
func WithAudit(lg *audit.Log) Option { return func(c *config) { c.audit = lg } }

// Audit returns the audit log of WithAudit, or nil: httpapi records the
// events it alone sees (a logout, a login its address throttle refused)
// in it. A nil *Service has none.
func (s *Service) Audit() *audit.Log {
	if s == nil {
		return nil
	}
	return s.audit
}

// record writes e in the unit of work ctx carries (nothing without an
// audit log).
func (s *Service) record(ctx context.Context, e audit.Entry) error {
	return s.audit.Record(ctx, e)
}

// identityEntry returns an entry of action about identity (nil: unknown)
// acting as actorType ("": the customer, when linked).
func identityEntry(action audit.Action, identity *AuthIdentity, actorType, providerID string) audit.Entry {
	e := audit.Entry{Action: action, Outcome: audit.Success, Provider: providerID}
	if identity == nil {
		return e
	}
	e.AuthIdentityID = identity.ID
	if actorType == "" && identity.ActorID(ActorCustomer) != "" {
		actorType = ActorCustomer
	}
	if id := identity.ActorID(actorType); id != "" {
		e.ActorType, e.ActorID = actorType, id
	}
	return e
}

// recordAttempt records how a login attempt with providerID ended, after
// the caller's answer (in the group Flush waits for): a success names
// the identity; a failure (ErrUnauthorized, or the throttle's refusal)
// names the identity of the identifier the input gave when one has it,
// looked up then, so the answer does not wait for it. locks says the
// failure left the account locked: an ActionLocked entry follows. Other
// ends (a malformed input, a store failure, a redirect begun) record
// nothing.
func (s *Service) recordAttempt(ctx context.Context, p provider.Provider, in provider.Input, res *Result, err error, failed error, locks bool) {
	if s.audit == nil {
		return
	}
	e := audit.Entry{Action: audit.ActionLogin, Provider: p.ID()}
	switch {
	case err == nil && res != nil && res.AuthIdentity != nil:
		e = identityEntry(audit.ActionLogin, res.AuthIdentity, in.ActorType, p.ID())
	case err != nil && errors.Is(err, failed):
		e.Outcome, e.Reason = audit.Failure, audit.ReasonInvalidCredentials
	case err != nil && errors.Is(err, throttle.ErrLimited):
		e.Outcome, e.Reason = audit.Failure, audit.ReasonLocked
	default:
		return
	}
	e = s.audit.Stamp(e)
	var locked audit.Entry
	if locks && e.Reason == audit.ReasonInvalidCredentials {
		locked = s.audit.Stamp(audit.Entry{Action: audit.ActionLocked, Outcome: audit.Success, Provider: e.Provider})
	}
	s.events.Go(ctx, func(ctx context.Context) {
		if e.Outcome == audit.Failure {
			e.AuthIdentityID = s.identityOf(ctx, p, loginIdentifier(in))
		}
		s.audit.RecordDetached(ctx, e)
		if locked.ID != "" {
			locked.AuthIdentityID = e.AuthIdentityID
			s.audit.RecordDetached(ctx, locked)
		}
	})
}

// linkEntry is the audit entry of a provider identity's link (kind: how
// it was linked) or unlink.
func linkEntry(action audit.Action, pi *ProviderIdentity, kind string) audit.Entry {
	e := audit.Entry{Action: action, Outcome: audit.Success, AuthIdentityID: pi.AuthIdentityID, Provider: pi.Provider,
		Details: map[string]string{"provider_identity_id": pi.ID}}
	if kind != "" {
		e.Details["link"] = kind
	}
	return e
}

// identityOf returns the id of the identity that logs in with identifier
// through p, or "" (none, or the lookup failed: the entry is written
// without it).
func (s *Service) identityOf(ctx context.Context, p provider.Provider, identifier string) string {
	if identifier == "" {
		return ""
	}
	pi, err := (&identities{s: s, provider: p}).find(ctx, identifier)
	if err != nil {
		return ""
	}
	return pi.AuthIdentityID
}

// recordLater writes e after the caller's answer, in the group Flush
// waits for: for what changes nothing (a login held back for its MFA
// challenge).
func (s *Service) recordLater(ctx context.Context, e audit.Entry) {
	if s.audit == nil {
		return
	}
	e = s.audit.Stamp(e)
	s.events.Go(ctx, func(ctx context.Context) { s.audit.RecordDetached(ctx, e) })
}

// RecordLoginRefused records a login with providerID that a transport's
// own throttle refused before the service saw it (httpapi's
// throttle.Limiter.BeginLogin), as the service records the refusals of
// its own: an ActionLogin failure with ReasonLocked, naming the identity
// of the input's identifier, written after the caller's answer. err is
// the refusal; another error records nothing, and so does a service
// without an audit log. The service's Observer (WithObserver) is told of
// it as an OpLogin failure with ReasonLocked.
func (s *Service) RecordLoginRefused(ctx context.Context, providerID string, in provider.Input, err error) {
	if (s.audit == nil && s.observer == nil) || !errors.Is(err, throttle.ErrLimited) {
		return
	}
	p, perr := s.provider(providerID, in.ActorType)
	if perr != nil {
		return
	}
	s.recordAttempt(ctx, p, in, nil, err, ErrUnauthorized, false)
	s.observe(ctx, OpLogin, p.ID(), time.Time{}, err)
}
