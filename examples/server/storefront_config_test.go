package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/examples/storefront"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/magiclink"
	"github.com/pquerna/otp/totp"
)

func TestStorefrontConfig(t *testing.T) {
	for _, tc := range []struct {
		storefront, mailbox string
		on, withMailbox     bool
	}{
		{"", "", false, false},
		{"off", "", false, false},
		{"false", "off", false, false},
		{"OFF", "False", false, false},
		{"on", "", true, false},
		{"true", "off", true, false},
		{"ON", "false", true, false},
		{"True", "", true, false},
		{"on", "on", true, true},
		{"true", "true", true, true},
		{"On", "TRUE", true, true},
	} {
		env := map[string]string{"STOREFRONT": tc.storefront, "DEV_MAILBOX": tc.mailbox}
		var logs bytes.Buffer
		on, mailbox, err := storefrontConfig(func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Errorf("STOREFRONT=%q DEV_MAILBOX=%q: %v", tc.storefront, tc.mailbox, err)
			continue
		}
		if on != tc.on || (mailbox != nil) != tc.withMailbox {
			t.Errorf("STOREFRONT=%q DEV_MAILBOX=%q: on %v, mailbox %v; want on %v, mailbox %v",
				tc.storefront, tc.mailbox, on, mailbox != nil, tc.on, tc.withMailbox)
		}
		// The mailbox is announced as a development tool.
		if warned := strings.Contains(logs.String(), "DEV_MAILBOX"); warned != tc.withMailbox {
			t.Errorf("STOREFRONT=%q DEV_MAILBOX=%q: DEV_MAILBOX warning logged %v, want %v (%q)",
				tc.storefront, tc.mailbox, warned, tc.withMailbox, logs.String())
		}
	}

	// The mailbox links to the storefront at /storefront/.
	env := map[string]string{"STOREFRONT": "on", "DEV_MAILBOX": "on"}
	_, mailbox, err := storefrontConfig(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if err != nil || mailbox == nil {
		t.Fatalf("STOREFRONT=on DEV_MAILBOX=on: %v %v", mailbox, err)
	}
	_ = mailbox.Emit(context.Background(), event.Event{Name: auth.EventPasswordReset, Data: map[string]any{"entity_id": "ada@example.com", "token": "t"}})
	if mails := mailbox.Mails(); len(mails) != 1 || !strings.HasPrefix(mails[0].Link, "/storefront/reset#") {
		t.Errorf("the mailbox's mails: %+v, want one linking to /storefront/reset", mails)
	}
}

func TestStorefrontConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string // in the error
	}{
		{map[string]string{"STOREFRONT": "yes"}, `STOREFRONT "yes"`},
		{map[string]string{"STOREFRONT": "1"}, `STOREFRONT "1"`},
		{map[string]string{"STOREFRONT": " on"}, "STOREFRONT"},
		{map[string]string{"STOREFRONT": "on", "DEV_MAILBOX": "maybe"}, `DEV_MAILBOX "maybe"`},
		{map[string]string{"STOREFRONT": "on", "DEV_MAILBOX": "0"}, `DEV_MAILBOX "0"`},
		{map[string]string{"STOREFRONT": "off", "DEV_MAILBOX": "yes"}, "DEV_MAILBOX"},
		{map[string]string{"DEV_MAILBOX": "on"}, "DEV_MAILBOX=on needs STOREFRONT=on"},
		{map[string]string{"STOREFRONT": "off", "DEV_MAILBOX": "true"}, "DEV_MAILBOX=on needs STOREFRONT=on"},
	} {
		on, mailbox, err := storefrontConfig(func(k string) string { return tc.env[k] }, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.env, err, tc.want)
		}
		if on || mailbox != nil {
			t.Errorf("%v: on %v, mailbox %v with an error", tc.env, on, mailbox != nil)
		}
		// build stops at the same error.
		env := map[string]string{"JWT_SECRET": "server-test-secret-0123456789abcdef", "THROTTLE": "off"}
		for k, v := range tc.env {
			env[k] = v
		}
		h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
		if cleanup != nil {
			cleanup()
		}
		if err == nil || h != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("build with %v: handler %v, error %v; want an error containing %q", tc.env, h != nil, err, tc.want)
		}
	}
}

func get(h http.Handler, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec
}

// signUpToken registers email with a password, makes its customer and
// answers a customer token, through the API of h.
func signUpToken(t *testing.T, h http.Handler, email string) string {
	t.Helper()
	call := func(path, token, body string) map[string]any {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Publishable-Api-Key", "pk_first")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		if rec.Code/100 != 2 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		return out
	}
	reg := call("/auth/customer/emailpass/register", "", `{"email":"`+email+`","password":"supersecret"}`)["token"].(string)
	call("/store/customers", reg, `{"email":"`+email+`"}`)
	return call("/auth/token/refresh", reg, "")["token"].(string)
}

func TestStorefrontMounted(t *testing.T) {
	h := buildFor(t, map[string]string{"STOREFRONT": "on", "THROTTLE": "off", "PUBLISHABLE_KEYS": "pk_first, pk_second"})
	for _, path := range []string{"/storefront/", "/storefront/account", "/storefront/callback/oidc"} {
		rec := get(h, path)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(rec.Body.String(), `<base href="/storefront/">`) {
			t.Errorf("GET %s: %d %q, want the storefront page", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		if rec.Header().Get("X-Frame-Options") != "DENY" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: no security headers: %v", path, rec.Header())
		}
	}
	rec := get(h, "/")
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/storefront/" {
		t.Errorf("GET /: %d Location %q, want 302 to /storefront/", rec.Code, rec.Header().Get("Location"))
	}
	rec = get(h, "/storefront")
	if loc, _ := url.Parse(rec.Header().Get("Location")); rec.Code/100 != 3 || loc == nil || loc.Path != "/storefront/" {
		t.Errorf("GET /storefront: %d Location %q, want a redirect to /storefront/", rec.Code, rec.Header().Get("Location"))
	}
	// The storefront is served beside the API, which still answers.
	if rec := get(h, "/health"); rec.Code != 200 || rec.Body.String() != "OK" {
		t.Errorf("GET /health: %d %q", rec.Code, rec.Body)
	}
	// The page's configuration: the first publishable key, no mailbox.
	rec = get(h, "/storefront/config.json")
	var conf map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &conf); err != nil || conf["prefix"] != "/storefront/" || conf["publishable_key"] != "pk_first" || conf["mailbox"] != false {
		t.Errorf("config.json: %d %s (%v)", rec.Code, rec.Body, err)
	}
	if rec := get(h, "/storefront/mailbox/messages"); strings.Contains(rec.Body.String(), `"mails"`) {
		t.Errorf("mailbox/messages without DEV_MAILBOX: %d %s", rec.Code, rec.Body)
	}

	// QR codes are drawn for logged-in customers only.
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Shop", AccountName: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	qr := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/storefront/qr", strings.NewReader(key.URL()))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := qr(""); rec.Code != http.StatusUnauthorized || rec.Header().Get("Content-Type") == "image/png" {
		t.Errorf("QR without a login: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	token := signUpToken(t, h, "qr@example.com")
	if rec := qr(token); rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Errorf("QR of a logged-in customer: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}

	// Without STOREFRONT: no page, no redirect.
	h = buildFor(t, map[string]string{"THROTTLE": "off"})
	for _, path := range []string{"/storefront/", "/storefront/config.json", "/storefront/assets/app.js"} {
		if rec := get(h, path); rec.Code == 200 || strings.Contains(rec.Body.String(), "<base href=") {
			t.Errorf("GET %s without STOREFRONT: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if rec := get(h, "/"); rec.Code == http.StatusFound || rec.Header().Get("Location") != "" {
		t.Errorf("GET / without STOREFRONT: %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestStorefrontMailboxReset(t *testing.T) {
	h := buildFor(t, map[string]string{"STOREFRONT": "on", "DEV_MAILBOX": "on", "THROTTLE": "off", "SCRYPT_LOG_N": "4"})
	const email = "ada.mailbox@example.com"
	if rec := post(h, "192.0.2.20:5000", "/auth/customer/emailpass/register", `{"email":"`+email+`","password":"supersecret"}`); rec.Code != 200 {
		t.Fatalf("register: %d %s", rec.Code, rec.Body)
	}
	type mails struct{ Mails []storefront.Mail }
	read := func(to string) []storefront.Mail {
		t.Helper()
		rec := get(h, "/storefront/mailbox/messages?to="+url.QueryEscape(to))
		var out mails
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("mailbox/messages: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Mails == nil {
			t.Fatalf("mailbox/messages: %s (%v)", rec.Body, err)
		}
		return out.Mails
	}
	if got := read(email); len(got) != 0 {
		t.Fatalf("mails before any reset: %+v", got)
	}
	if rec := post(h, "192.0.2.20:5000", "/auth/customer/emailpass/reset-password", `{"identifier":"`+email+`"}`); rec.Code != 201 {
		t.Fatalf("reset-password: %d %s", rec.Code, rec.Body)
	}
	// The event is delivered after the answer: wait for the mail.
	var got []storefront.Mail
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = read(email)
	}
	if len(got) != 1 {
		t.Fatalf("mails to %s after a reset: %+v, want one", email, got)
	}
	m := got[0]
	if m.Event != auth.EventPasswordReset || m.To != email || m.Subject != "Reset your password" {
		t.Errorf("reset mail %+v", m)
	}
	u, err := url.Parse(m.Link)
	var params url.Values
	if err == nil {
		params, err = url.ParseQuery(u.EscapedFragment())
	}
	if err != nil || u.Path != "/storefront/reset" || u.RawQuery != "" || params.Get("email") != email || params.Get("token") == "" {
		t.Errorf("reset link %q (%v)", m.Link, err)
	}
	// The token resets the password.
	rec := post(h, "192.0.2.20:5000", "/auth/customer/emailpass/update", `{"password":"newsecret123"}`, "Authorization: Bearer "+params.Get("token"))
	if rec.Code != 200 {
		t.Errorf("update with the mailed token: %d %s", rec.Code, rec.Body)
	}

	// An unknown email gets no mail.
	if rec := post(h, "192.0.2.20:5000", "/auth/customer/emailpass/reset-password", `{"identifier":"nobody@example.com"}`); rec.Code != 201 {
		t.Fatalf("reset-password of an unknown email: %d %s", rec.Code, rec.Body)
	}
	if got := read("nobody@example.com"); len(got) != 0 {
		t.Errorf("mails to an unknown email: %+v", got)
	}
}

func TestVerifiedEmailLinking(t *testing.T) {
	withMagic := []string{emailpass.ID, magiclink.ID}
	withBoth := []string{emailpass.ID, "oidc", magiclink.ID}
	for _, tc := range []struct {
		name       string
		value      string
		configured []string
		options    int
		err        string // in the error; empty: no error
	}{
		{"none", "none", withMagic, 0, ""},
		{"NONE", " NONE ", withMagic, 0, ""},
		{"default with magiclink", "", withMagic, 1, ""},
		{"blank with magiclink", "  ", withMagic, 1, ""},
		{"default without magiclink", "", []string{emailpass.ID, "oidc"}, 0, ""},
		{"default, emailpass only", "", []string{emailpass.ID}, 0, ""},
		{"magiclink", "magiclink", withMagic, 1, ""},
		{"magiclink and oidc", "magiclink,oidc", withBoth, 1, ""},
		{"spaced list", " magiclink , oidc ", withBoth, 1, ""},
		{"unconfigured", "github", withBoth, 0, `"github" is not a configured provider`},
		{"magiclink unconfigured", "magiclink", []string{emailpass.ID, "oidc"}, 0, `"magiclink" is not a configured provider`},
		{"one of two unconfigured", "magiclink,google", withBoth, 0, `"google"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := verifiedEmailLinking(func(k string) string {
				if k == "LINK_VERIFIED_EMAIL" {
					return tc.value
				}
				return ""
			}, tc.configured)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "LINK_VERIFIED_EMAIL") {
					t.Fatalf("LINK_VERIFIED_EMAIL=%q: error %v, want one naming LINK_VERIFIED_EMAIL and containing %s", tc.value, err, tc.err)
				}
				if opts != nil {
					t.Errorf("options with an error: %d", len(opts))
				}
				return
			}
			if err != nil {
				t.Fatalf("LINK_VERIFIED_EMAIL=%q: %v", tc.value, err)
			}
			if len(opts) != tc.options {
				t.Errorf("LINK_VERIFIED_EMAIL=%q with %v: %d options, want %d", tc.value, tc.configured, len(opts), tc.options)
			}
		})
	}

	// build stops at an unconfigured provider, and starts with a
	// configured one.
	env := map[string]string{"JWT_SECRET": "server-test-secret-0123456789abcdef", "THROTTLE": "off", "LINK_VERIFIED_EMAIL": "magiclink"}
	h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if cleanup != nil {
		cleanup()
	}
	if err == nil || h != nil || !strings.Contains(err.Error(), `LINK_VERIFIED_EMAIL: "magiclink"`) {
		t.Errorf("build with LINK_VERIFIED_EMAIL=magiclink and no MAGIC_LINK: %v", err)
	}
	env["MAGIC_LINK"] = "on"
	h, cleanup, err = build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if cleanup != nil {
		cleanup()
	}
	if err != nil || h == nil {
		t.Errorf("build with LINK_VERIFIED_EMAIL=magiclink and MAGIC_LINK=on: %v", err)
	}
}
