// Command oidclogin is an OpenID Connect login on localhost: a tiny web
// app (an in-memory store and an auth.Service with the oidc provider)
// whose "/login" sends the browser to an identity provider and whose
// "/callback" finishes the login and shows the claims of the clientele
// token it issues.
//
// With no configuration the identity provider is the fake one of package
// oidctest, started on localhost, which approves at once: open the printed
// URL and watch the redirects go by.
//
//	go run ./examples/oidclogin
//	go run ./examples/oidclogin -selftest   # the whole flow with an HTTP client; exits 0 when it works
//
// OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET switch to a real
// provider; register http://<addr>/callback (or OIDC_CALLBACK_URL) as its
// redirect URI.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store/memory"
)

// bindingCookie holds the value that binds a login to the browser.
const bindingCookie = "oidclogin_binding"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	selftest := flag.Bool("selftest", false, "run the whole login with an HTTP client against the fake provider, then exit")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *selftest {
		if err := runSelftest(ctx); err != nil {
			log.Fatalf("selftest: %v", err)
		}
		fmt.Println("selftest: ok")
		return
	}
	if err := serve(ctx, *addr); err != nil {
		log.Fatal(err)
	}
}

// app is the demo web application.
type app struct {
	svc *auth.Service
}

// setup makes the app for a server listening on ln, with the real
// provider the environment names or else a fake one (whose Close is
// returned).
func setup(ln net.Listener) (*app, func(), error) {
	callbackURL := os.Getenv("OIDC_CALLBACK_URL")
	if callbackURL == "" {
		callbackURL = "http://" + ln.Addr().String() + "/callback"
	}
	cfg := oidc.Config{
		Issuer: os.Getenv("OIDC_ISSUER"), ClientID: os.Getenv("OIDC_CLIENT_ID"), ClientSecret: os.Getenv("OIDC_CLIENT_SECRET"),
		CallbackURL: callbackURL,
	}
	var opts []oidc.Option
	closeIdP := func() {}
	if cfg.Issuer == "" {
		idp, err := oidctest.Start()
		if err != nil {
			return nil, nil, err
		}
		closeIdP = idp.Close
		cfg.Issuer, cfg.ClientID, cfg.ClientSecret = idp.Issuer(), idp.ClientID(), idp.ClientSecret()
		opts = append(opts, oidc.WithHTTPClient(idp.Client()))
		log.Printf("identity provider: the fake one of oidctest at %s", idp.URL)
	} else {
		log.Printf("identity provider: %s", cfg.Issuer)
	}
	p, err := oidc.New(cfg, opts...)
	if err != nil {
		closeIdP()
		return nil, nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: secret})
	if err != nil {
		closeIdP()
		return nil, nil, err
	}
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(p))
	if err != nil {
		closeIdP()
		return nil, nil, err
	}
	return &app{svc: svc}, closeIdP, nil
}

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	return mux
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>clientele OIDC login</title></head>
<body style="font-family: sans-serif; max-width: 46em; margin: 2em auto">
<h1>{{.Title}}</h1>
{{if .Error}}<p style="color: #a00">{{.Error}}</p>{{end}}
{{if .Claims}}<p>The clientele token's claims:</p><pre>{{.Claims}}</pre>{{end}}
<p><a href="/login">Log in with OpenID Connect</a></p>
</body></html>
`))

type view struct {
	Title, Error, Claims string
}

func render(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = page.Execute(w, v)
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, view{Title: "clientele: OpenID Connect login demo"})
}

// login binds a new login to this browser with a random cookie, and sends
// the browser to the identity provider.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	binding := hex.EncodeToString(b)
	res, err := a.svc.Authenticate(r.Context(), oidc.ID, provider.Input{ActorType: "customer", Binding: binding})
	if err != nil {
		render(w, http.StatusBadGateway, view{Title: "Could not start the login", Error: err.Error()})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: bindingCookie, Value: binding, Path: "/", MaxAge: int((10 * time.Minute).Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, // Lax: sent on the provider's redirect back
	})
	http.Redirect(w, r, res.Location, http.StatusFound)
}

// callback finishes the login with the browser's binding and shows the
// token's claims.
func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	var binding string
	if c, err := r.Cookie(bindingCookie); err == nil {
		binding = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: bindingCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	res, err := a.svc.ValidateCallback(r.Context(), oidc.ID, provider.Input{ActorType: "customer", Binding: binding, Query: r.URL.Query()})
	if err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, auth.ErrInvalid) {
			status = http.StatusBadRequest
		}
		render(w, status, view{Title: "Login failed", Error: err.Error()})
		return
	}
	// LoginToken applies MFA: an identity with MFA on gets the actorless
	// token of a pending challenge (a real app would ask for the code).
	l, err := a.svc.LoginToken(r.Context(), res.AuthIdentity, "customer", oidc.ID)
	if err != nil {
		render(w, http.StatusInternalServerError, view{Title: "Could not issue a token", Error: err.Error()})
		return
	}
	claims, err := a.svc.Verify(r.Context(), l.Token)
	if err != nil {
		render(w, http.StatusInternalServerError, view{Title: "Could not read the token", Error: err.Error()})
		return
	}
	out, _ := json.MarshalIndent(claims, "", "  ")
	render(w, http.StatusOK, view{Title: "Logged in", Claims: string(out)})
}

// listen starts the app on addr and returns its base URL and a stop
// function.
func listen(addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	a, closeIdP, err := setup(ln)
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		closeIdP()
	}
	return "http://" + ln.Addr().String(), stop, nil
}

func serve(ctx context.Context, addr string) error {
	base, stop, err := listen(addr)
	if err != nil {
		return err
	}
	defer stop()
	log.Printf("open %s/ in a browser (Ctrl-C stops)", base)
	<-ctx.Done()
	return nil
}

// runSelftest runs the redirect flow as a browser would, with a cookie
// jar, then checks that the callback cannot be replayed and that another
// browser cannot finish a login.
func runSelftest(ctx context.Context) error {
	if os.Getenv("OIDC_ISSUER") != "" {
		return errors.New("the self-test runs against the fake provider: unset OIDC_ISSUER")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	base, stop, err := listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer stop()
	jar, _ := cookiejar.New(nil)
	var hops []string
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		hops = append(hops, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
		if len(via) > 5 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	get := func(c *http.Client, u string) (int, string, *http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, "", nil, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(body), resp, err
	}

	status, body, resp, err := get(browser, base+"/login")
	if err != nil {
		return err
	}
	for _, h := range hops {
		fmt.Println("redirect:", h)
	}
	if status != http.StatusOK || !strings.Contains(body, "auth_identity_id") || !strings.Contains(body, "ada@example.com") {
		return fmt.Errorf("login: %d %s", status, body)
	}
	fmt.Println("logged in: the callback issued a token")
	callbackURL := resp.Request.URL.String()

	status, body, _, err = get(browser, callbackURL)
	if err != nil {
		return err
	}
	if status != http.StatusUnauthorized || !strings.Contains(body, "No state provided, or session expired") {
		return fmt.Errorf("replayed callback: %d %s", status, body)
	}
	fmt.Println("replayed callback refused")

	// Another browser (no binding cookie) with a fresh login's callback.
	hops = nil
	noFollow := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), base+"/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	_, _, resp, err = get(noFollow, base+"/login")
	if err != nil {
		return err
	}
	stolen := resp.Header.Get("Location")
	if !strings.HasPrefix(stolen, base+"/callback?") {
		return fmt.Errorf("expected a redirect to the callback, got %q", stolen)
	}
	status, body, _, err = get(&http.Client{Timeout: 10 * time.Second}, stolen)
	if err != nil {
		return err
	}
	if status != http.StatusUnauthorized || !strings.Contains(body, "the browser binding is missing") {
		return fmt.Errorf("callback from another browser: %d %s", status, body)
	}
	fmt.Println("callback from another browser refused")
	return nil
}
