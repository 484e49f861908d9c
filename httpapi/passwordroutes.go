package httpapi

import (
	"errors"
	"net/http"

	"github.com/clientele/clientele/auth"
)

// POST /auth/{actor_type}/{provider}/change-password (clientele's own;
// Medusa has no route for it, see medusajs/medusa#10656): the caller,
// authenticated as {actor_type} (bearer or session; a registration token
// too), proves the current password of its identity's {provider} login
// and sets a new one (auth.Service.ChangePassword).
//
//	POST /auth/customer/emailpass/change-password
//	Authorization: Bearer <token>
//	{"current_password": "…", "new_password": "…"}
//
// On success every token and session of the identity issued before is
// ended (auth.Service.RevokeAll, and its cookie sessions are deleted), on
// this instance at once and on the others within the revocation cache
// TTL, and the caller is kept logged in: the answer is {"success": true,
// "token": <a new token of the same actor>} (plus "refresh_token" with
// refresh rotation), and a caller that came with a session cookie gets a
// new session in its place. The new token counts as a fresh login.
//
// A wrong current password is a failed login for the throttle (the
// account's and the client address's counters, as a login's) and answers
// 400 {"type": "invalid_data", "message": "Invalid current password"}: not
// a 401, which would tell a client that its token is no longer good. A
// locked account answers 429 even with the right password; a new password
// the provider refuses (too short) is a 400 invalid_data; an identity
// without a {provider} login is a 400 invalid_data too.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	actorType, providerID := r.PathValue("actor_type"), r.PathValue("provider")
	if ac.claims.ActorType != actorType {
		return errUnauthorized()
	}
	b, err := a.decode(w, r,
		field{name: "current_password", kind: kString, required: true},
		field{name: "new_password", kind: kString, required: true})
	if err != nil {
		return err
	}
	current, next := b.str("current_password"), b.str("new_password")
	if current == "" {
		return invalidData("Invalid request: Field 'current_password' is required")
	}
	if next == "" {
		return invalidData("Invalid request: Field 'new_password' is required")
	}
	id := ac.claims.AuthIdentityID
	// Throttling, as for a login: the attempt is reserved on the client
	// address here, and on the account by the auth service before it
	// checks the password; the address's reservation is settled below.
	ctx, att, err := a.cfg.Throttle.BeginLogin(r.Context(), a.clientAddr(r), providerID, "")
	if err != nil {
		return err
	}
	_, err = a.cfg.Auth.ChangePassword(ctx, id, providerID, current, next)
	var terr error
	switch {
	case errors.Is(err, auth.ErrUnauthorized):
		terr = att.Fail(ctx)
	case err == nil:
		terr = att.Succeed(ctx)
	default:
		terr = att.Cancel(ctx)
	}
	if terr != nil {
		a.log.ErrorContext(r.Context(), "httpapi: throttle counter not updated", "err", terr.Error())
	}
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrUnauthorized):
		return invalidData("Invalid current password")
	case errors.Is(err, auth.ErrNotFound):
		// The identity has no login with this provider (or is gone).
		return invalidData("The identity has no %s login", providerID)
	default:
		return err
	}
	// The new password ends every session the old one opened; the
	// caller's own is replaced.
	out, err := a.reissueAfterChange(w, r, providerID)
	if err != nil {
		return err
	}
	out["success"] = true
	writeJSON(w, http.StatusOK, out)
	return nil
}

// reissueAfterChange ends the sessions of the caller's identity after a
// change that revoked its tokens (a new password, a way in removed), and
// answers the caller's new token: a fresh login with the gates of a
// refresh (actorless while its verification is pending; a challenge when
// MFA is on and its login completed none), its MFA completion kept, and a
// new session when the caller came with one. providerID stands for the
// caller's provider when its claims name none.
func (a *API) reissueAfterChange(w http.ResponseWriter, r *http.Request, providerID string) (map[string]any, error) {
	ac := authOf(r)
	if err := a.sessions.DeleteSessionsOf(r.Context(), ac.claims.AuthIdentityID); err != nil {
		return nil, err
	}
	c := *ac.claims
	if c.AuthProvider == "" {
		c.AuthProvider = providerID
	}
	var out map[string]any
	l, err := a.cfg.Auth.ReissueAfterChange(r.Context(), &c)
	var vr *auth.VerificationRequiredError
	switch {
	case errors.As(err, &vr):
		out = verificationRequired(vr.Verification, vr.Token)
	case err != nil:
		return nil, err
	default:
		if out, err = a.mfaAnswer(r, l); err != nil {
			return nil, err
		}
	}
	if ac.session != nil {
		nc, err := a.cfg.Auth.Verify(r.Context(), out["token"].(string))
		if err != nil {
			return nil, err
		}
		if err := a.openSession(w, r, nc); err != nil {
			return nil, err
		}
	}
	return out, nil
}
