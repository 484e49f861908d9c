package httpapi

import (
	"net/http"
	"time"

	"github.com/clientele/clientele/auth"
)

// POST /auth/{actor_type}/{provider}/request starts a passwordless login
// by email (provider/magiclink): {"email", "metadata"?}, and optionally
// the client-held binding (BindingField). It answers 200 {"flow",
// "confirmation_code", "expires_at"} whether or not the email has an
// account, and binds the login to this browser (the binding cookie, unless
// the client holds the binding). Throttled per client address under
// throttle.Config.ResetIP, and per email by the auth service.
func (a *API) requestEmailLogin(w http.ResponseWriter, r *http.Request) error {
	in, cookie, err := a.firstLegInput(w, r)
	if err != nil {
		return err
	}
	addr, ok := in.Body["email"].(string)
	if !ok || addr == "" {
		return invalidData("Invalid request: Field 'email' is required")
	}
	md, ok := in.Body["metadata"].(map[string]any)
	if _, given := in.Body["metadata"]; given && !ok {
		return invalidData("Invalid request: Field 'metadata' must be an object")
	}
	if err := a.cfg.Throttle.ResetRequestFrom(r.Context(), a.clientAddr(r)); err != nil {
		return err
	}
	start, err := a.cfg.Auth.RequestEmailLogin(r.Context(), auth.EmailLoginParams{
		ActorType: r.PathValue("actor_type"), Provider: r.PathValue("provider"),
		Email: addr, Binding: in.Binding, Metadata: md,
	})
	if err != nil {
		return err
	}
	if cookie != "" {
		a.setCookie(w, r, a.cfg.BindingCookie, cookie, max(a.cfg.BindingTTL, time.Until(start.ExpiresAt)))
	}
	writeJSON(w, http.StatusOK, start)
	return nil
}

// emailFlow reports whether the request's provider logs in by email: its
// refused callbacks keep the binding cookie, for the code typed again.
func (a *API) emailFlow(r *http.Request) bool { return a.flow(r) == "email" }

// flow is the flow of the request's provider (auth.ProviderInfo.Flow), ""
// for an unknown one.
func (a *API) flow(r *http.Request) string { return a.cfg.Auth.ProviderFlow(r.PathValue("provider")) }
