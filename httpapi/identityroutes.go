package httpapi

import (
	"net/http"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// The ways into the caller's own identity, a clientele extension (Medusa
// has no such routes): GET /auth/identity lists them, and DELETE
// /auth/identity/provider-identities/{id} removes one
// (auth.Service.UnlinkProvider), so that a person can see and undo a
// link they did not make (a passkey added from a stolen session).

// DefaultRecentLogin is how recent the login behind a removal of a way in
// must be, unless Config.RecentLogin sets another.
const DefaultRecentLogin = 15 * time.Minute

// msgLoginAgain refuses a removal by a login that is not recent.
const msgLoginAgain = "Log in again to change how you log in"

// identityRoutes adds the routes of the caller's own identity.
func (a *API) identityRoutes(mux *http.ServeMux) {
	// Not with a pending MFA challenge.
	own := authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true}
	mux.Handle("GET /auth/identity", a.guard.gate(own, a.wrap(a.ownIdentity)))
	mux.Handle("DELETE /auth/identity/provider-identities/{id}", a.guard.gate(own, a.wrap(a.unlinkOwn)))
}

// writeOwnIdentity answers {"auth_identity": {"id", "provider_identities"}},
// each way in as a personal-data export shows it
// (account.ExportedProviderIdentity): without provider_metadata
// (credentials, a provider's tokens).
func writeOwnIdentity(w http.ResponseWriter, identity *auth.AuthIdentity) {
	writeJSON(w, http.StatusOK, map[string]any{"auth_identity": ownIdentity(identity)})
}

// ownIdentity is identity as the routes of one's own identity show it.
func ownIdentity(identity *auth.AuthIdentity) map[string]any {
	pis := make([]account.ExportedProviderIdentity, 0, len(identity.ProviderIdentities))
	for _, pi := range identity.ProviderIdentities {
		pis = append(pis, account.ExportedProviderIdentity{ID: pi.ID, Provider: pi.Provider, EntityID: pi.EntityID,
			UserMetadata: pi.UserMetadata, CreatedAt: pi.CreatedAt, UpdatedAt: pi.UpdatedAt})
	}
	return map[string]any{"id": identity.ID, "provider_identities": pis}
}

// GET /auth/identity answers the caller's identity and its ways in.
func (a *API) ownIdentity(w http.ResponseWriter, r *http.Request) error {
	identity, err := a.cfg.Auth.RetrieveAuthIdentity(r.Context(), authOf(r).claims.AuthIdentityID, store.FindOptions{})
	if err != nil {
		return err
	}
	writeOwnIdentity(w, identity)
	return nil
}

// DELETE /auth/identity/provider-identities/{id} removes one of the
// caller's ways in and answers {"auth_identity", "token"} (the caller's
// new token, as after a change of password). The login behind the request
// must be recent (Config.RecentLogin): a stolen session of yesterday
// cannot lock its owner out.
func (a *API) unlinkOwn(w http.ResponseWriter, r *http.Request) error {
	if err := a.recentLogin(r); err != nil {
		return err
	}
	identity, err := a.cfg.Auth.UnlinkProvider(r.Context(), authOf(r).claims.AuthIdentityID, r.PathValue("id"))
	if err != nil {
		return err
	}
	// The removal ended every login of the identity (the one made
	// through the removed way first) and its sessions: the caller gets a
	// new token, and a new session when it came with one.
	out, err := a.reissueAfterChange(w, r, "")
	if err != nil {
		return err
	}
	out["auth_identity"] = ownIdentity(identity)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// recentLogin refuses (401 "Log in again to change how you log in") a
// request whose login is older than Config.RecentLogin: a change to the
// ways into an identity (adding one, removing one) needs its owner, not
// a session that has been lying around. Refreshes, rotations and the
// reissue after enabling MFA keep a token's login time.
func (a *API) recentLogin(r *http.Request) error {
	window := a.cfg.RecentLogin
	if window <= 0 {
		window = DefaultRecentLogin
	}
	if c := authOf(r).claims; c.LoginAt == nil || a.now().Sub(c.LoginAt.Time) > window {
		return newError(http.StatusUnauthorized, typeUnauth, msgLoginAgain)
	}
	return nil
}
