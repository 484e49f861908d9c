// Package audit is clientele's append-only audit log: who logged in or
// failed to, whose account was locked, whose password, email, MFA or
// sessions changed, and when a customer's data was erased.
//
// A [Log] writes [Entry] values to a [Store] (store/memory and
// store/postgres implement it). The auth and account services record
// their security events through it when they are given one
// (auth.WithAudit, account.WithAudit); httpapi puts the client's address
// and user agent in each request's context ([WithClient]), and a host
// with its own transport does the same. Without a Log nothing is recorded
// and nothing is paid: every method of a nil *Log does nothing.
//
// # Same unit of work
//
// An entry that records a change is written inside the unit of work that
// makes the change (store.Transactor.InTx): a change that fails leaves no
// entry, and an entry that cannot be written fails the change. Attempts
// that change nothing (a failed or throttled login) are written on their
// own; the auth service writes a login's entry after its answer, beside
// the throttle's report (auth.Service.Flush waits for both).
//
// # No secrets
//
// Entries hold ids, a provider name, an action, an outcome and a reason
// from a fixed vocabulary, the client's (optionally truncated) address and
// user agent, and a few details that are ids, names of methods or counts.
// They never hold a password, a token, a code, a secret, a hash, an email
// address or any other field the user typed.
//
// # Append-only
//
// The Store has no update method: entries are appended, listed, purged
// once older than the retention ([Log.Purge], [Janitor]), and, for an
// erased customer, anonymised ([Log.Anonymise]: the address and user
// agent are emptied, ids and actions stay). On PostgreSQL a trigger
// refuses every other UPDATE of the table.
package audit

import (
	"time"
)

// Action names what an entry records.
type Action string

// The actions the auth and account services record.
const (
	// ActionLogin: a login's credentials were checked (a password, a
	// redirect login's callback). Failure reasons:
	// ReasonInvalidCredentials, ReasonLocked (refused by the throttle
	// before the check).
	ActionLogin Action = "auth.login"
	// ActionLoginPending: a login's token was held back, with
	// ReasonMFARequired (an MFA challenge was opened) or ReasonUnverified
	// (a verification is pending).
	ActionLoginPending Action = "auth.login_pending"
	// ActionLocked: a failed login left the account locked (the throttle's
	// back-off began or grew).
	ActionLocked Action = "auth.locked"
	// ActionPasswordChange: a password changed with the current one.
	ActionPasswordChange Action = "auth.password_change"
	// ActionPasswordResetRequest: a reset token was issued for an
	// identity (a request for an unknown account is not recorded).
	ActionPasswordResetRequest Action = "auth.password_reset_request"
	// ActionLoginEmailRequest: a login link and code were asked for by
	// email (provider/magiclink); an unknown email is a failure with
	// ReasonInvalidCredentials, without an identity.
	ActionLoginEmailRequest Action = "auth.login_email_request"
	// ActionPasswordReset: a reset token was spent to set a password.
	ActionPasswordReset Action = "auth.password_reset"
	// ActionVerificationRequest: a verification code was sent.
	ActionVerificationRequest Action = "auth.verification_request"
	// ActionVerification: a verification code was checked (success, or
	// failure with ReasonInvalidCode or ReasonExpiredCode).
	ActionVerification Action = "auth.verification"
	// ActionMFAEnrolStart: an MFA factor was started (unverified).
	ActionMFAEnrolStart Action = "auth.mfa_enrol_start"
	// ActionMFAEnrolConfirm: an MFA factor was verified and turned on
	// (success), or its code was wrong (failure).
	ActionMFAEnrolConfirm Action = "auth.mfa_enrol_confirm"
	// ActionMFADisable: an MFA factor was disabled.
	ActionMFADisable Action = "auth.mfa_disable"
	// ActionMFAChallenge: an MFA challenge was answered; details
	// {"method": "totp"|"recovery_code"}.
	ActionMFAChallenge Action = "auth.mfa_challenge"
	// ActionRecoveryCodes: new MFA recovery codes were generated;
	// details {"count": n}.
	ActionRecoveryCodes Action = "auth.mfa_recovery_codes"
	// ActionRecoveryCodeUsed: an MFA recovery code was used up.
	ActionRecoveryCodeUsed Action = "auth.mfa_recovery_code_used"
	// ActionProviderLink: a provider identity was linked to an identity.
	ActionProviderLink Action = "auth.provider_link"
	// ActionProviderUnlink: a provider identity was removed.
	ActionProviderUnlink Action = "auth.provider_unlink"
	// ActionLogout: one session ended at the client's request.
	ActionLogout Action = "auth.logout"
	// ActionRevokeAll: every token of an identity was revoked; details
	// {"cause": "logout_all"|"password_reset"|"password_change"|
	// "mfa_enabled"|"account_deleted"|"erasure"}.
	ActionRevokeAll Action = "auth.revoke_all"
	// ActionEmailChangeRequest: a change of login email was asked for.
	ActionEmailChangeRequest Action = "account.email_change_request"
	// ActionEmailChange: a change of login email was confirmed.
	ActionEmailChange Action = "account.email_change"
	// ActionGuestClaim: guest records were claimed by an account; details
	// {"claimed": n}.
	ActionGuestClaim Action = "account.guest_claim"
	// ActionAccountDelete: a customer's account was deleted.
	ActionAccountDelete Action = "account.delete"
	// ActionErasure: a customer's personal data was erased; the entry
	// holds ids only.
	ActionErasure Action = "account.erasure"
)

// Outcome says whether the action succeeded.
type Outcome string

// Outcomes.
const (
	Success Outcome = "success"
	Failure Outcome = "failure"
)

// Reason qualifies an outcome, from a fixed vocabulary.
type Reason string

// Reasons.
const (
	// ReasonInvalidCredentials: a wrong password or an unknown account.
	ReasonInvalidCredentials Reason = "invalid_credentials"
	// ReasonLocked: refused by the throttle before the credentials were
	// checked.
	ReasonLocked Reason = "locked"
	// ReasonMFARequired: the login succeeded and waits for its MFA
	// challenge.
	ReasonMFARequired Reason = "mfa_required"
	// ReasonUnverified: the login succeeded and waits for a verification.
	ReasonUnverified Reason = "unverified"
	// ReasonInvalidCode: a verification, MFA or recovery code was wrong.
	ReasonInvalidCode Reason = "invalid_code"
	// ReasonExpiredCode: a code or reset token had expired.
	ReasonExpiredCode Reason = "expired_code"
)

// Reasons lists the vocabulary of Reason.
var Reasons = []Reason{ReasonInvalidCredentials, ReasonLocked, ReasonMFARequired, ReasonUnverified, ReasonInvalidCode, ReasonExpiredCode}

// Entry is one record of the audit log.
type Entry struct {
	// ID is "audit_" and a ULID.
	ID string `json:"id"`
	// CreatedAt is when the entry was recorded (UTC, microseconds).
	CreatedAt time.Time `json:"created_at"`
	Action    Action    `json:"action"`
	Outcome   Outcome   `json:"outcome"`
	// Reason is empty or one of Reasons.
	Reason Reason `json:"reason,omitempty"`
	// AuthIdentityID is the auth identity the entry concerns ("" when
	// none is known, as for a login with an unknown email).
	AuthIdentityID string `json:"auth_identity_id,omitempty"`
	// ActorType and ActorID are the actor (a customer, a user) the entry
	// concerns, when one is known.
	ActorType string `json:"actor_type,omitempty"`
	ActorID   string `json:"actor_id,omitempty"`
	// Provider is the auth provider of the action, if any ("emailpass").
	Provider string `json:"provider,omitempty"`
	// IP is the client's address, truncated as the Log is configured
	// (e.g. "203.0.113.0/24"); "" when unknown or anonymised.
	IP string `json:"ip,omitempty"`
	// UserAgent is the client's user agent, bounded in length; "" when
	// unknown or anonymised.
	UserAgent string `json:"user_agent,omitempty"`
	// Details are small non-secret facts: ids, method names, counts.
	Details map[string]string `json:"details,omitempty"`
}

// Limits of an entry's fields, checked by Log.Record and by the stores.
const (
	// MaxDetails is the most details an entry may carry.
	MaxDetails = 16
	// MaxFieldLength bounds every text field of an entry (user agent,
	// detail keys and values, ids), in bytes.
	MaxFieldLength = 512
)

// Filter selects entries. Zero fields match everything (a nil list; an
// empty, non-nil list of ids matches nothing); fields combine
// with AND, except AuthIdentityIDs and ActorIDs: when both are given an
// entry matches when either does (an identity's entries and its
// customer's).
type Filter struct {
	AuthIdentityIDs []string
	ActorIDs        []string
	Actions         []Action
	// From (inclusive) and Until (exclusive) bound CreatedAt; zero: no
	// bound.
	From, Until time.Time
}

// Match reports whether e matches f; the memory store and tests use it.
func (f Filter) Match(e *Entry) bool {
	switch {
	case f.AuthIdentityIDs != nil && f.ActorIDs != nil:
		if !contains(f.AuthIdentityIDs, e.AuthIdentityID) && !contains(f.ActorIDs, e.ActorID) {
			return false
		}
	case f.AuthIdentityIDs != nil:
		if !contains(f.AuthIdentityIDs, e.AuthIdentityID) {
			return false
		}
	case f.ActorIDs != nil:
		if !contains(f.ActorIDs, e.ActorID) {
			return false
		}
	}
	if len(f.Actions) > 0 && !contains(f.Actions, e.Action) {
		return false
	}
	if !f.From.IsZero() && e.CreatedAt.Before(f.From) {
		return false
	}
	if !f.Until.IsZero() && !e.CreatedAt.Before(f.Until) {
		return false
	}
	return true
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Page is a page of a list, newest first (CreatedAt, then ID,
// descending).
type Page struct {
	// Limit is the most entries returned: 0 means DefaultLimit; at most
	// MaxLimit.
	Limit int
	// Offset skips that many entries.
	Offset int
}

// Paging limits.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)
