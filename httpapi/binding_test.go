package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
)

// socialEnv is an API with the oidc provider against a fake identity
// provider.
type socialEnv struct {
	*env
	idp *oidctest.Server
}

func newSocialEnv(t *testing.T) *socialEnv {
	t.Helper()
	idp, p := fakeOIDC(t)
	return &socialEnv{env: newEnvWith(t, []auth.Option{auth.WithProvider(p)}), idp: idp}
}

// fakeOIDC returns a fake identity provider and the oidc provider that
// logs in through it.
func fakeOIDC(t *testing.T) (*oidctest.Server, *oidc.Provider) {
	t.Helper()
	idp := oidctest.NewServer(t)
	p, err := oidc.New(oidc.Config{
		Issuer: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(),
		CallbackURL: "http://localhost:8000/auth/customer/oidc/callback",
	}, oidc.WithHTTPClient(idp.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return idp, p
}

// startCookie begins a cookie-bound login and returns the callback query
// and the binding cookie.
func (e *socialEnv) startCookie() (url.Values, *http.Cookie) {
	e.t.Helper()
	r := e.do("POST", "/auth/customer/oidc", `{}`, "")
	r.want(e.t, 200, "", "")
	cookie := bindingCookie(e.t, r)
	q, err := e.idp.Login(context.Background(), r.str("location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return q, cookie
}

// start begins a login with a client-held binding (the JS SDK's
// auth.login body) and returns the callback query the identity provider
// sends back.
func (e *socialEnv) start(binding string) url.Values {
	e.t.Helper()
	r := e.do("POST", "/auth/customer/oidc", `{"state_binding":"`+binding+`"}`, "")
	r.want(e.t, 200, "", "")
	if c := r.header.Values("Set-Cookie"); len(c) != 0 {
		e.t.Fatalf("a client-bound login set cookies: %q", c)
	}
	q, err := e.idp.Login(context.Background(), r.str("location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

// callback sends the callback of q with the client-held binding (none
// when binding is "") and extra headers.
func (e *socialEnv) callback(q url.Values, binding string, hdr ...string) resp {
	e.t.Helper()
	q = cloneValues(q)
	if binding != "" {
		q.Set("state_binding", binding)
	}
	return e.do("GET", "/auth/customer/oidc/callback?"+q.Encode(), "", "", hdr...)
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

const (
	bindingA = "3f9a1c07d2b84e6f95a0c3d1e7b2f4a8"
	bindingB = "b7e4d0a9c2f1e3b5a6d8c0f2e4a6b8d0c1e3f5a7b9d1"
	spent    = oauth2flow.MsgNoState
)

func TestClientBindingLogin(t *testing.T) {
	e := newSocialEnv(t)
	q := e.start(bindingA)
	r := e.callback(q, bindingA)
	r.want(t, 200, "", "")
	c, err := e.authS.Verify(t.Context(), r.str("token"))
	if err != nil || c.ActorType != "customer" || c.ActorID != "" || c.AuthIdentityID == "" {
		t.Fatalf("social token: %+v %v", c, err)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("a client-bound callback set cookies: %q", r.header.Values("Set-Cookie"))
	}
	// The registration token opens the customer account (the JS SDK's
	// store.customer.create).
	e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, r.str("token")).want(t, 200, "", "")

	// Reuse: the callback cannot be replayed, with its binding or any.
	e.callback(q, bindingA).want(t, 401, "unauthorized", spent)

	// A callback sent as a POST with the binding in its JSON body.
	q = e.start(bindingB)
	e.do("POST", "/auth/customer/oidc/callback?"+q.Encode(), `{"state_binding":"`+bindingB+`"}`, "").want(t, 200, "", "")
}

func TestClientBindingRefusals(t *testing.T) {
	e := newSocialEnv(t)
	foreign := oauth2flow.MsgForeignBrowser
	for _, tc := range []struct {
		name    string
		present func(q url.Values) resp // the callback of a login bound to bindingA
		msg     string
	}{
		{"missing binding", func(q url.Values) resp { return e.callback(q, "") }, oauth2flow.MsgNoBinding},
		{"wrong binding", func(q url.Values) resp { return e.callback(q, bindingB) }, foreign},
		{"binding of another case", func(q url.Values) resp { return e.callback(q, strings.ToUpper(bindingA)) }, foreign},
		{"malformed binding", func(q url.Values) resp { return e.callback(q, "x") }, foreign},
		// The binding channel is part of the binding: a client-held value
		// in the binding cookie (planted by a sibling subdomain, say) is
		// not the client-held binding.
		{"binding as a cookie", func(q url.Values) resp { return e.callback(q, "", "Cookie: clientele_oauth="+bindingA) }, foreign},
		{"binding in a POST body of another type", func(q url.Values) resp {
			return e.do("POST", "/auth/customer/oidc/callback?"+q.Encode(), `{"state_binding":7}`, "")
		}, foreign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := e.start(bindingA)
			tc.present(q).want(t, 401, "unauthorized", tc.msg)
			// The failed callback spent the state: the browser that began
			// the login has to start again.
			e.callback(q, bindingA).want(t, 401, "unauthorized", spent)
		})
	}

	t.Run("binding sent twice", func(t *testing.T) {
		q := e.start(bindingA)
		twice := cloneValues(q)
		twice["state_binding"] = []string{bindingA, bindingA}
		e.do("GET", "/auth/customer/oidc/callback?"+twice.Encode(), "", "").want(t, 401, "unauthorized", "The browser binding must be sent once")
		q.Set("state_binding", bindingA)
		e.do("POST", "/auth/customer/oidc/callback?"+q.Encode(), `{"state_binding":"`+bindingA+`"}`, "").
			want(t, 401, "unauthorized", "The browser binding must be sent once")
		// Refused before the provider: the state is still there.
		e.callback(q, bindingA).want(t, 200, "", "")
	})

	t.Run("binding from another login", func(t *testing.T) {
		// One browser, two logins under way: each callback needs its own
		// login's binding.
		q1 := e.start(bindingA)
		q2 := e.start(bindingB)
		e.callback(q1, bindingB).want(t, 401, "unauthorized", foreign)
		e.callback(q2, bindingB).want(t, 200, "", "")
	})
}

// TestClientBindingLoginCSRF: an attacker who starts a login and sends a
// victim the callback link does not log the victim into the attacker's
// account, with either kind of binding.
func TestClientBindingLoginCSRF(t *testing.T) {
	e := newSocialEnv(t)
	attacker := e.start(bindingA)
	// The victim's storefront adds its own binding (of a login of its own,
	// or none): the attacker's binding is in the attacker's storage.
	victim := e.start(bindingB)
	e.callback(attacker, bindingB).want(t, 401, "unauthorized", oauth2flow.MsgForeignBrowser)
	e.callback(victim, bindingB).want(t, 200, "", "")
	attacker = e.start(bindingA)
	e.callback(attacker, "").want(t, 401, "unauthorized", oauth2flow.MsgNoBinding)

	// Cookie binding: the attacker knows the value of the binding cookie
	// the first leg set in the attacker's browser, and writes it into the
	// link as a client-held binding; it does not match a cookie-bound
	// state.
	q, cookie := e.startCookie()
	e.callback(q, cookie.Value).want(t, 401, "unauthorized", oauth2flow.MsgForeignBrowser)
	e.callback(q, "", "Cookie: clientele_oauth="+cookie.Value).want(t, 401, "unauthorized", spent)
}

func TestCookieBindingStaysDefault(t *testing.T) {
	e := newSocialEnv(t)
	q, cookie := e.startCookie()
	// With no client-held binding in the callback, the cookie decides.
	r := e.callback(q, "", "Cookie: clientele_oauth="+cookie.Value)
	r.want(t, 200, "", "")
	if c := bindingCookie(t, r); c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("binding cookie not cleared: %+v", c)
	}
	// A client-held binding wins over a leftover binding cookie.
	q = e.start(bindingA)
	e.callback(q, bindingA, "Cookie: clientele_oauth="+cookie.Value).want(t, 200, "", "")
}

func bindingCookie(t *testing.T, r resp) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "clientele_oauth" {
			return c
		}
	}
	t.Fatalf("no binding cookie in %q", r.header.Values("Set-Cookie"))
	return nil
}

func TestClientBindingShape(t *testing.T) {
	e := newSocialEnv(t)
	shape := "Invalid request: Field 'state_binding' must be 32 to 128 letters, digits, '-' or '_', drawn at random for this login"
	for _, body := range []string{
		`{"state_binding":""}`,
		`{"state_binding":"0123456789abcdef0123456789abcde"}`,                // 31
		`{"state_binding":"` + strings.Repeat("ab0123456789cdef", 8) + `x"}`, // 129
		`{"state_binding":"0123456789abcdef0123456789abcde+"}`,
		`{"state_binding":"0123456789abcdef 0123456789abcdef"}`,
		`{"state_binding":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`,
		`{"state_binding":"01230123012301230123012301230123"}`, // 4 distinct characters
		`{"state_binding":12345678901234567890123456789012345}`,
		`{"state_binding":null}`,
		`{"state_binding":["` + bindingA + `"]}`,
	} {
		e.do("POST", "/auth/customer/oidc", body, "").want(t, 400, "invalid_data", shape)
	}
	// A first leg's binding comes from the JSON body: a URL is something
	// anyone can write.
	urlMsg := "Invalid request: Field 'state_binding' is read from the JSON body of a POST"
	e.do("GET", "/auth/customer/oidc?state_binding="+bindingA, "", "").want(t, 400, "invalid_data", urlMsg)
	e.do("POST", "/auth/customer/oidc?state_binding="+bindingA, `{"state_binding":"`+bindingA+`"}`, "").want(t, 400, "invalid_data", urlMsg)
	// The accepted shapes: 32 to 128 URL-safe characters, a UUID.
	for _, b := range []string{bindingA, strings.Repeat("ab0123456789cdef", 8), "9b2f6c1e-7d4a-4e8b-a5c3-0f1d2e3b4a59", "Zx_9-kQ2mW8vN4pL6rT0yU3iO5aS7dF1gH"} {
		e.do("POST", "/auth/customer/oidc", `{"state_binding":"`+b+`"}`, "").want(t, 200, "", "")
	}
}

// recorder is a redirect provider that records what the routes hand it.
type recorder struct{ got []provider.Input }

func (p *recorder) ID() string { return "rec" }

func (p *recorder) Authenticate(_ context.Context, in provider.Input, _ provider.Identities) (*provider.Result, error) {
	p.got = append(p.got, in)
	return &provider.Result{Location: "https://idp.example/authorize"}, nil
}

func (p *recorder) ValidateCallback(_ context.Context, in provider.Input, _ provider.Identities) (*provider.Result, error) {
	p.got = append(p.got, in)
	return nil, provider.Fail("rec", provider.ErrUnauthorized, "recorded")
}

// TestBindingHiddenFromProviders: the client-held binding reaches a
// provider only as Input.Binding, never in its body, query or URL, and
// each channel reaches it with its own prefix.
func TestBindingHiddenFromProviders(t *testing.T) {
	rec := &recorder{}
	e := newEnvWith(t, []auth.Option{auth.WithProvider(rec)})
	e.do("POST", "/auth/customer/rec", `{"state_binding":"`+bindingA+`","callback_url":"x"}`, "").want(t, 200, "", "")
	e.do("GET", "/auth/customer/rec/callback?code=c&state_binding="+bindingA, "", "").want(t, 401, "unauthorized", "recorded")
	e.do("POST", "/auth/customer/rec/callback?code=c", `{"state_binding":"`+bindingA+`"}`, "").want(t, 401, "unauthorized", "recorded")
	e.do("GET", "/auth/customer/rec/callback?code=c", "", "", "Cookie: clientele_oauth="+bindingA).want(t, 401, "unauthorized", "recorded")
	e.do("GET", "/auth/customer/rec/callback?code=c", "", "").want(t, 401, "unauthorized", "recorded")
	if len(rec.got) != 5 {
		t.Fatalf("%d calls", len(rec.got))
	}
	var bindings []string
	for _, in := range rec.got {
		if strings.Contains(in.URL, bindingA) || in.Query.Has("state_binding") || in.Body["state_binding"] != nil || in.Headers.Get("Cookie") != "" {
			t.Fatalf("the provider received the binding: %+v", in)
		}
		bindings = append(bindings, in.Binding)
	}
	if rec.got[0].Body["callback_url"] != "x" || rec.got[1].Query.Get("code") != "c" || rec.got[1].URL != "/auth/customer/rec/callback?code=c" {
		t.Fatalf("the provider lost other input: %+v", rec.got[:2])
	}
	if bindings[0] != bindings[1] || bindings[1] != bindings[2] || bindings[3] == bindings[0] || bindings[4] != "" ||
		!strings.HasSuffix(bindings[0], bindingA) || !strings.HasSuffix(bindings[3], bindingA) {
		t.Fatalf("bindings %q", bindings)
	}
}
