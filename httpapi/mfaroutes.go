package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/clientele/clientele/auth"
)

// MFA over HTTP, as Medusa 2.21 serves it:
//
//   - a login (and a refresh of an actorless token) of an identity with
//     MFA on answers {"token": <actorless>, "mfa_required": true,
//     "mfa_challenge": {...}};
//   - POST /auth/mfa/challenges/{id}/verify {"method", "code"} completes
//     it with that token (or its session) and answers {"token"}: the full
//     token, with mfa_enabled and mfa_challenge_completed_at;
//   - GET /auth/mfa/factors lists the caller's factors ({"mfa_factors"});
//   - POST /auth/mfa/factors {"provider": "totp", "label"?, "issuer"?,
//     "metadata"?} starts enrolling ({"mfa_factor", "secret",
//     "otpauth_url"}); clientele's {"provider": "passkey"} enables the
//     caller's linked passkeys as the second factor at once
//     (auth.Service.EnablePasskeyMFA) and answers as the verify route
//     does when it enables a factor ({"mfa_factor", "token"});
//   - POST /auth/mfa/factors/{id}/verify {"code"} enables it
//     ({"mfa_factor"}; clientele adds "token", see below);
//   - DELETE /auth/mfa/factors/{id} {"method"?, "code"?} disables it
//     ({"mfa_factor"});
//   - POST /auth/mfa/recovery-codes {"count"?} makes new recovery codes
//     ({"recovery_codes"}), for an identity with an enabled factor.
//
// Every route but the challenge's refuses the token of a login whose
// challenge is pending (401 "MFA verification is required to complete
// this request"). Enabling a factor ends every earlier token and session
// of the identity (Medusa keeps them): the answer carries a new "token"
// whose MFA counts as completed, and a caller with a session cookie gets a
// new session (Set-Cookie) with it.

// mfaGate is the MFA part of authOpts (Medusa's requireMfa).
type mfaGate struct {
	// pending lets through the token of a login whose challenge is
	// pending (requireMfa: false).
	pending bool
	// maxAge, when positive, refuses a completion older than it
	// (requireMfa: {maxAgeSeconds}).
	maxAge time.Duration
}

// errMFA is the authentication middleware's bare 401 of Medusa's MFA
// checks.
func errMFA(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Message: msg, Bare: true}
}

// check refuses claims whose identity has MFA on (mfa_enabled) and whose
// login did not complete a challenge, or completed it too long ago.
func (m mfaGate) check(c *auth.Claims, now time.Time) error {
	if m.pending || !c.MFAEnabled {
		return nil
	}
	if c.MFAChallengeCompletedAt == nil {
		return errMFA("MFA verification is required to complete this request")
	}
	if m.maxAge > 0 && now.Sub(c.MFAChallengeCompletedAt.Time) > m.maxAge {
		return errMFA("MFA was verified too long ago to complete this request")
	}
	return nil
}

// RequireMFA refuses, with 401 {"message": "MFA was verified too long ago
// to complete this request"}, a request of an identity with MFA on whose
// login completed its challenge more than maxAge ago (Medusa's
// requireMfa: {maxAgeSeconds}): for sensitive routes. A pending challenge
// is refused by every gate already (unless AllowPendingMFA); identities
// without MFA pass.
func RequireMFA(maxAge time.Duration) AuthOption {
	return func(o *authOpts) { o.mfa.maxAge = maxAge }
}

// AllowPendingMFA lets through the actorless token of a login whose MFA
// challenge is still pending (Medusa's requireMfa: false), for routes
// that complete or abandon such a login. Without it a gate answers 401
// {"message": "MFA verification is required to complete this request"}.
func AllowPendingMFA() AuthOption {
	return func(o *authOpts) { o.mfa.pending = true }
}

// mfaRoutes adds the /auth/mfa routes to mux.
func (a *API) mfaRoutes(mux *http.ServeMux) {
	authed := func(pattern string, o authOpts, f handlerFunc) {
		mux.Handle(pattern, a.guard.gate(o, a.wrap(f)))
	}
	anyActor := authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true}
	pending := anyActor
	pending.mfa.pending = true
	authed("POST /auth/mfa/challenges/{id}/verify", pending, a.mfaVerifyChallenge)
	authed("POST /auth/mfa/challenges/{id}/passkey", pending, a.mfaBeginPasskey)
	authed("GET /auth/mfa/factors", anyActor, a.mfaListFactors)
	authed("POST /auth/mfa/factors", anyActor, a.mfaStartFactor)
	authed("POST /auth/mfa/factors/{id}/verify", anyActor, a.mfaVerifyFactor)
	authed("DELETE /auth/mfa/factors/{id}", anyActor, a.mfaDisableFactor)
	authed("POST /auth/mfa/recovery-codes", anyActor, a.mfaRecoveryCodes)
}

// mfaAnswer writes a Login as Medusa answers it: a pending MFA challenge
// gets no refresh token.
func (a *API) mfaAnswer(r *http.Request, l *auth.Login) (map[string]any, error) {
	out := map[string]any{"token": l.Token}
	if l.MFAChallenge != nil && l.MFAChallenge.CompletedAt == nil {
		out["mfa_required"] = true
		out["mfa_challenge"] = l.MFAChallenge
		return out, nil
	}
	if err := a.withRefreshToken(r, l.Token, out); err != nil { // revokeroutes.go
		return nil, err
	}
	return out, nil
}

// nonEmpty refuses empty strings in the string fields names that b has
// (zod's min(1)).
func nonEmpty(b body, names ...string) error {
	for _, n := range names {
		if s, ok := b[n].(string); ok && s == "" {
			return invalidData("Invalid request: Value for field '%s' too small, expected at least: '1'", n)
		}
	}
	return nil
}

// notNull refuses JSON nulls in the optional fields names (zod's
// optional() without nullable()).
func notNull(b body, names ...string) error {
	for _, n := range names {
		if v, ok := b[n]; ok && v == nil {
			return invalidData("Invalid request: Expected type: 'string' for field '%s', got: 'null'", n)
		}
	}
	return nil
}

// POST /auth/mfa/challenges/{id}/verify completes a login's challenge.
func (a *API) mfaVerifyChallenge(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "method", kind: kString, required: true}, field{name: "code", kind: kString, required: true})
	if err != nil {
		return err
	}
	if err := nonEmpty(b, "method", "code"); err != nil {
		return err
	}
	l, err := a.cfg.Auth.CompleteMFALogin(r.Context(), authOf(r).claims, r.PathValue("id"), b.str("method"), b.str("code"))
	if err != nil {
		return err
	}
	out, err := a.mfaAnswer(r, l)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// POST /auth/mfa/challenges/{id}/passkey, a clientele extension: the
// options for navigator.credentials.get that answer the login's challenge
// with a passkey (auth.Service.BeginPasskeyMFA). The browser's assertion,
// JSON.stringify(credential.toJSON()), is then the "code" of POST
// /auth/mfa/challenges/{id}/verify with method "passkey".
func (a *API) mfaBeginPasskey(w http.ResponseWriter, r *http.Request) error {
	out, err := a.cfg.Auth.BeginPasskeyMFA(r.Context(), authOf(r).claims, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeRawJSON(w, out)
	return nil
}

// GET /auth/mfa/factors lists the caller's factors, every status.
func (a *API) mfaListFactors(w http.ResponseWriter, r *http.Request) error {
	fs, err := a.cfg.Auth.ListMFA(r.Context(), auth.MFAFactorFilter{AuthIdentityIDs: []string{authOf(r).claims.AuthIdentityID}})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mfa_factors": fs})
	return nil
}

// POST /auth/mfa/factors starts enrolling a factor. An actorless token
// whose login completed no challenge may enrol only while the identity
// has no enabled factor (a registration token enrols the first one).
func (a *API) mfaStartFactor(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "provider", kind: kString, required: true}, field{name: "label", kind: kString},
		field{name: "issuer", kind: kString}, field{name: "metadata", kind: kRecord})
	if err != nil {
		return err
	}
	if err := nonEmpty(b, "provider"); err != nil {
		return err
	}
	if err := notNull(b, "issuer"); err != nil {
		return err
	}
	c := authOf(r).claims
	if c.ActorID == "" && c.MFAChallengeCompletedAt == nil {
		on, err := a.cfg.Auth.ListMFA(r.Context(), auth.MFAFactorFilter{AuthIdentityIDs: []string{c.AuthIdentityID}, Statuses: []string{auth.MFAEnabled}})
		if err != nil {
			return err
		}
		if len(on) > 0 {
			return newError(http.StatusUnauthorized, typeUnauth, "Enrolling an MFA factor while MFA is enabled requires a fully authenticated session")
		}
	}
	if b.str("provider") == auth.MFAMethodPasskey {
		// Enabled at once: the passkey proved itself when it was linked.
		// Enabling a factor gives a new login: it needs a recent one.
		if err := a.recentLogin(r); err != nil {
			return err
		}
		f, err := a.cfg.Auth.EnablePasskeyMFA(r.Context(), c.AuthIdentityID)
		if err != nil {
			return err
		}
		out := map[string]any{"mfa_factor": f}
		if err := a.afterMFAEnabled(w, r, out); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	en, err := a.cfg.Auth.StartMFA(r.Context(), auth.StartMFAParams{
		AuthIdentityID: c.AuthIdentityID, Provider: b.str("provider"), Label: b.str("label"), Issuer: b.str("issuer"), Metadata: b.record("metadata"),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, en)
	return nil
}

// POST /auth/mfa/factors/{id}/verify enables a factor. When it does, the
// identity's earlier tokens (by the auth service) and sessions end, and
// the caller gets a new token, and a new session when it came with one.
// Enabling needs a recent login (Config.RecentLogin).
func (a *API) mfaVerifyFactor(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "code", kind: kString, required: true})
	if err != nil {
		return err
	}
	if err := nonEmpty(b, "code"); err != nil {
		return err
	}
	ac := authOf(r)
	id := ac.claims.AuthIdentityID
	before, err := a.cfg.Auth.RetrieveMFA(r.Context(), r.PathValue("id"), id)
	if err != nil {
		return err
	}
	// Enabling a factor ends every login and gives the caller a new one
	// (afterMFAEnabled): it needs a recent login, or an old stolen session
	// would enrol its holder's factor to become recent.
	if before.Status != auth.MFAEnabled {
		if err := a.recentLogin(r); err != nil {
			return err
		}
	}
	f, err := a.cfg.Auth.VerifyMFA(r.Context(), auth.VerifyMFAParams{ID: before.ID, AuthIdentityID: id, Code: b.str("code")})
	if err != nil {
		return err
	}
	out := map[string]any{"mfa_factor": f}
	if before.Status != auth.MFAEnabled && f.Status == auth.MFAEnabled {
		if err := a.afterMFAEnabled(w, r, out); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// afterMFAEnabled ends the caller's identity's sessions once a factor is
// enabled (the auth service has revoked its tokens) and gives the caller a
// new token in out["token"], whose MFA counts as completed, and a new
// session when it came with one.
func (a *API) afterMFAEnabled(w http.ResponseWriter, r *http.Request, out map[string]any) error {
	ac := authOf(r)
	if err := a.sessions.DeleteSessionsOf(r.Context(), ac.claims.AuthIdentityID); err != nil {
		return err
	}
	tok, err := a.cfg.Auth.ReissueAfterMFA(r.Context(), ac.claims)
	if err != nil {
		return err
	}
	out["token"] = tok
	if ac.session != nil {
		c, err := a.cfg.Auth.Verify(r.Context(), tok)
		if err != nil {
			return err
		}
		if err := a.openSession(w, r, c); err != nil {
			return err
		}
	}
	return a.withRefreshToken(r, tok, out)
}

// DELETE /auth/mfa/factors/{id} disables one of the caller's factors.
func (a *API) mfaDisableFactor(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "method", kind: kString}, field{name: "code", kind: kString})
	if err != nil {
		return err
	}
	if err := notNull(b, "method", "code"); err != nil {
		return err
	}
	if err := nonEmpty(b, "method", "code"); err != nil {
		return err
	}
	id := authOf(r).claims.AuthIdentityID
	f, err := a.cfg.Auth.RetrieveMFA(r.Context(), r.PathValue("id"), id)
	if err != nil {
		return err
	}
	f, err = a.cfg.Auth.DisableMFA(r.Context(), auth.DisableMFAParams{ID: f.ID, AuthIdentityID: id, Method: b.str("method"), Code: b.str("code")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mfa_factor": f})
	return nil
}

// POST /auth/mfa/recovery-codes replaces the caller's recovery codes.
func (a *API) mfaRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "count", kind: kAny})
	if err != nil {
		return err
	}
	count := 0
	if b.has("count") {
		if count, err = intField(b["count"], "count", 1, auth.MaxMFARecoveryCodes); err != nil {
			return err
		}
	}
	id := authOf(r).claims.AuthIdentityID
	on, err := a.cfg.Auth.ListMFA(r.Context(), auth.MFAFactorFilter{AuthIdentityIDs: []string{id}, Statuses: []string{auth.MFAEnabled}})
	if err != nil {
		return err
	}
	if len(on) == 0 {
		return newError(http.StatusBadRequest, typeNotAllowed, "Recovery codes require an enabled MFA factor")
	}
	codes, err := a.cfg.Auth.GenerateMFARecoveryCodes(r.Context(), id, count)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
	return nil
}

// intField reads an integer body field in [lo, hi] with zod's messages
// (z.number().int().min(lo).max(hi)).
func intField(v any, name string, lo, hi int) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, invalidData("Invalid request: Expected type: 'number' for field '%s', got: '%s'", name, received(v))
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return 0, invalidData("Invalid request: Expected type: 'number' for field '%s', got: '%s'", name, n)
	}
	if f != math.Trunc(f) {
		return 0, invalidData("Invalid request: Expected type: 'int' for field '%s', got: '%s'", name, n)
	}
	switch {
	case f < float64(lo):
		return 0, invalidData("Invalid request: Value for field '%s' too small, expected at least: '%s'", name, strconv.Itoa(lo))
	case f > float64(hi):
		return 0, invalidData("Invalid request: Value for field '%s' too big, expected at most: '%s'", name, strconv.Itoa(hi))
	}
	return int(f), nil
}
