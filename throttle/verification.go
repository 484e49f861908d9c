package throttle

import (
	"context"
	"net/netip"
	"time"
)

// Rules of email verification (auth.Service.RequestVerification and
// ConfirmVerification, httpapi's /auth/verification routes).
const (
	ruleVerifyRequest   = "verification_request"
	ruleVerifyConfirm   = "verification_confirm"
	ruleVerifyConfirmIP = "verification_confirm_ip"
)

// Defaults of the verification rules.
var (
	DefaultVerificationRequest   = Rule{Limit: 5, Window: time.Hour}
	DefaultVerificationConfirm   = Rule{Limit: 10, Window: time.Hour}
	DefaultVerificationConfirmIP = Rule{Limit: 30, Window: time.Hour}
)

// VerificationRequest counts a verification code requested for the entity
// (entityType, entityID) and refuses it (*LimitError) over the
// VerificationRequest rule.
func (l *Limiter) VerificationRequest(ctx context.Context, entityType, entityID string) error {
	id := Identifier(entityID)
	if l == nil || id == "" {
		return nil
	}
	return l.hit(ctx, ruleVerifyRequest, l.key(ruleVerifyRequest, entityType, id))
}

// ConfirmVerification begins a confirmation of a verification code by the
// auth identity authIdentityID, checking the VerificationConfirm rule and
// reserving the attempt as a failure (as Login does): report how it ended
// with Fail (a wrong code), Succeed (which clears the identity's
// failures) or Cancel. An empty id (an unauthenticated caller) is not
// throttled here.
func (l *Limiter) ConfirmVerification(ctx context.Context, authIdentityID string) (*Attempt, error) {
	if l == nil || authIdentityID == "" {
		return nil, nil
	}
	return l.reserve(ctx, ruleVerifyConfirm, l.key(ruleVerifyConfirm, authIdentityID))
}

// ConfirmVerificationFrom begins a confirmation of a verification code
// from the client address ip, checking the VerificationConfirmIP rule and
// reserving the attempt as ConfirmVerification does.
func (l *Limiter) ConfirmVerificationFrom(ctx context.Context, ip netip.Addr) (*Attempt, error) {
	if l == nil {
		return nil, nil
	}
	return l.reserve(ctx, ruleVerifyConfirmIP, l.key(ruleVerifyConfirmIP, Subnet(ip)))
}

// reserve reserves an attempt on key by the rule name, in one store call.
func (l *Limiter) reserve(ctx context.Context, name, key string) (*Attempt, error) {
	if l.rules[name].off() {
		return &Attempt{l: l}, nil
	}
	at, _, err := l.try(ctx, []string{name}, []string{key})
	if err != nil {
		return nil, err
	}
	return &Attempt{l: l, key: key, at: at}, nil
}
