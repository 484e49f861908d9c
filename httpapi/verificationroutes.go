package httpapi

import (
	"errors"
	"net/http"

	"github.com/clientele/clientele/auth"
)

// Email verification routes (Medusa 2.21's), and clientele's change of
// email and claim of guest records:
//
//   - POST /auth/verification/request, authenticated (bearer or session,
//     any actor, registration tokens too): body {entity_id, entity_type,
//     code_provider = "token", metadata = {}}; answers 201 {"verification"}
//     (auth.Service.RequestVerification). The code reaches the host
//     through the auth.verification_requested event; no answer carries it
//     or its hash.
//   - POST /auth/verification/confirm, authenticated or not: body {code,
//     code_provider?}; answers 200 {entity_id, entity_type, code_provider,
//     verified_at} (auth.Service.ConfirmVerification), or 400 not_allowed
//     with Medusa's messages. Failed confirmations are throttled per client
//     address (throttle.Config.VerificationConfirmIP) and per identity when
//     authenticated.
//   - POST /store/customers/me/email, a customer: body {email, metadata?};
//     answers 201 {"verification"} and sends a code to the new address
//     (account.Service.RequestEmailChange).
//   - POST /store/customers/me/email/confirm, a customer: body {code};
//     answers 200 {"customer"} with the new email, which is now the login
//     email too (account.Service.ConfirmEmailChange).
//   - POST /store/customers/me/claim, a customer: answers 200 {"customer",
//     "guest_ids"} once the customer's email is verified
//     (account.Service.ClaimGuests), else 400 not_allowed.
//
// With auth.WithVerificationsPerActor, a login or callback whose
// verification is pending answers 200 {"verification_required": true,
// "verification", "token"} with an actorless token (issueGated), and so
// does the refresh of an actorless token.
func (a *API) verificationRoutes(mux *http.ServeMux) {
	anyActor := authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true}
	mux.Handle("POST /auth/verification/request", a.guard.gate(anyActor, a.wrap(a.requestVerification)))
	mux.Handle("POST /auth/verification/confirm", a.wrap(a.confirmVerification))
	mux.Handle("POST /store/customers/me/email", a.guard.gate(customerAuth, a.wrap(a.storeRequestEmailChange)))
	mux.Handle("POST /store/customers/me/email/confirm", a.guard.gate(customerAuth, a.wrap(a.storeConfirmEmailChange)))
	mux.Handle("POST /store/customers/me/claim", a.guard.gate(customerAuth, a.wrap(a.storeClaimGuests)))
}

// issueGated answers a login or a callback: its token, or, while the
// identity's verification is pending, Medusa's verification_required
// answer with an actorless token (auth.Service.LoginToken), or an MFA
// challenge.
func (a *API) issueGated(w http.ResponseWriter, r *http.Request, res *auth.Result) error {
	return a.answerLogin(w, r, res, true)
}

// verificationRequired is Medusa's answer to a login held back by a
// verification; "verification" is left out while none was requested.
func verificationRequired(v *auth.Verification, token string) map[string]any {
	out := map[string]any{"verification_required": true, "token": token}
	if v != nil {
		out["verification"] = v
	}
	return out
}

// refreshHeldBack answers a refresh that a pending verification held back
// (a *auth.VerificationRequiredError); ok is false for other errors.
func refreshHeldBack(w http.ResponseWriter, err error) (ok bool) {
	var vr *auth.VerificationRequiredError
	if !errors.As(err, &vr) {
		return false
	}
	writeJSON(w, http.StatusOK, verificationRequired(vr.Verification, vr.Token))
	return true
}

// POST /auth/verification/request
func (a *API) requestVerification(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r,
		field{name: "entity_id", kind: kString, required: true}, field{name: "entity_type", kind: kString, required: true},
		field{name: "code_provider", kind: kString}, field{name: "metadata", kind: kRecord})
	if err != nil {
		return err
	}
	cp := b.str("code_provider")
	if cp == "" {
		cp = auth.CodeProviderToken
	}
	md := b.record("metadata")
	if md == nil {
		md = map[string]any{}
	}
	out, err := a.cfg.Auth.RequestVerification(r.Context(), auth.RequestVerificationParams{
		AuthIdentityID: authOf(r).claims.AuthIdentityID, EntityID: b.str("entity_id"), EntityType: b.str("entity_type"),
		CodeProvider: cp, Metadata: md,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"verification": out.Verification})
	return nil
}

// optionalAuth returns who r is authenticated as (bearer or session, any
// actor, registration tokens too), or nil for an unauthenticated request
// (Medusa's allowUnauthenticated).
func (a *API) optionalAuth(r *http.Request) (*authContext, error) {
	ac, err := a.guard.authenticate(r, authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true})
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		return nil, nil
	}
	return ac, err
}

// confirmFrom runs confirm as a confirmation from r's client address,
// throttled by the VerificationConfirmIP rule: a wrong code counts, a
// success clears the address's count.
func (a *API) confirmFrom(r *http.Request, confirm func() error) error {
	att, err := a.cfg.Throttle.ConfirmVerificationFrom(r.Context(), a.clientAddr(r))
	if err != nil {
		return err
	}
	err = confirm()
	var terr error
	switch {
	case err == nil:
		terr = att.Succeed(r.Context())
	case errors.Is(err, auth.ErrVerificationCodeInvalid), errors.Is(err, auth.ErrVerificationWrongProvider):
		terr = att.Fail(r.Context())
	default:
		// No code was checked (bad input, the identity's rule refused,
		// a store failed), or it was right but expired.
		terr = att.Cancel(r.Context())
	}
	if terr != nil {
		a.log.ErrorContext(r.Context(), "httpapi: throttle counter not updated", "err", terr.Error())
	}
	return err
}

// POST /auth/verification/confirm
func (a *API) confirmVerification(w http.ResponseWriter, r *http.Request) error {
	ac, err := a.optionalAuth(r)
	if err != nil {
		return err
	}
	b, err := a.decode(w, r, field{name: "code", kind: kString, required: true}, field{name: "code_provider", kind: kString})
	if err != nil {
		return err
	}
	p := auth.ConfirmVerificationParams{Code: b.str("code"), CodeProvider: b.str("code_provider")}
	if ac != nil {
		p.AuthIdentityID = ac.claims.AuthIdentityID
	}
	var v *auth.Verification
	err = a.confirmFrom(r, func() (err error) {
		v, err = a.cfg.Auth.ConfirmVerification(r.Context(), p)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"entity_id": v.EntityID, "entity_type": v.EntityType, "code_provider": v.CodeProvider, "verified_at": v.VerifiedAt,
	})
	return nil
}

// POST /store/customers/me/email
func (a *API) storeRequestEmailChange(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "email", kind: kString, required: true}, field{name: "metadata", kind: kRecord})
	if err != nil {
		return err
	}
	out, err := a.cfg.Accounts.RequestEmailChange(r.Context(), authOf(r).claims.AuthIdentityID, b.str("email"), b.record("metadata"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"verification": out.Verification})
	return nil
}

// POST /store/customers/me/email/confirm
func (a *API) storeConfirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "code", kind: kString, required: true})
	if err != nil {
		return err
	}
	err = a.confirmFrom(r, func() error {
		_, err := a.cfg.Accounts.ConfirmEmailChange(r.Context(), authOf(r).claims.AuthIdentityID, b.str("code"))
		return err
	})
	if err != nil {
		return err
	}
	return a.respondStoreCustomer(w, r, authOf(r).claims.ActorID)
}

// POST /store/customers/me/claim
func (a *API) storeClaimGuests(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.decode(w, r); err != nil {
		return err
	}
	got, err := a.cfg.Accounts.ClaimGuests(r.Context(), authOf(r).claims.AuthIdentityID)
	if err != nil {
		return err
	}
	v, err := a.customerView(r, got.Customer.ID, storeCustomerSel(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": v, "guest_ids": got.GuestIDs})
	return nil
}
