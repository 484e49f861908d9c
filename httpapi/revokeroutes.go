package httpapi

import (
	"errors"
	"net/http"

	"github.com/clientele/clientele/auth"
)

// Token revocation and refresh-token rotation routes (clientele's own;
// Medusa has neither):
//
//   - POST /auth/logout-all, authenticated (bearer or session, any actor,
//     registration tokens too): every token of the caller's auth identity
//     issued so far is refused from now on (auth.Service.RevokeAll), on
//     this instance at once and on the others within the revocation cache
//     TTL (1 s by default), and every cookie session of the identity is
//     deleted. Answers {"success": true} and clears the session cookie.
//   - POST /auth/token/rotate, only when the auth service has
//     auth.WithRefreshRotation: body {"refresh_token": "crt_…"}; answers
//     {"token", "refresh_token"} (auth.Service.Rotate). The token
//     presented is spent; presenting it again revokes its family and every
//     token of the identity. Any failure is the bare 401. With rotation on,
//     login and registration answers carry a "refresh_token" beside
//     "token".
func (a *API) revocationRoutes(mux *http.ServeMux) {
	// A login whose MFA challenge is pending may log out everywhere too.
	anyActor := authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true, mfa: mfaGate{pending: true}}
	mux.Handle("POST /auth/logout-all", a.guard.gate(anyActor, a.wrap(a.logoutAll)))
	if a.cfg.Auth.RotationEnabled() {
		mux.Handle("POST /auth/token/rotate", a.wrap(a.rotate))
	}
}

// POST /auth/logout-all ends every token and session of the caller's
// identity.
func (a *API) logoutAll(w http.ResponseWriter, r *http.Request) error {
	id := authOf(r).claims.AuthIdentityID
	if err := a.cfg.Auth.RevokeAll(r.Context(), id); err != nil {
		return err
	}
	if err := a.sessions.DeleteSessionsOf(r.Context(), id); err != nil {
		return err
	}
	a.setCookie(w, r, a.cfg.SessionCookie, "", 0)
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}

// POST /auth/token/rotate trades a refresh token for a new pair.
func (a *API) rotate(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "refresh_token", kind: kString, required: true})
	if err != nil {
		return err
	}
	rot, err := a.cfg.Auth.Rotate(r.Context(), b.str("refresh_token"))
	if err != nil {
		if errors.Is(err, auth.ErrRefreshTokenReused) {
			a.log.WarnContext(r.Context(), "httpapi: a rotated refresh token was presented again; its identity's tokens are revoked")
		}
		return refreshFailure(err)
	}
	writeJSON(w, http.StatusOK, rot)
	return nil
}

// withRefreshToken adds a new refresh token for the login token tok to
// out when rotation is on.
func (a *API) withRefreshToken(r *http.Request, tok string, out map[string]any) error {
	if !a.cfg.Auth.RotationEnabled() {
		return nil
	}
	c, err := a.cfg.Auth.Verify(r.Context(), tok)
	if err != nil {
		return err
	}
	rt, err := a.cfg.Auth.IssueRefreshToken(r.Context(), c)
	if err != nil {
		return err
	}
	out["refresh_token"] = rt
	return nil
}

// refreshFailure answers a refused refresh (revoked, too old, reused) with
// the bare 401 the authentication middleware gives; other errors pass.
func refreshFailure(err error) error {
	if errors.Is(err, auth.ErrInvalidToken) {
		return errUnauthorized()
	}
	return err
}
