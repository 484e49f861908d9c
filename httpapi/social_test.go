package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

func TestSocialLoginBindsStateToBrowser(t *testing.T) {
	se := newSocialEnv(t)
	e, idp := se.env, se.idp

	login := func() (loc string, binding *http.Cookie) {
		r := e.do("GET", "/auth/customer/oidc", "", "")
		r.want(t, 200, "", "")
		binding = bindingCookie(t, r)
		if !binding.HttpOnly || binding.SameSite != http.SameSiteLaxMode || binding.MaxAge <= 0 {
			t.Fatalf("binding cookie: %+v", binding)
		}
		return r.str("location"), binding
	}

	loc, binding := login()
	q, err := idp.Login(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	// The callback from another browser (no or another binding) fails.
	e.do("GET", "/auth/customer/oidc/callback?"+q.Encode(), "", "").want(t, 401, "unauthorized", "")
	// The state that a foreign browser presented is spent: the real
	// browser has to start again.
	spent := "No state provided, or session expired"
	e.do("GET", "/auth/customer/oidc/callback?"+q.Encode(), "", "", "Cookie: clientele_oauth="+binding.Value).want(t, 401, "unauthorized", spent)
	loc, binding = login()
	q, _ = idp.Login(context.Background(), loc)
	e.do("GET", "/auth/customer/oidc/callback?"+q.Encode(), "", "", "Cookie: clientele_oauth=someoneelsesbindingvalue0123456789abcdef").
		want(t, 401, "unauthorized", "")
	e.do("GET", "/auth/customer/oidc/callback?"+q.Encode(), "", "", "Cookie: clientele_oauth="+binding.Value).want(t, 401, "unauthorized", spent)

	loc, binding = login()
	q, _ = idp.Login(context.Background(), loc)
	r := e.do("GET", "/auth/customer/oidc/callback?"+url.Values(q).Encode(), "", "", "Cookie: clientele_oauth="+binding.Value)
	r.want(t, 200, "", "")
	c, err := e.authS.Verify(t.Context(), r.str("token"))
	if err != nil || c.ActorType != "customer" || c.ActorID != "" || c.AuthIdentityID == "" {
		t.Fatalf("social token: %+v %v", c, err)
	}
	// The token is a registration token: it creates the customer account,
	// only for the email the identity provider verified.
	e.do("POST", "/store/customers", `{"email":"jane@example.com"}`, r.str("token")).
		want(t, 400, "invalid_data", "The customer's email must be an email this login has proved")
	e.do("POST", "/store/customers", `{"email":"Ada@Example.com"}`, r.str("token")).want(t, 200, "", "")
}
