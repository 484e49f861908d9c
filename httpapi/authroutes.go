package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/throttle"
)

// providerInput builds what a login request carries to a provider. body
// is read as loose JSON (providers validate their own fields). The caller
// sets the browser binding (binding.go).
func (a *API) providerInput(w http.ResponseWriter, r *http.Request) (provider.Input, error) {
	in := provider.Input{
		URL: r.URL.String(), Query: r.URL.Query(), Protocol: "http",
		ActorType: r.PathValue("actor_type"), Body: map[string]any{},
	}
	if r.TLS != nil {
		in.Protocol = "https"
	}
	in.Headers = r.Header.Clone()
	in.Headers.Del("Cookie") // the binding travels in Binding; other cookies are not the provider's
	if r.Method == http.MethodPost {
		raw, err := a.readJSON(w, r)
		if err != nil {
			return in, err
		}
		in.Body = numbersOut(raw).(map[string]any)
	}
	return in, nil
}

// issue answers a registration: {"token"} (an actorless token; a
// pending verification does not change the answer, as in Medusa), or an
// MFA challenge for an existing identity with MFA on.
func (a *API) issue(w http.ResponseWriter, r *http.Request, res *auth.Result) error {
	return a.answerLogin(w, r, res, false)
}

// answerLogin writes what auth.Service.LoginTokenFor answers for the
// identity of res: with gated, a pending verification is Medusa's
// verification_required answer (verificationroutes.go); a pending MFA
// challenge is mfa_required (mfaroutes.go).
func (a *API) answerLogin(w http.ResponseWriter, r *http.Request, res *auth.Result, gated bool) error {
	if res.AuthIdentity == nil {
		return newError(http.StatusUnauthorized, typeUnauth, "Authentication failed")
	}
	l, err := a.cfg.Auth.LoginTokenFor(r.Context(), res, r.PathValue("actor_type"), r.PathValue("provider"))
	if err != nil {
		return err
	}
	var out map[string]any
	switch {
	case l.VerificationRequired && gated:
		out = verificationRequired(l.Verification, l.Token)
	case l.VerificationRequired:
		out = map[string]any{"token": l.Token}
	default:
		if out, err = a.mfaAnswer(r, l); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET/POST /auth/{actor_type}/{provider}: a login, or the first leg of a
// redirect login ({location}); the OAuth state is tied to this browser by
// the binding cookie, or by the client-held binding of the body (see
// binding.go).
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) error {
	in, cookie, err := a.firstLegInput(w, r)
	if err != nil {
		return err
	}
	// The first leg of a redirect login stores its state: it counts
	// against the StartIP rule.
	if a.flow(r) == "redirect" {
		if err := a.cfg.Throttle.StartFrom(r.Context(), a.clientAddr(r)); err != nil {
			return err
		}
	}
	// Throttling: the attempt is reserved (counted as a failure) on the
	// client address and the account in one store call, before the
	// password check; the context hands the account's reservation to the
	// auth service, which settles it. The address's is settled here.
	ctx, att, err := a.cfg.Throttle.BeginLogin(r.Context(), a.clientAddr(r), r.PathValue("provider"), auth.LoginIdentifier(in))
	if err != nil {
		in.ActorType = r.PathValue("actor_type")
		a.cfg.Auth.RecordLoginRefused(r.Context(), r.PathValue("provider"), in, err)
		return err
	}
	res, err := a.cfg.Auth.Authenticate(ctx, r.PathValue("provider"), in)
	a.settle(ctx, att, res, err)
	if err != nil {
		return a.authFailure(r, err)
	}
	if res.Location != "" {
		if cookie != "" {
			a.setCookie(w, r, a.cfg.BindingCookie, cookie, a.cfg.BindingTTL)
		}
		writeJSON(w, http.StatusOK, map[string]any{"location": res.Location})
		return nil
	}
	return a.issueGated(w, r, res) // verificationroutes.go
}

// POST /auth/{actor_type}/{provider}/register answers an actorless token.
func (a *API) register(w http.ResponseWriter, r *http.Request) error {
	in, err := a.providerInput(w, r)
	if err != nil {
		return err
	}
	// A provider whose registration is a ceremony the browser began
	// (POST …/begin: passkeys) finishes it here as at the callback, with
	// the same binding.
	usedCookie := false
	ceremony := a.flow(r) == "ceremony"
	if ceremony {
		if usedCookie, err = a.callbackBinding(r, &in); err != nil {
			return err
		}
	}
	// A ceremony's registration was counted when it began, whichever
	// route finishes it.
	if !ceremony {
		if err := a.cfg.Throttle.RegisterFrom(r.Context(), a.clientAddr(r)); err != nil {
			return err
		}
	}
	res, err := a.cfg.Auth.Register(r.Context(), r.PathValue("provider"), in)
	if usedCookie {
		a.setCookie(w, r, a.cfg.BindingCookie, "", 0)
	}
	if err != nil {
		return a.authFailure(r, err)
	}
	return a.issue(w, r, res)
}

// GET/POST /auth/{actor_type}/{provider}/callback finishes a redirect
// login bound to the client-held binding the request carries, or to the
// binding cookie, which it then clears.
func (a *API) callback(w http.ResponseWriter, r *http.Request) error {
	in, err := a.providerInput(w, r)
	if err != nil {
		return err
	}
	usedCookie, err := a.callbackBinding(r, &in)
	if err != nil {
		return err
	}
	// Throttling: a callback is a login attempt of the client address
	// (LoginIP): a failed one (a forged or replayed state, a code the
	// identity provider refuses) counts, another is taken back.
	att, err := a.cfg.Throttle.LoginFrom(r.Context(), a.clientAddr(r))
	if err != nil {
		return err
	}
	res, err := a.cfg.Auth.ValidateCallback(r.Context(), r.PathValue("provider"), in)
	if usedCookie && (err == nil || !a.emailFlow(r)) {
		a.setCookie(w, r, a.cfg.BindingCookie, "", 0)
	}
	a.settle(r.Context(), att, res, err)
	if err != nil {
		return a.authFailure(r, err)
	}
	return a.issueGated(w, r, res) // verificationroutes.go
}

// POST /auth/{actor_type}/{provider}/begin, a clientele extension (Medusa
// has no passkeys): the first step of a two-step provider such as
// provider/passkey. The body names the ceremony ({"ceremony": "login"} or
// {"ceremony": "register", "name"}); the answer is the provider's JSON as
// it is (a passkey's {"publicKey": options} for navigator.credentials).
// The ceremony is bound to this browser as a social login's state is: to
// the client-held binding of the body, or to the binding cookie the
// answer sets; the second step, POST /auth/{actor_type}/{provider}/callback
// with the browser's credential, must present the same binding.
func (a *API) begin(w http.ResponseWriter, r *http.Request) error {
	in, cookie, err := a.firstLegInput(w, r)
	if err != nil {
		return err
	}
	// Throttling: each begin stores the ceremony's state (StartIP); a
	// registration counts as one when it begins (RegisterIP), since the
	// callback, login and register routes all finish it; a locked-out
	// client address begins nothing; a begun ceremony is not a failed
	// login.
	ip := a.clientAddr(r)
	if err := a.cfg.Throttle.StartFrom(r.Context(), ip); err != nil {
		return err
	}
	if c, _ := in.Body["ceremony"].(string); c == "register" {
		if err := a.cfg.Throttle.RegisterFrom(r.Context(), ip); err != nil {
			return err
		}
	}
	att, err := a.cfg.Throttle.LoginFrom(r.Context(), ip)
	if err != nil {
		return err
	}
	out, err := a.cfg.Auth.Begin(r.Context(), r.PathValue("provider"), in)
	a.settle(r.Context(), att, &auth.Result{}, err)
	if err != nil {
		return err
	}
	if cookie != "" {
		a.setCookie(w, r, a.cfg.BindingCookie, cookie, a.cfg.BindingTTL)
	}
	writeRawJSON(w, out)
	return nil
}

// writeRawJSON answers 200 with b, JSON already encoded, not to be
// cached.
func writeRawJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// POST /auth/{actor_type}/{provider}/link, a clientele extension: the
// second step of a login through provider (a passkey's registration, an
// OAuth callback's parameters in the JSON body) attaches the provider
// identity to the caller's own identity (auth.Service.Link) instead of
// logging in. It checks the browser binding as the callback does and
// answers {"auth_identity"}. The path's actor type must be the caller's.
// A provider account of another identity is
// 409 conflict, and nothing changes.
func (a *API) linkProvider(w http.ResponseWriter, r *http.Request) error {
	in, err := a.providerInput(w, r)
	if err != nil {
		return err
	}
	if authOf(r).claims.ActorType != in.ActorType {
		return newError(http.StatusUnauthorized, typeUnauth, "Unauthorized")
	}
	// A new way in needs a recent login (Config.RecentLogin): else an old
	// stolen session adds its holder's passkey, logs in with it, and
	// removes the owner's ways in.
	if err := a.recentLogin(r); err != nil {
		return err
	}
	if !a.linksByCallback(r.PathValue("provider")) {
		// A provider that proves itself with credentials in the request
		// (emailpass) would make this route an unthrottled oracle of
		// other accounts' passwords: it links only through a flow begun
		// in this browser (a redirect, a mailed link, a passkey).
		return newError(http.StatusBadRequest, typeInvalidData, "This provider cannot be linked here")
	}
	usedCookie, err := a.callbackBinding(r, &in)
	if err != nil {
		return err
	}
	res, err := a.cfg.Auth.Link(r.Context(), authOf(r).claims.AuthIdentityID, r.PathValue("provider"), in)
	if usedCookie {
		a.setCookie(w, r, a.cfg.BindingCookie, "", 0)
	}
	if err != nil {
		if errors.Is(err, auth.ErrConflict) {
			return err
		}
		return a.authFailure(r, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"auth_identity": res.AuthIdentity})
	return nil
}

// linksByCallback reports whether providerID is a configured provider
// whose proof is the callback of a flow begun in the browser.
func (a *API) linksByCallback(providerID string) bool {
	f := a.cfg.Auth.ProviderFlow(providerID)
	return f != "" && f != "credentials"
}

// settle reports how a throttled login attempt ended: a failure when the
// credentials were refused, a success when there is an identity, else
// (another error, a redirect begun) neither, which takes the reservation
// back. A counter the store could not write is logged; the answer stays
// the attempt's.
func (a *API) settle(ctx context.Context, att *throttle.Attempt, res *auth.Result, err error) {
	var terr error
	switch {
	case errors.Is(err, auth.ErrUnauthorized):
		terr = att.Fail(ctx)
	case err == nil && res.AuthIdentity != nil:
		terr = att.Succeed(ctx)
	default:
		terr = att.Cancel(ctx)
	}
	if terr != nil {
		a.log.ErrorContext(ctx, "httpapi: throttle counter not updated", "err", terr.Error())
	}
}

// authFailure turns a failed login into Medusa's 401 with the provider's
// message; a provider not allowed for the actor stays a 400 not_allowed,
// and failures that are not the client's stay 500s.
func (a *API) authFailure(r *http.Request, err error) error {
	e, hidden := toError(err)
	if e.Status >= 500 || e.Type == typeNotAllowed || errors.Is(err, throttle.ErrLimited) {
		return err
	}
	msg := e.Message
	if hidden {
		a.log.WarnContext(r.Context(), "httpapi: error without a public message", "method", r.Method, "path", r.URL.Path, "status", http.StatusUnauthorized, "err", err.Error())
		msg = ""
	}
	if msg == "" {
		msg = "Authentication failed"
	}
	return newError(http.StatusUnauthorized, typeUnauth, msg)
}

// POST /auth/token/refresh re-issues the token of the caller (bearer or
// session) with the identity's current actor links; a login older than
// the maximum login age gets the bare 401 (see revokeroutes.go). A login
// that must still complete an MFA challenge gets a new one, as a login
// does (mfaroutes.go).
func (a *API) refresh(w http.ResponseWriter, r *http.Request) error {
	l, err := a.cfg.Auth.RefreshLogin(r.Context(), authOf(r).claims)
	if refreshHeldBack(w, err) { // a pending verification (verificationroutes.go)
		return nil
	}
	if err != nil {
		return refreshFailure(err)
	}
	out := map[string]any{"token": l.Token}
	if l.MFAChallenge != nil {
		out["mfa_required"], out["mfa_challenge"] = true, l.MFAChallenge
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// POST /auth/{actor_type}/{provider}/reset-password always answers 201
// "Created", whether or not the identity exists. Throttled: too many
// requests from the client's address are a 429; too many for one
// identifier are still a 201, and nothing is sent (the auth service's
// Reset rule), so the answer never tells whether the identifier has an
// account, or has been asked for too often.
func (a *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "identifier", kind: kString, required: true}, field{name: "metadata", kind: kRecord})
	if err != nil {
		return err
	}
	if b.str("identifier") == "" {
		return invalidData("Invalid request: Field 'identifier' is required")
	}
	if err := a.cfg.Throttle.ResetRequestFrom(r.Context(), a.clientAddr(r)); err != nil {
		return err
	}
	err = a.cfg.Auth.RequestPasswordReset(r.Context(), r.PathValue("actor_type"), r.PathValue("provider"), b.str("identifier"), b.record("metadata"))
	if err != nil {
		if errors.Is(err, auth.ErrNotAllowed) {
			return err
		}
		if e, _ := toError(err); e.Status >= 500 {
			a.log.ErrorContext(r.Context(), "httpapi: password reset request failed", "err", err.Error())
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte("Created"))
	return nil
}

// POST /auth/{actor_type}/{provider}/update sets a new password with a
// single-use reset token (Authorization: Bearer).
func (a *API) updatePassword(w http.ResponseWriter, r *http.Request) error {
	tok := bearerToken(r)
	if tok == "" {
		return newError(http.StatusUnauthorized, typeUnauth, "Invalid token")
	}
	raw, err := a.readJSON(w, r)
	if err != nil {
		return err
	}
	res, err := a.cfg.Auth.ResetPassword(r.Context(), r.PathValue("actor_type"), r.PathValue("provider"), tok, numbersOut(raw).(map[string]any))
	if err != nil {
		return a.authFailure(r, err)
	}
	if res == nil || res.AuthIdentity == nil {
		return newError(http.StatusUnauthorized, typeUnauth, "Unauthorized")
	}
	// A new password ends every session the old one opened.
	if err := a.sessions.DeleteSessionsOf(r.Context(), res.AuthIdentity.ID); err != nil {
		a.log.ErrorContext(r.Context(), "httpapi: revoke sessions after a password reset", "error", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}

// GET /auth/{actor_type}/providers lists the providers the actor type may
// use ({providers: [{id, identifier, display_name, flow}]}): all of them,
// unless the auth service restricts the actor type (auth.WithActorProviders,
// Medusa's http.authMethodsPerActor). An unknown actor type is a 400
// not_allowed, as its logins are.
func (a *API) providers(w http.ResponseWriter, r *http.Request) error {
	list, err := a.cfg.Auth.ProvidersFor(r.PathValue("actor_type"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"providers": list})
	return nil
}
