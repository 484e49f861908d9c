package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

type env struct {
	t      *testing.T
	api    *httpapi.API
	h      http.Handler
	st     *memory.Store
	authS  *auth.Service
	events *event.Recorder
	logs   *bytes.Buffer
}

func newEnv(t *testing.T, mod ...func(*httpapi.Config)) *env {
	t.Helper()
	return newEnvWith(t, nil, mod...)
}

func newEnvWith(t *testing.T, extra []auth.Option, mod ...func(*httpapi.Config)) *env {
	t.Helper()
	st := memory.New()
	events := &event.Recorder{}
	addresses, err := address.NewService(st, address.WithEventSink(events))
	if err != nil {
		t.Fatal(err)
	}
	customers, err := customer.NewService(st, addresses, customer.WithEventSink(events))
	if err != nil {
		t.Fatal(err)
	}
	groups, err := group.NewService(st, group.WithEventSink(events))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("httpapi-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	authS, err := auth.NewService(st, tokens, append([]auth.Option{auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))), auth.WithEventSink(events)}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := account.NewService(st, authS, customers, account.WithSessions(st))
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cfg := httpapi.Config{
		Customers: customers, Addresses: addresses, Groups: groups, Auth: authS,
		Accounts: accounts, Sessions: st,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil)), MaxBodyBytes: 4096,
	}
	for _, m := range mod {
		m(&cfg)
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, api: api, h: api.Handler(), st: st, authS: authS, events: events, logs: logs}
}

type lockedWriter struct{ w io.Writer }

func (l *lockedWriter) Write(p []byte) (int, error) { return l.w.Write(p) }

type resp struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// do sends a request; hdr holds "Name: value" strings; a token "" sends none.
func (e *env) do(method, path, body, token string, hdr ...string) resp {
	e.t.Helper()
	return e.doFrom("192.0.2.1:1234", method, path, body, token, hdr...)
}

// want checks status and, when msg is not "", the envelope's type and message.
func (r resp) want(t *testing.T, status int, typ, msg string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if typ != "" && r.body["type"] != typ {
		t.Fatalf("type %v, want %s; body %s", r.body["type"], typ, r.raw)
	}
	if msg != "" && r.body["message"] != msg {
		t.Fatalf("message %q, want %q; body %s", r.body["message"], msg, r.raw)
	}
}

func (r resp) obj(key string) map[string]any {
	m, _ := r.body[key].(map[string]any)
	return m
}

func (r resp) str(key string) string { s, _ := r.body[key].(string); return s }

// register registers email with emailpass and returns the actorless token.
func (e *env) register(actor, email string) string {
	e.t.Helper()
	r := e.do("POST", "/auth/"+actor+"/emailpass/register", `{"email":"`+email+`","password":"supersecret"}`, "")
	r.want(e.t, 200, "", "")
	return r.str("token")
}

// customer registers a customer account and returns a customer token and id.
func (e *env) customer(email string) (token, id string) {
	e.t.Helper()
	reg := e.register("customer", email)
	r := e.do("POST", "/store/customers", `{"email":"`+email+`","first_name":"Ada"}`, reg)
	r.want(e.t, 200, "", "")
	id, _ = r.obj("customer")["id"].(string)
	r = e.do("POST", "/auth/token/refresh", "", reg)
	r.want(e.t, 200, "", "")
	return r.str("token"), id
}

// admin makes an emailpass identity linked to a user actor and logs in.
func (e *env) admin() string {
	e.t.Helper()
	res, err := e.authS.Register(context.Background(), emailpass.ID, emailpass.Credentials("admin@example.com", "supersecret").ForActor(auth.ActorUser))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.authS.SetActor(context.Background(), res.AuthIdentity.ID, "user", "user_1"); err != nil {
		e.t.Fatal(err)
	}
	r := e.do("POST", "/auth/user/emailpass", `{"email":"admin@example.com","password":"supersecret"}`, "")
	r.want(e.t, 200, "", "")
	return r.str("token")
}

// flush waits for the events the auth service delivers after its answer.
func (e *env) flush() {
	e.t.Helper()
	if err := e.authS.Flush(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
}

// lastResetToken waits for the reset events and returns the token of the
// last one.
func (e *env) lastResetToken() string {
	e.t.Helper()
	e.flush()
	var tok string
	for _, ev := range e.events.Events() {
		if ev.Name == auth.EventPasswordReset {
			tok, _ = ev.Data["token"].(string)
		}
	}
	if tok == "" {
		e.t.Fatal("no reset event")
	}
	return tok
}
