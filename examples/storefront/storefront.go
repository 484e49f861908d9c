// Package storefront is a small shop front for clientele's HTTP API: one
// page of plain HTML and a little JavaScript, without a build step, that
// shows every way a customer gets in and manages the account.
//
//   - register and log in with a password, an emailed link or one-time
//     code (provider/magiclink), a passkey (provider/passkey) or a social
//     login (any redirect provider, such as the fake identity provider of
//     examples/server's OIDC_FAKE);
//   - email verification, password reset and passwordless login through
//     the mails the server sends, which a development [Mailbox] shows;
//   - two-step verification: enrolment of an authenticator app with a QR
//     code, recovery codes, and logins that complete a challenge with a
//     code, a recovery code or a passkey;
//   - the account page, an address book with default shipping and billing
//     addresses, passkeys, a change of password, logout and logout
//     everywhere.
//
// examples/server serves it at /storefront/ with STOREFRONT=on (and its
// mailbox with DEV_MAILBOX=on):
//
//	STOREFRONT=on DEV_MAILBOX=on MAGIC_LINK=register OIDC_FAKE=true \
//	  WEBAUTHN_RP_ID=localhost WEBAUTHN_ORIGINS=http://localhost:9000 \
//	  go run ./examples/server
//
// then open http://localhost:9000/storefront/.
//
// The page talks to the API on its own origin with a session cookie
// (POST /auth/session after each login): no token is kept in the
// browser's storage. Tokens of steps in between (a pending two-step
// challenge, a registration) live in the page's memory only.
package storefront

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// DefaultPrefix is the path the storefront is served under unless
// Config.Prefix says otherwise.
const DefaultPrefix = "/storefront/"

// Config configures [Handler].
type Config struct {
	// Prefix is the path the storefront is served under: it starts and
	// ends with "/" (default DefaultPrefix). Mount the handler there:
	// mux.Handle(prefix, h).
	Prefix string
	// PublishableKey is sent as x-publishable-api-key with every /store
	// request (for a server with publishable keys).
	PublishableKey string
	// QRGate, when set, wraps the QR route (POST {prefix}qr): a host
	// passes its authentication middleware, such as
	// api.Guard().Authenticate(auth.ActorCustomer) of package httpapi, so
	// that only logged-in customers, who are the ones enrolling, have QR
	// codes drawn (a few milliseconds of CPU each). Unset, anyone may.
	QRGate func(http.Handler) http.Handler
	// Mailbox, when set, is served as the development mailbox page: the
	// mails the server would send, with their links and codes. It shows
	// secrets to anyone who can open the page: for development only.
	Mailbox *Mailbox
}

// csp is the Content-Security-Policy of every page and asset: the page's
// own script and style only, its own API, QR images as blobs.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'self'"

// Handler serves the storefront under cfg.Prefix: the page for every path
// (the page routes by path), its assets, its configuration, the QR codes
// of two-step enrolment, and the mailbox when cfg.Mailbox is set.
func Handler(cfg Config) (http.Handler, error) {
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !plainPrefix(prefix) {
		return nil, fmt.Errorf("storefront: prefix %q: want a plain path that starts and ends with /, such as /storefront/ (letters, digits, '.', '_', '~' and '-' between the slashes)", prefix)
	}
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		return nil, err
	}
	page = bytes.ReplaceAll(page, []byte("{{PREFIX}}"), []byte(html.EscapeString(prefix)))
	assets, err := fs.Sub(static, "static/assets")
	if err != nil {
		return nil, err
	}
	conf, err := json.Marshal(map[string]any{"prefix": prefix, "publishable_key": cfg.PublishableKey, "mailbox": cfg.Mailbox != nil})
	if err != nil {
		return nil, err
	}
	started := time.Now()

	mux := http.NewServeMux()
	files := http.StripPrefix(prefix+"assets/", http.FileServerFS(assets))
	mux.HandleFunc("GET "+prefix+"assets/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no listings
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET "+prefix+"config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(conf)
	})
	var qr http.Handler = http.HandlerFunc(serveQR)
	if cfg.QRGate != nil {
		qr = cfg.QRGate(qr)
	}
	mux.Handle("POST "+prefix+"qr", qr)
	if cfg.Mailbox != nil {
		mux.Handle("GET "+prefix+"mailbox/messages", cfg.Mailbox)
	} else {
		mux.Handle("GET "+prefix+"mailbox/messages", http.NotFoundHandler())
	}
	mux.HandleFunc("GET "+prefix, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "index.html", started, bytes.NewReader(page))
	})
	return headers(mux), nil
}

// plainPrefix reports whether prefix is "/" or slash-separated segments
// of letters, digits, '.', '_', '~' and '-' (no "." or ".." segment),
// ending with "/": a path net/http's patterns take as it is.
func plainPrefix(prefix string) bool {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return false
	}
	if prefix == "/" {
		return true
	}
	for _, seg := range strings.Split(prefix[1:len(prefix)-1], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, r := range seg {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._~-", r)
			if !ok {
				return false
			}
		}
	}
	return true
}

// headers adds the security headers every answer of the storefront
// carries.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
