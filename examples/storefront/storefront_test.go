package storefront_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/examples/storefront"
)

// wantCSP is the Content-Security-Policy every answer carries.
const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'self'"

func newHandler(t *testing.T, cfg storefront.Config) http.Handler {
	t.Helper()
	h, err := storefront.Handler(cfg)
	if err != nil {
		t.Fatalf("Handler(%+v): %v", cfg, err)
	}
	return h
}

func serve(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkSecurityHeaders fails unless rec carries the headers of every
// storefront answer.
func checkSecurityHeaders(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": wantCSP,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
	}
}

func TestHandlerPrefix(t *testing.T) {
	for _, prefix := range []string{
		"storefront/", "/storefront", "storefront", "/shop", "shop/",
		`/sh"op/`, "/sh'op/", "/sh<op/", "/sh>op/", "/sh&op/", "/sh?op/", "/sh#op/", "/sh%20op/", "/sh op/",
		// Not a path net/http's patterns take as it is (they panicked, or
		// became wildcards).
		"//", "/a//b/", "/./", "/../", "/a/../b/", "/a{/", "/{$}/", "/{x}/", "/a}/", "/sh\top/", "/sh\nop/", `/sh\op/`, "/shöp/",
	} {
		h, err := storefront.Handler(storefront.Config{Prefix: prefix})
		if err == nil || h != nil {
			t.Errorf("prefix %q: handler %v, error %v; want a refusal", prefix, h, err)
			continue
		}
		if !strings.Contains(err.Error(), "prefix") {
			t.Errorf("prefix %q: error %q does not mention the prefix", prefix, err)
		}
	}

	// Plain prefixes, the root included.
	for _, prefix := range []string{"/", "/shop/", "/a.b/c_d~e-f/", "/.well-known/x/"} {
		h := newHandler(t, storefront.Config{Prefix: prefix})
		if rec := serve(h, "GET", prefix+"account", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `<base href="`+prefix+`">`) {
			t.Errorf("prefix %q: GET %saccount = %d", prefix, prefix, rec.Code)
		}
	}

	// The default prefix.
	if storefront.DefaultPrefix != "/storefront/" {
		t.Fatalf("DefaultPrefix = %q", storefront.DefaultPrefix)
	}
	h := newHandler(t, storefront.Config{})
	if rec := serve(h, "GET", "/storefront/", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `<base href="/storefront/">`) {
		t.Fatalf("default prefix: GET /storefront/ = %d, body has no <base href=\"/storefront/\">:\n%s", rec.Code, rec.Body)
	}
}

func TestHandlerPage(t *testing.T) {
	h := newHandler(t, storefront.Config{})
	var first string
	for _, path := range []string{
		"/storefront/", "/storefront/account", "/storefront/login", "/storefront/callback/oidc",
		"/storefront/reset?email=a%40example.com&token=x", "/storefront/some/deep/path",
	} {
		rec := serve(h, "GET", path, "")
		if rec.Code != 200 {
			t.Errorf("GET %s: %d, want 200", path, rec.Code)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, cc)
		}
		body := rec.Body.String()
		if !strings.Contains(body, `<base href="/storefront/">`) {
			t.Errorf("GET %s: no <base href=\"/storefront/\"> in the page", path)
		}
		if strings.Contains(body, "{{PREFIX}}") {
			t.Errorf("GET %s: the page still has the {{PREFIX}} placeholder", path)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("GET %s: a different page than GET /storefront/", path)
		}
		checkSecurityHeaders(t, "GET "+path, rec)
	}

	// HEAD answers like GET, without a body.
	if rec := serve(h, "HEAD", "/storefront/account", ""); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD /storefront/account: %d with %d bytes", rec.Code, rec.Body.Len())
	}
	// Outside the prefix, nothing.
	if rec := serve(h, "GET", "/elsewhere/", ""); rec.Code != 404 {
		t.Errorf("GET /elsewhere/: %d, want 404", rec.Code)
	}
}

func TestHandlerCustomPrefix(t *testing.T) {
	h := newHandler(t, storefront.Config{Prefix: "/shop/front-1_x.y/"})
	rec := serve(h, "GET", "/shop/front-1_x.y/account", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<base href="/shop/front-1_x.y/">`) {
		t.Fatalf("GET /shop/front-1_x.y/account: %d, want the page with <base href=\"/shop/front-1_x.y/\">:\n%s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), `<base href="/storefront/">`) {
		t.Error("the custom prefix page still has the default base")
	}
	if rec := serve(h, "GET", "/shop/front-1_x.y/assets/app.js", ""); rec.Code != 200 {
		t.Errorf("asset under the custom prefix: %d", rec.Code)
	}
	rec = serve(h, "GET", "/shop/front-1_x.y/config.json", "")
	var conf map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &conf); err != nil || conf["prefix"] != "/shop/front-1_x.y/" {
		t.Errorf("config.json under the custom prefix: %d %s (%v)", rec.Code, rec.Body, err)
	}
	if rec := serve(h, "GET", "/storefront/", ""); rec.Code != 404 {
		t.Errorf("GET /storefront/ with a custom prefix: %d, want 404", rec.Code)
	}
}

func TestHandlerAssets(t *testing.T) {
	h := newHandler(t, storefront.Config{})
	for _, tc := range []struct{ path, ctPrefix string }{
		{"/storefront/assets/app.js", "text/javascript"},
		{"/storefront/assets/style.css", "text/css"},
	} {
		rec := serve(h, "GET", tc.path, "")
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", tc.path, rec.Code)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.ctPrefix) {
			t.Errorf("GET %s: Content-Type %q, want %s", tc.path, ct, tc.ctPrefix)
		}
		if rec.Body.Len() == 0 {
			t.Errorf("GET %s: empty", tc.path)
		}
		if strings.Contains(rec.Body.String(), "<base href=") {
			t.Errorf("GET %s: answered the page instead of the asset", tc.path)
		}
		checkSecurityHeaders(t, "GET "+tc.path, rec)
	}
	// The page links its own assets.
	page := serve(h, "GET", "/storefront/", "").Body.String()
	for _, ref := range []string{"assets/app.js", "assets/style.css"} {
		if !strings.Contains(page, ref) {
			t.Errorf("the page does not load %s", ref)
		}
	}
	// A missing asset is a 404, not the page.
	rec := serve(h, "GET", "/storefront/assets/missing.js", "")
	if rec.Code != 404 || strings.Contains(rec.Body.String(), "<base href=") {
		t.Errorf("GET a missing asset: %d %q, want 404", rec.Code, rec.Body)
	}
	checkSecurityHeaders(t, "GET a missing asset", rec)
	// No listing of the assets.
	if rec := serve(h, "GET", "/storefront/assets/", ""); rec.Code != 404 || strings.Contains(rec.Body.String(), "app.js") {
		t.Errorf("GET the assets folder: %d %q, want 404", rec.Code, rec.Body)
	}
}

func TestHandlerConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  storefront.Config
		want map[string]any
	}{
		{"default", storefront.Config{}, map[string]any{"prefix": "/storefront/", "publishable_key": "", "mailbox": false}},
		{"key and mailbox", storefront.Config{PublishableKey: "pk_123", Mailbox: storefront.NewMailbox("", 0)},
			map[string]any{"prefix": "/storefront/", "publishable_key": "pk_123", "mailbox": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(newHandler(t, tc.cfg), "GET", "/storefront/config.json", "")
			if rec.Code != 200 {
				t.Fatalf("config.json: %d", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			checkSecurityHeaders(t, "config.json", rec)
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("config.json %q: %v", rec.Body, err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("config.json %v, want exactly %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("config.json %s = %#v, want %#v", k, got[k], v)
				}
			}
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	h := newHandler(t, storefront.Config{Mailbox: storefront.NewMailbox("", 0)})
	for _, tc := range []struct{ method, path string }{
		{"POST", "/storefront/"},
		{"POST", "/storefront/account"},
		{"PUT", "/storefront/"},
		{"DELETE", "/storefront/account"},
		{"POST", "/storefront/config.json"},
		{"POST", "/storefront/assets/app.js"},
		{"POST", "/storefront/mailbox/messages"},
		{"GET", "/storefront/qr"}, // the page, never a QR code
	} {
		rec := serve(h, tc.method, tc.path, "x")
		if tc.method == "GET" {
			if rec.Code != 200 || rec.Header().Get("Content-Type") == "image/png" {
				t.Errorf("%s %s: %d %q, want the page", tc.method, tc.path, rec.Code, rec.Header().Get("Content-Type"))
			}
			continue
		}
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", tc.method, tc.path, rec.Code)
		}
		checkSecurityHeaders(t, tc.method+" "+tc.path, rec)
	}
}

func TestHandlerMailboxRoute(t *testing.T) {
	// Without a mailbox there is no mailbox answer: a 404, not the page.
	rec := serve(newHandler(t, storefront.Config{}), "GET", "/storefront/mailbox/messages", "")
	if ct := rec.Header().Get("Content-Type"); rec.Code != 404 || strings.HasPrefix(ct, "application/json") || strings.Contains(rec.Body.String(), `"mails"`) {
		t.Errorf("mailbox/messages without a mailbox: %d %q %q", rec.Code, ct, rec.Body)
	}

	mb := storefront.NewMailbox("", 0)
	h := newHandler(t, storefront.Config{Mailbox: mb})
	rec = serve(h, "GET", "/storefront/mailbox/messages", "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("mailbox/messages: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	}
	checkSecurityHeaders(t, "mailbox/messages", rec)
	if got := strings.TrimSpace(rec.Body.String()); got != `{"mails":[]}` {
		t.Errorf("empty mailbox: %s, want {\"mails\":[]}", got)
	}
	emit(t, mb, auth.EventPasswordReset, map[string]any{"entity_id": "ada@example.com", "token": "tok"})
	var out struct{ Mails []storefront.Mail }
	rec = serve(h, "GET", "/storefront/mailbox/messages", "")
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Mails) != 1 || out.Mails[0].To != "ada@example.com" {
		t.Errorf("mailbox/messages after a reset: %s (%v)", rec.Body, err)
	}
}

// totpURL returns the otpauth:// URL of a new TOTP key.
func totpURL(t *testing.T) string {
	t.Helper()
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Clientele Shop", AccountName: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return key.URL()
}

func TestQR(t *testing.T) {
	h := newHandler(t, storefront.Config{})
	u := totpURL(t)
	if !strings.HasPrefix(u, "otpauth://totp/") {
		t.Fatalf("totp.Generate URL %q", u)
	}
	for _, body := range []string{u, "  " + u + "\n"} {
		rec := serve(h, "POST", "/storefront/qr", body)
		if rec.Code != 200 {
			t.Fatalf("POST qr %q: %d %s", body, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "image/png" {
			t.Errorf("Content-Type %q, want image/png", ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		checkSecurityHeaders(t, "POST qr", rec)
		img, err := png.Decode(rec.Body)
		if err != nil {
			t.Fatalf("the QR code is not a PNG: %v", err)
		}
		b := img.Bounds()
		if b.Dx() != b.Dy() || b.Dx() < 200 {
			t.Errorf("QR image %dx%d, want a square of at least 200 px", b.Dx(), b.Dy())
		}
	}
}

func TestQRRefusals(t *testing.T) {
	h := newHandler(t, storefront.Config{})
	u := totpURL(t)
	long := u + "&pad=" + strings.Repeat("a", 2048)
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"http URL", "http://example.com/totp/x?secret=JBSWY3DPEHPK3PXP", 400},
		{"https URL", "https://example.com/?secret=JBSWY3DPEHPK3PXP", 400},
		{"hotp", "otpauth://hotp/Shop:ada@example.com?secret=JBSWY3DPEHPK3PXP&counter=0", 400},
		{"upper case scheme", strings.Replace(u, "otpauth://totp/", "OTPAUTH://TOTP/", 1), 400},
		{"no secret", "otpauth://totp/Shop:ada@example.com?issuer=Shop", 400},
		{"no label, no query", "otpauth://totp/", 400},
		{"empty secret", "otpauth://totp/Shop:ada@example.com?secret=&issuer=Shop", 400},
		{"not a URL", "otpauth://totp/%zz?secret=JBSWY3DPEHPK3PXP", 400},
		{"empty body", "", 400},
		{"blank body", " \n\t", 400},
		{"javascript", "javascript:alert(1)", 400},
		{"over 2048 bytes", long, http.StatusRequestEntityTooLarge},
		{"2049 bytes", strings.Repeat("x", 2049), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h, "POST", "/storefront/qr", tc.body)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(ct, "image/") {
				t.Errorf("a refusal answered an image (%q)", ct)
			}
			if _, err := png.Decode(strings.NewReader(rec.Body.String())); err == nil {
				t.Error("a refusal answered a PNG")
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			checkSecurityHeaders(t, "refused qr", rec)
		})
	}
}

func emit(t *testing.T, mb *storefront.Mailbox, name string, data map[string]any) {
	t.Helper()
	if err := mb.Emit(context.Background(), event.Event{Name: name, Data: data, Secret: true}); err != nil {
		t.Fatalf("Emit %s: %v", name, err)
	}
}

// only returns the one mail of mb, failing unless there is exactly one.
func only(t *testing.T, mb *storefront.Mailbox) storefront.Mail {
	t.Helper()
	mails := mb.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1: %+v", len(mails), mails)
	}
	m := mails[0]
	if m.ID == "" || m.SentAt.IsZero() || m.SentAt.Location().String() != "UTC" {
		t.Errorf("mail id %q, sent at %v: want an id and a UTC time", m.ID, m.SentAt)
	}
	return m
}

// parseLink splits a mail link of the storefront into its path and the
// parameters of its fragment, failing unless it parses and has no query
// (the secrets ride in the fragment, which no browser sends to a server).
func parseLink(t *testing.T, link string) (string, url.Values) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	if u.RawQuery != "" {
		t.Fatalf("link %q has a query", link)
	}
	params, err := url.ParseQuery(u.EscapedFragment())
	if err != nil {
		t.Fatalf("link %q: fragment: %v", link, err)
	}
	return u.Path, params
}

func TestMailboxPasswordReset(t *testing.T) {
	mb := storefront.NewMailbox("", 0)
	const email, token = "ada+shop@example.com", "reset/tok+en=&x"
	emit(t, mb, auth.EventPasswordReset, map[string]any{
		"entity_id": email, "actor_type": "customer", "provider": "emailpass", "token": token,
	})
	m := only(t, mb)
	if m.Event != auth.EventPasswordReset || m.To != email || m.Subject != "Reset your password" || m.Code != "" {
		t.Errorf("mail %+v", m)
	}
	if !strings.Contains(m.Text, "reset the password") {
		t.Errorf("text %q", m.Text)
	}
	path, q := parseLink(t, m.Link)
	if path != "/storefront/reset" || len(q) != 2 || q.Get("email") != email || q.Get("token") != token {
		t.Errorf("link %q: path %q, query %v", m.Link, path, q)
	}
	want := "/storefront/reset#" + url.Values{"email": {email}, "token": {token}}.Encode()
	if m.Link != want {
		t.Errorf("link %q, want %q", m.Link, want)
	}
}

func TestMailboxVerification(t *testing.T) {
	mb := storefront.NewMailbox("/shop/", 0)
	emit(t, mb, auth.EventVerificationRequested, map[string]any{
		"entity_id": "ada@example.com", "entity_type": "email", "code_provider": "token", "code": "123 456&",
	})
	m := only(t, mb)
	if m.Event != auth.EventVerificationRequested || m.To != "ada@example.com" || m.Subject != "Confirm your email address" || m.Code != "123 456&" {
		t.Errorf("mail %+v", m)
	}
	path, q := parseLink(t, m.Link)
	if path != "/shop/verify" || len(q) != 1 || q.Get("code") != "123 456&" {
		t.Errorf("link %q: path %q, query %v", m.Link, path, q)
	}
	if !strings.HasPrefix(m.Link, "/shop/verify#code=") {
		t.Errorf("link %q", m.Link)
	}

	// A phone is not mailed.
	mb = storefront.NewMailbox("", 0)
	emit(t, mb, auth.EventVerificationRequested, map[string]any{"entity_id": "+15550100", "entity_type": "phone", "code": "123456"})
	emit(t, mb, auth.EventVerificationRequested, map[string]any{"entity_id": "ada@example.com", "code": "123456"})
	if mails := mb.Mails(); len(mails) != 0 {
		t.Errorf("a phone or untyped verification made mails: %+v", mails)
	}
}

func TestMailboxLoginEmail(t *testing.T) {
	mb := storefront.NewMailbox("", 0)
	emit(t, mb, auth.EventLoginEmail, map[string]any{"entity_id": "ada@example.com", "token": "t/o+k", "code": "654321"})
	m := only(t, mb)
	if m.Event != auth.EventLoginEmail || m.To != "ada@example.com" || m.Subject != "Your login link" || m.Code != "654321" {
		t.Errorf("mail %+v", m)
	}
	path, q := parseLink(t, m.Link)
	if path != "/storefront/magic" || len(q) != 1 || q.Get("token") != "t/o+k" {
		t.Errorf("link %q: path %q, query %v", m.Link, path, q)
	}
	if strings.Contains(m.Text, "makes one") {
		t.Errorf("a login mail speaks of registering: %q", m.Text)
	}
	login := m.Text

	// The provider's link wins; registering changes the text.
	mb = storefront.NewMailbox("", 0)
	const link = "https://shop.example/login?token=abc"
	emit(t, mb, auth.EventLoginEmail, map[string]any{"entity_id": "ada@example.com", "token": "abc", "code": "111222", "link": link, "registering": true})
	m = only(t, mb)
	if m.Link != link || m.Code != "111222" || m.Subject != "Your login link" {
		t.Errorf("mail %+v, want link %q", m, link)
	}
	if m.Text == login || !strings.Contains(m.Text, "if you have no account here yet, it makes one") {
		t.Errorf("registering text %q", m.Text)
	}

	// registering false, or not a bool, is the login text.
	for _, reg := range []any{false, "true", 1} {
		mb = storefront.NewMailbox("", 0)
		emit(t, mb, auth.EventLoginEmail, map[string]any{"entity_id": "ada@example.com", "token": "abc", "code": "1", "registering": reg})
		if m := only(t, mb); m.Text != login {
			t.Errorf("registering %#v: text %q, want %q", reg, m.Text, login)
		}
	}
}

func TestMailboxIgnored(t *testing.T) {
	mb := storefront.NewMailbox("", 0)
	for _, e := range []event.Event{
		{Name: "customer.created", Data: map[string]any{"entity_id": "ada@example.com", "token": "t", "code": "1"}},
		{Name: "auth.password_reset_done", Data: map[string]any{"entity_id": "ada@example.com", "token": "t"}},
		{Name: "", Data: map[string]any{"entity_id": "ada@example.com", "token": "t"}},
		{Name: auth.EventPasswordReset, Data: nil},
		{Name: auth.EventPasswordReset, Data: map[string]any{"token": "t"}},
		{Name: auth.EventPasswordReset, Data: map[string]any{"entity_id": "", "token": "t"}},
		{Name: auth.EventPasswordReset, Data: map[string]any{"entity_id": 42, "token": "t"}},
		{Name: auth.EventPasswordReset, Data: map[string]any{"entity_id": "ada@example.com"}},
		{Name: auth.EventPasswordReset, Data: map[string]any{"entity_id": "ada@example.com", "token": ""}},
		{Name: auth.EventPasswordReset, Data: map[string]any{"entity_id": "ada@example.com", "token": 7}},
		{Name: auth.EventVerificationRequested, Data: map[string]any{"entity_type": "email", "code": "1"}},
		{Name: auth.EventVerificationRequested, Data: map[string]any{"entity_id": "ada@example.com", "entity_type": "email"}},
		{Name: auth.EventVerificationRequested, Data: map[string]any{"entity_id": "ada@example.com", "entity_type": "email", "code": ""}},
		{Name: auth.EventLoginEmail, Data: map[string]any{"code": "1", "token": "t"}},
		{Name: auth.EventLoginEmail, Data: map[string]any{"entity_id": "ada@example.com", "code": "1"}},
		{Name: auth.EventLoginEmail, Data: map[string]any{"entity_id": "ada@example.com", "code": "1", "token": ""}},
	} {
		if err := mb.Emit(context.Background(), e); err != nil {
			t.Errorf("Emit %+v: %v", e, err)
		}
		if mails := mb.Mails(); len(mails) != 0 {
			t.Fatalf("%+v made a mail: %+v", e, mails)
		}
	}
}

func TestMailboxOrderAndSize(t *testing.T) {
	mb := storefront.NewMailbox("", 3)
	for i := range 5 {
		emit(t, mb, auth.EventPasswordReset, map[string]any{"entity_id": fmt.Sprintf("user%d@example.com", i), "token": "t"})
	}
	mails := mb.Mails()
	var to []string
	for _, m := range mails {
		to = append(to, m.To)
	}
	if want := []string{"user4@example.com", "user3@example.com", "user2@example.com"}; !slices.Equal(to, want) {
		t.Fatalf("mails to %v, want the newest three, newest first: %v", to, want)
	}
	ids := map[string]bool{}
	for _, m := range mails {
		ids[m.ID] = true
	}
	if len(ids) != 3 {
		t.Errorf("mail ids are not distinct: %+v", mails)
	}
	// Mails is a copy: changing it changes nothing kept.
	mails[0].To = "changed"
	if got := mb.Mails()[0].To; got != "user4@example.com" {
		t.Errorf("Mails shares its slice: %q", got)
	}

	// The default size.
	mb = storefront.NewMailbox("", 0)
	for i := range storefront.DefaultMailboxSize + 5 {
		emit(t, mb, auth.EventPasswordReset, map[string]any{"entity_id": fmt.Sprintf("u%d@example.com", i), "token": "t"})
	}
	mails = mb.Mails()
	if len(mails) != storefront.DefaultMailboxSize || mails[0].To != fmt.Sprintf("u%d@example.com", storefront.DefaultMailboxSize+4) ||
		mails[len(mails)-1].To != "u5@example.com" {
		t.Errorf("default size: %d mails, newest %q, oldest %q", len(mails), mails[0].To, mails[len(mails)-1].To)
	}
}

func TestMailboxServeHTTP(t *testing.T) {
	mb := storefront.NewMailbox("", 0)
	get := func(target string) (string, []storefront.Mail) {
		t.Helper()
		rec := serve(mb, "GET", target, "")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("GET %s: %d %q %q", target, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
		}
		var out map[string][]storefront.Mail
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("GET %s: %q: %v", target, rec.Body, err)
		}
		if _, ok := out["mails"]; !ok || len(out) != 1 {
			t.Fatalf("GET %s: %q, want {\"mails\": [...]}", target, rec.Body)
		}
		return strings.TrimSpace(rec.Body.String()), out["mails"]
	}
	if raw, _ := get("/"); raw != `{"mails":[]}` {
		t.Errorf("empty: %s, want {\"mails\":[]}", raw)
	}
	emit(t, mb, auth.EventPasswordReset, map[string]any{"entity_id": "ada@example.com", "token": "t1"})
	emit(t, mb, auth.EventLoginEmail, map[string]any{"entity_id": "grace@example.com", "token": "t2", "code": "222"})
	emit(t, mb, auth.EventVerificationRequested, map[string]any{"entity_id": "ada@example.com", "entity_type": "email", "code": "333"})

	_, all := get("/")
	if len(all) != 3 || all[0].Subject != "Confirm your email address" || all[1].To != "grace@example.com" || all[2].Subject != "Reset your password" {
		t.Fatalf("all mails, newest first: %+v", all)
	}
	if !slices.Equal(all, mb.Mails()) {
		t.Errorf("the JSON mails differ from Mails(): %+v", all)
	}
	_, ada := get("/?to=" + url.QueryEscape("ada@example.com"))
	if len(ada) != 2 || ada[0].Code != "333" || ada[1].Link == "" || ada[0].To != "ada@example.com" || ada[1].To != "ada@example.com" {
		t.Errorf("?to=ada: %+v", ada)
	}
	if raw, none := get("/?to=nobody@example.com"); len(none) != 0 || raw != `{"mails":[]}` {
		t.Errorf("?to=nobody: %s", raw)
	}
	// The JSON names of a mail.
	rec := serve(mb, "GET", "/?to=grace@example.com", "")
	var rawMails struct{ Mails []map[string]any }
	if err := json.Unmarshal(rec.Body.Bytes(), &rawMails); err != nil || len(rawMails.Mails) != 1 {
		t.Fatalf("?to=grace: %s (%v)", rec.Body, err)
	}
	for _, k := range []string{"id", "event", "to", "subject", "text", "link", "code", "sent_at"} {
		if _, ok := rawMails.Mails[0][k]; !ok {
			t.Errorf("a mail has no %q: %v", k, rawMails.Mails[0])
		}
	}
	if rawMails.Mails[0]["event"] != auth.EventLoginEmail || rawMails.Mails[0]["code"] != "222" {
		t.Errorf("grace's mail: %v", rawMails.Mails[0])
	}
}

func TestMailboxConcurrent(t *testing.T) {
	const writers, each = 8, 25
	mb := storefront.NewMailbox("", writers*each)
	h := newHandler(t, storefront.Config{Mailbox: mb})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := event.Event{Name: auth.EventPasswordReset, Data: map[string]any{"entity_id": fmt.Sprintf("w%d-%d@example.com", w, i), "token": "t"}}
				if err := mb.Emit(context.Background(), e); err != nil {
					t.Errorf("Emit: %v", err)
				}
			}
		})
		wg.Go(func() {
			for i := range each {
				_ = mb.Mails()
				if i%5 == 0 {
					_ = serve(h, "GET", "/storefront/mailbox/messages", "")
				}
			}
		})
	}
	wg.Wait()
	mails := mb.Mails()
	if len(mails) != writers*each {
		t.Fatalf("%d mails, want %d", len(mails), writers*each)
	}
	seen := map[string]bool{}
	for _, m := range mails {
		seen[m.To] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct recipients, want %d", len(seen), writers*each)
	}
	// Each writer's mails keep their order, newest first.
	for w := range writers {
		last := each
		for _, m := range mails {
			var gw, gi int
			if _, err := fmt.Sscanf(m.To, "w%d-%d@example.com", &gw, &gi); err != nil || gw != w {
				continue
			}
			if gi >= last {
				t.Errorf("writer %d: mail %d after %d, want newest first", w, gi, last)
			}
			last = gi
		}
	}
}

// BenchmarkQR measures one QR code of an otpauth URL, drawn and encoded as
// PNG, as POST {prefix}qr answers it.
func BenchmarkQR(b *testing.B) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Clientele Shop", AccountName: "ada@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	h, err := storefront.Handler(storefront.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/storefront/qr", strings.NewReader(key.URL())))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// TestQRGate: the gate wraps the QR route alone.
func TestQRGate(t *testing.T) {
	var gated int
	gate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gated++
			if r.Header.Get("Authorization") != "Bearer ok" {
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := newHandler(t, storefront.Config{QRGate: gate})
	url := totpURL(t)
	if rec := serve(h, "POST", "/storefront/qr", url); rec.Code != http.StatusUnauthorized || rec.Header().Get("Content-Type") == "image/png" {
		t.Fatalf("QR without the gate's approval: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	req := httptest.NewRequest("POST", "/storefront/qr", strings.NewReader(url))
	req.Header.Set("Authorization", "Bearer ok")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("QR with the gate's approval: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if serve(h, "GET", "/storefront/account", "").Code != 200 || gated != 2 {
		t.Fatalf("the gate ran %d times, want 2 (the QR requests only)", gated)
	}
}
