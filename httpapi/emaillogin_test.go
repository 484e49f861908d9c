package httpapi_test

import (
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider/magiclink"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/throttle"
)

// magicEnv is an env with the magiclink provider (opts) beside emailpass.
func magicEnv(t *testing.T, opts ...magiclink.Option) *env {
	t.Helper()
	return newEnvWith(t, []auth.Option{auth.WithProvider(magiclink.New(opts...))})
}

// mailedLogin returns the token and code of the last login email.
func (e *env) mailedLogin() (token, code string) {
	e.t.Helper()
	e.flush()
	for _, ev := range e.events.Events() {
		if ev.Name == auth.EventLoginEmail {
			token, _ = ev.Data["token"].(string)
			code, _ = ev.Data["code"].(string)
		}
	}
	if token == "" || code == "" {
		e.t.Fatal("no login email")
	}
	return token, code
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestEmailLoginWithCode(t *testing.T) {
	e := magicEnv(t, magiclink.WithRegistration())
	r := e.do("POST", "/auth/customer/magiclink/request", `{"email":"Ada@Example.com","metadata":{"src":"web"}}`, "")
	r.want(t, 200, "", "")
	if got := keys(r.body); len(got) != 3 || got[0] != "confirmation_code" || got[1] != "expires_at" || got[2] != "flow" {
		t.Fatalf("answer %s", r.raw)
	}
	cookie := "Cookie: clientele_oauth=" + bindingCookie(t, r).Value
	_, code := e.mailedLogin()
	flow := r.str("flow")
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	// A wrong code is refused, and the binding cookie stays for the next
	// try.
	w := e.do("POST", "/auth/customer/magiclink/callback", `{"flow":"`+flow+`","code":"`+wrong+`"}`, "", cookie)
	w.want(t, 401, "unauthorized", "Invalid or expired login code")
	if len(w.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("a refused code cleared the binding: %q", w.header.Values("Set-Cookie"))
	}
	// The code without the browser's binding is refused.
	e.do("POST", "/auth/customer/magiclink/callback", `{"flow":"`+flow+`","code":"`+code+`"}`, "").
		want(t, 401, "unauthorized", "This code works only in the browser that requested it")
	ok := e.do("POST", "/auth/customer/magiclink/callback", `{"flow":"`+flow+`","code":"`+code+`"}`, "", cookie)
	ok.want(t, 200, "", "")
	c, err := e.authS.Verify(t.Context(), ok.str("token"))
	if err != nil || c.ActorType != "customer" || c.ActorID != "" || c.AuthProvider != magiclink.ID {
		t.Fatalf("token %+v %v", c, err)
	}
	// A registration token: the login proved the email, so it creates the
	// customer account for it.
	e.do("POST", "/store/customers", `{"email":"bob@example.com"}`, ok.str("token")).want(t, 400, "invalid_data", "")
	e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, ok.str("token")).want(t, 200, "", "")
	// Spent.
	e.do("POST", "/auth/customer/magiclink/callback", `{"flow":"`+flow+`","code":"`+code+`"}`, "", cookie).
		want(t, 401, "unauthorized", "Invalid or expired login code")
}

func TestEmailLoginWithLink(t *testing.T) {
	e := magicEnv(t, magiclink.WithRegistration())
	r := e.do("POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "")
	r.want(t, 200, "", "")
	token, _ := e.mailedLogin()
	link := "/auth/customer/magiclink/callback?" + url.Values{"token": {token}}.Encode()
	// Opened where the login was not asked for (a scanner's GET, another
	// device): a confirmation is needed, and nothing is spent.
	e.do("GET", link, "", "").want(t, 401, "unauthorized", "Enter the confirmation code shown where the login was requested")
	e.do("GET", link, "", "").want(t, 401, "unauthorized", "Enter the confirmation code shown where the login was requested")
	ok := e.do("POST", "/auth/customer/magiclink/callback", `{"token":"`+token+`","confirmation_code":"`+r.str("confirmation_code")+`"}`, "")
	ok.want(t, 200, "", "")

	// In the browser that asked, the link alone logs in.
	r = e.do("POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "")
	cookie := "Cookie: clientele_oauth=" + bindingCookie(t, r).Value
	token, _ = e.mailedLogin()
	again := e.do("GET", "/auth/customer/magiclink/callback?"+url.Values{"token": {token}}.Encode(), "", "", cookie)
	again.want(t, 200, "", "")
	c1, _ := e.authS.Verify(t.Context(), ok.str("token"))
	c2, _ := e.authS.Verify(t.Context(), again.str("token"))
	if c1 == nil || c2 == nil || c1.AuthIdentityID != c2.AuthIdentityID {
		t.Fatalf("two logins of one email reached %v and %v", c1, c2)
	}
}

func TestEmailLoginClientHeldBinding(t *testing.T) {
	e := magicEnv(t, magiclink.WithRegistration())
	binding := "0123456789abcdefghijklmnopqrstuvWXYZ"
	r := e.do("POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com","state_binding":"`+binding+`"}`, "")
	r.want(t, 200, "", "")
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatal("a client-held binding set a cookie")
	}
	_, code := e.mailedLogin()
	e.do("POST", "/auth/customer/magiclink/callback", `{"flow":"`+r.str("flow")+`","code":"`+code+`","state_binding":"`+binding+`"}`, "").want(t, 200, "", "")
}

func TestEmailLoginSameAnswerForUnknownEmail(t *testing.T) {
	e := magicEnv(t) // no registration
	known := magicEnv(t, magiclink.WithRegistration())
	r := known.do("POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "")
	_, code := known.mailedLogin()
	known.do("POST", "/auth/customer/magiclink/callback", `{"flow":"`+r.str("flow")+`","code":"`+code+`"}`, "",
		"Cookie: clientele_oauth="+bindingCookie(t, r).Value).want(t, 200, "", "")

	a := e.do("POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "")
	e.flush()
	if n := len(e.events.Events()); n != 0 {
		t.Fatalf("%d events for an unknown email", n)
	}
	b := known.do("POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "")
	if a.status != b.status || len(keys(a.body)) != len(keys(b.body)) || len(a.str("flow")) != len(b.str("flow")) ||
		len(a.header.Values("Set-Cookie")) != len(b.header.Values("Set-Cookie")) {
		t.Fatalf("answers differ: %d %s / %d %s", a.status, a.raw, b.status, b.raw)
	}
}

func TestEmailLoginBadRequests(t *testing.T) {
	e := magicEnv(t)
	e.do("POST", "/auth/customer/magiclink/request", `{}`, "").want(t, 400, "invalid_data", "Invalid request: Field 'email' is required")
	e.do("POST", "/auth/customer/magiclink/request", `{"email":7}`, "").want(t, 400, "invalid_data", "Invalid request: Field 'email' is required")
	e.do("POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com","metadata":"x"}`, "").want(t, 400, "invalid_data", "")
	e.do("POST", "/auth/customer/magiclink/request", `{"email":"not an email"}`, "").want(t, 400, "invalid_data", "")
	e.do("POST", "/auth/customer/magiclink/request?state_binding=0123456789abcdefghijklmnopqrstuvWXYZ", `{"email":"ada@example.com"}`, "").want(t, 400, "invalid_data", "")
	if r := e.do("POST", "/auth/customer/emailpass/request", `{"email":"ada@example.com"}`, ""); r.status < 400 || r.status >= 500 {
		t.Fatalf("emailpass request: %d %s", r.status, r.raw)
	}
	e.do("POST", "/auth/customer/magiclink", `{"email":"ada@example.com"}`, "").want(t, 401, "unauthorized", "Request a login email first")
	e.do("POST", "/auth/customer/magiclink/callback", `{}`, "").want(t, 401, "unauthorized", "")
	r := e.do("GET", "/auth/customer/providers", "", "")
	r.want(t, 200, "", "")
	var flow any
	for _, p := range r.body["providers"].([]any) {
		if m := p.(map[string]any); m["id"] == magiclink.ID {
			flow = m["flow"]
		}
	}
	if flow != "email" {
		t.Fatalf("providers %s", r.raw)
	}
}

func TestEmailLoginThrottled(t *testing.T) {
	lim, err := throttle.New(memory.New(), throttle.Config{ResetIP: throttle.Rule{Limit: 2, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	m := newEnvWith(t, []auth.Option{auth.WithThrottle(lim), auth.WithProvider(magiclink.New(magiclink.WithRegistration()))},
		func(c *httpapi.Config) { c.Throttle = lim })
	for i := range 2 {
		m.doFrom(peer, "POST", "/auth/customer/magiclink/request", `{"email":"user`+string(rune('a'+i))+`@example.com"}`, "").want(t, 200, "", "")
	}
	r := m.doFrom(peer, "POST", "/auth/customer/magiclink/request", `{"email":"other@example.com"}`, "")
	r.want(t, 429, "not_allowed", "Too many attempts. Try again later.")
	// Another address is not limited; one email is limited per email
	// (throttle.DefaultReset) whatever the address.
	for i := range throttle.DefaultReset.Limit {
		m.doFrom("198.51.100."+string(rune('1'+i))+":1", "POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "").want(t, 200, "", "")
	}
	m.doFrom("198.51.100.99:1", "POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "").
		want(t, 429, "not_allowed", "Too many attempts. Try again later.")
}

// TestEmailLoginCodeGuessesPerAccount: wrong codes count per email under
// the login rule, from any address and over every login of the email; a
// locked email answers 429 with Retry-After, even for the right code.
func TestEmailLoginCodeGuessesPerAccount(t *testing.T) {
	lim, err := throttle.New(memory.New(), throttle.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := newEnvWith(t, []auth.Option{auth.WithThrottle(lim), auth.WithProvider(magiclink.New(magiclink.WithRegistration()))},
		func(c *httpapi.Config) { c.Throttle = lim })
	ask := func(addr string) (flow, code, cookie string) {
		r := m.doFrom(addr, "POST", "/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, "")
		r.want(t, 200, "", "")
		_, code = m.mailedLogin()
		return r.str("flow"), code, "Cookie: clientele_oauth=" + bindingCookie(t, r).Value
	}
	complete := func(addr, flow, code, cookie string) resp {
		return m.doFrom(addr, "POST", "/auth/customer/magiclink/callback", `{"flow":"`+flow+`","code":"`+code+`"}`, "", cookie)
	}
	wrong := func(code string) string {
		if code == "000000" {
			return "000001"
		}
		return "000000"
	}
	// Six wrong codes over three logins from three addresses: each is
	// checked, and the sixth locks the email.
	for i := range 3 {
		addr := "198.51.100." + string(rune('1'+i)) + ":1"
		flow, code, cookie := ask(addr)
		for range 2 {
			complete(addr, flow, wrong(code), cookie).want(t, 401, "unauthorized", "Invalid or expired login code")
		}
	}
	flow, code, cookie := ask("203.0.113.9:1")
	r := complete("203.0.113.9:1", flow, code, cookie)
	r.want(t, 429, "not_allowed", "Too many attempts. Try again later.")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}
