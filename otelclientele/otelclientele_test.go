package otelclientele_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/otelclientele"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/store/storetest"
	"github.com/clientele/clientele/throttle"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backend is what both stores implement and the server needs.
type backend interface {
	storetest.Store
	session.Store
	throttle.Store
}

const (
	email    = "ada@example.com"
	password = "correct-horse-battery"
)

// world is an httpapi server on a store, instrumented as a host would
// instrument it, with in-memory exporters.
type world struct {
	t      *testing.T
	h      http.Handler
	auth   *auth.Service
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
}

// instrumented says what a world instruments.
type instrumented struct {
	queries, auth bool
}

// newWorld serves httpapi on st (a postgres store is rebuilt with the
// query hook when in.queries is set) behind otelclientele.NewHandler.
func newWorld(t *testing.T, st backend, in instrumented) *world {
	t.Helper()
	w := &world{t: t, spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(w.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(w.reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	opts := []otelclientele.Option{otelclientele.WithTracerProvider(tp), otelclientele.WithMeterProvider(mp)}
	if pg, ok := st.(*postgres.Store); ok && in.queries {
		st = postgres.New(pg.DB(), postgres.WithQueryHook(otelclientele.NewQueryHook(opts...)))
	}
	lim, err := throttle.New(st, throttle.Config{})
	must(t, err)
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(strings.Repeat("s", 32))})
	must(t, err)
	authOpts := []auth.Option{
		auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))),
		auth.WithThrottle(lim),
	}
	if in.auth {
		obs, err := otelclientele.NewObserver(opts...)
		must(t, err)
		authOpts = append(authOpts, auth.WithObserver(obs))
	}
	w.auth, err = auth.NewService(st, tokens, authOpts...)
	must(t, err)
	addresses, err := address.NewService(st)
	must(t, err)
	customers, err := customer.NewService(st, addresses)
	must(t, err)
	groups, err := group.NewService(st)
	must(t, err)
	accounts, err := account.NewService(st, w.auth, customers, account.WithSessions(st))
	must(t, err)
	api, err := httpapi.New(httpapi.Config{Customers: customers, Addresses: addresses, Groups: groups,
		Auth: w.auth, Accounts: accounts, Sessions: st, Logger: slog.New(slog.DiscardHandler)})
	must(t, err)
	w.h = otelclientele.NewHandler(api.Handler(), opts...)
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// post sends body to path and returns the status; it waits for the work
// the auth service does after its answer.
func (w *world) post(path, body string) int {
	w.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	must(w.t, w.auth.Flush(context.Background()))
	return rec.Code
}

func credentials(email, password string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return string(b)
}

// login logs in over HTTP and returns the status.
func (w *world) login(password string) int {
	w.t.Helper()
	return w.post("/auth/customer/emailpass", credentials(email, password))
}

// register registers email over HTTP and forgets its spans.
func (w *world) register() {
	w.t.Helper()
	if code := w.post("/auth/customer/emailpass/register", credentials(email, password)); code != http.StatusOK {
		w.t.Fatalf("register: %d", code)
	}
	w.spans.Reset()
}

// loggedIn returns a new world in which email has registered and then
// logged in once; the spans of the registration are forgotten.
func loggedIn(t *testing.T, st backend, in instrumented) *world {
	t.Helper()
	w := newWorld(t, st, in)
	w.register()
	if code := w.login(password); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	return w
}

// stores runs f on the memory store and on PostgreSQL.
func stores(t *testing.T, f func(t *testing.T, st backend)) {
	t.Run("memory", func(t *testing.T) { f(t, memory.New()) })
	t.Run("postgres", func(t *testing.T) { f(t, pgtest.NewStore(t)) })
}

// TestLoginTraced checks that a login over HTTP makes a server span named
// after its route, whose children (on PostgreSQL) are the spans of the
// login's statements, and that no span holds the email or the password.
func TestLoginTraced(t *testing.T) {
	stores(t, func(t *testing.T, st backend) {
		w := loggedIn(t, st, instrumented{queries: true, auth: true})
		spans := w.spans.Ended()
		var server sdktrace.ReadOnlySpan
		for _, s := range spans {
			if s.SpanKind() == trace.SpanKindServer {
				if server != nil {
					t.Fatalf("two server spans: %q, %q", server.Name(), s.Name())
				}
				server = s
			}
		}
		if server == nil {
			t.Fatalf("no server span among %d spans", len(spans))
		}
		if got, want := server.Name(), "POST /auth/{actor_type}/{provider}"; got != want {
			t.Errorf("server span %q, want %q", got, want)
		}
		if got := attr(server.Attributes(), "http.route"); got != "/auth/{actor_type}/{provider}" {
			t.Errorf("http.route %q", got)
		}
		for _, key := range []attribute.Key{"client.address", "network.peer.address"} {
			if got := attr(server.Attributes(), key); got != "" {
				t.Errorf("%s = %q: the client's address is recorded", key, got)
			}
		}
		queries := 0
		for _, s := range spans {
			for _, kv := range s.Attributes() {
				v := kv.Value.String()
				if strings.Contains(v, email) || strings.Contains(v, password) {
					t.Errorf("span %q: attribute %s = %q holds the caller's input", s.Name(), kv.Key, v)
				}
			}
			if s.SpanKind() != trace.SpanKindClient {
				continue
			}
			queries++
			if s.Parent().SpanID() != server.SpanContext().SpanID() || s.SpanContext().TraceID() != server.SpanContext().TraceID() {
				t.Errorf("statement span %q is not a child of the request's span", s.Name())
			}
			if got := attr(s.Attributes(), "db.system.name"); got != "postgresql" {
				t.Errorf("%q: db.system.name %q", s.Name(), got)
			}
			text := attr(s.Attributes(), "db.query.text")
			if first, _, _ := strings.Cut(strings.TrimSpace(text), " "); text == "" || !strings.EqualFold(first, s.Name()) {
				t.Errorf("span %q: db.query.text %q", s.Name(), text)
			}
			if attr(s.Attributes(), "db.operation.name") != s.Name() {
				t.Errorf("span %q: db.operation.name %q", s.Name(), attr(s.Attributes(), "db.operation.name"))
			}
		}
		_, pg := st.(*postgres.Store)
		if pg && queries == 0 {
			t.Error("no statement span on PostgreSQL")
		}
		if !pg && queries != 0 {
			t.Errorf("%d statement spans on the memory store", queries)
		}
	})
}

// TestLoginMetrics checks the auth metrics of a success, failures, a
// lockout and a refused login, and the HTTP duration histogram by route.
func TestLoginMetrics(t *testing.T) {
	stores(t, func(t *testing.T, st backend) {
		w := loggedIn(t, st, instrumented{queries: true, auth: true})
		// The default rule: five free failures, a sixth that locks.
		for range 6 {
			if code := w.login("wrong"); code != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", code)
			}
		}
		if code := w.login(password); code != http.StatusTooManyRequests {
			t.Fatalf("locked account: %d", code)
		}
		rm := w.collect()
		login := func(outcome, reason string) int64 {
			attrs := []attribute.KeyValue{otelclientele.ProviderKey.String("emailpass"), otelclientele.OutcomeKey.String(outcome)}
			if reason != "" {
				attrs = append(attrs, otelclientele.ReasonKey.String(reason))
			}
			return sum(t, rm, otelclientele.MetricLogins, attribute.NewSet(attrs...))
		}
		if got := login("success", ""); got != 1 {
			t.Errorf("successful logins %d, want 1", got)
		}
		if got := login("failure", "invalid_credentials"); got != 6 {
			t.Errorf("wrong passwords %d, want 6", got)
		}
		if got := login("failure", "locked"); got != 1 {
			t.Errorf("locked logins %d, want 1", got)
		}
		if got := sum(t, rm, otelclientele.MetricLockouts, attribute.NewSet(otelclientele.ProviderKey.String("emailpass"))); got != 1 {
			t.Errorf("lockouts %d, want 1", got)
		}
		if got := sum(t, rm, otelclientele.MetricRegistrations, attribute.NewSet(otelclientele.ProviderKey.String("emailpass"), otelclientele.OutcomeKey.String("success"))); got != 1 {
			t.Errorf("registrations %d, want 1", got)
		}
		var timed uint64
		for _, dp := range histogram(t, rm, otelclientele.MetricLoginDuration) {
			timed += dp.Count
			if dp.Sum <= 0 {
				t.Errorf("login durations sum to %v", dp.Sum)
			}
		}
		if timed != 8 {
			t.Errorf("%d login durations, want 8", timed)
		}
		var requests uint64
		for _, dp := range histogram(t, rm, "http.server.request.duration") {
			if route, _ := dp.Attributes.Value("http.route"); route.AsString() == "/auth/{actor_type}/{provider}" {
				requests += dp.Count
			}
		}
		if requests != 8 {
			t.Errorf("%d login requests in http.server.request.duration, want 8", requests)
		}
	})
}

// TestNotConfigured checks that a store without the query hook and a
// service without the observer record nothing: the request's server span
// alone, and no auth metric.
func TestNotConfigured(t *testing.T) {
	stores(t, func(t *testing.T, st backend) {
		w := loggedIn(t, st, instrumented{})
		if code := w.login("wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", code)
		}
		spans := w.spans.Ended()
		if len(spans) != 2 {
			names := make([]string, len(spans))
			for i, s := range spans {
				names[i] = s.Name()
			}
			t.Errorf("spans %q, want the two requests' only", names)
		}
		for _, sm := range w.collect().ScopeMetrics {
			if sm.Scope.Name == otelclientele.ScopeName {
				t.Errorf("auth metrics recorded without an observer: %+v", sm.Metrics)
			}
		}
	})
}

// TestQueryHookFailure checks the span of a statement that fails: its
// status is Error with the SQLSTATE, and the error's message, which may
// quote a value, is not recorded.
func TestQueryHookFailure(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	st := postgres.New(pgtest.NewStore(t).DB(), postgres.WithQueryHook(otelclientele.NewQueryHook(otelclientele.WithTracerProvider(tp))))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	err := st.InTx(ctx, func(ctx context.Context) error {
		_, err := st.DB().DB.ExecContext(ctx, "SELECT 1") // not the Store's: not traced
		return err
	})
	must(t, err)
	_, err = st.ListCustomers(ctx, customer.Filter{Q: "ada@example.com"}, store.ListOptions{})
	must(t, err)
	_, err = st.DB().NewSelect().ColumnExpr("?::int", "not-a-number-ada@example.com").Exec(ctx)
	if err == nil {
		t.Fatal("a bad cast succeeded")
	}
	parent.End()
	var names []string
	for _, s := range sr.Ended() {
		names = append(names, s.Name())
		if s.Name() == "parent" {
			continue
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %q is not a child of the caller's span", s.Name())
		}
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.String(), "ada@example.com") {
				t.Errorf("span %q: %s = %q", s.Name(), kv.Key, kv.Value.String())
			}
		}
		if s.Name() == "SELECT" && attr(s.Attributes(), "db.query.text") == "" {
			// bun's builder: its text holds the values and is left out;
			// the error is the bad cast's.
			if s.Status().Code.String() != "Error" || s.Status().Description != "" ||
				attr(s.Attributes(), "error.type") != "22P02" || attr(s.Attributes(), "db.response.status_code") != "22P02" {
				t.Errorf("failed statement span: status %+v, attributes %v", s.Status(), s.Attributes())
			}
			for _, ev := range s.Events() {
				t.Errorf("failed statement span has event %q %v", ev.Name, ev.Attributes)
			}
		}
	}
	if want := []string{"BEGIN", "COMMIT", "SELECT", "SELECT", "parent"}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("spans %q, want %q", names, want)
	}
}

// TestQueryHookRoots checks that a statement outside any span is traced
// only with WithRootQuerySpans.
func TestQueryHookRoots(t *testing.T) {
	db := pgtest.NewStore(t).DB()
	for _, roots := range []bool{false, true} {
		sr := tracetest.NewSpanRecorder()
		opts := []otelclientele.Option{otelclientele.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))}
		if roots {
			opts = append(opts, otelclientele.WithRootQuerySpans())
		}
		st := postgres.New(db, postgres.WithQueryHook(otelclientele.NewQueryHook(opts...)))
		_, err := st.ListCustomers(context.Background(), customer.Filter{}, store.ListOptions{})
		must(t, err)
		spans := sr.Ended()
		if roots && (len(spans) != 1 || spans[0].Parent().IsValid()) {
			t.Errorf("with root spans: %d spans, want one root span", len(spans))
		}
		if !roots && len(spans) != 0 {
			t.Errorf("without root spans: %d spans of a statement outside any span", len(spans))
		}
	}
}

// attr returns the value of key in attrs as a string.
func attr(attrs []attribute.KeyValue, key attribute.Key) string {
	for _, kv := range attrs {
		if kv.Key == key {
			return kv.Value.String()
		}
	}
	return ""
}

func (w *world) collect() metricdata.ResourceMetrics {
	w.t.Helper()
	var rm metricdata.ResourceMetrics
	must(w.t, w.reader.Collect(context.Background(), &rm))
	return rm
}

// find returns the metric named name.
func find(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// sum returns the value of the counter name at the attribute set want.
func sum(t *testing.T, rm metricdata.ResourceMetrics, name string, want attribute.Set) int64 {
	t.Helper()
	m, ok := find(rm, name)
	if !ok {
		return 0
	}
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !s.IsMonotonic {
		t.Fatalf("%s is a %T, not a counter", name, m.Data)
	}
	for _, dp := range s.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

// histogram returns the data points of the histogram name.
func histogram(t *testing.T, rm metricdata.ResourceMetrics, name string) []metricdata.HistogramDataPoint[float64] {
	t.Helper()
	m, ok := find(rm, name)
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is a %T, not a histogram", name, m.Data)
	}
	return h.DataPoints
}

// TestObserverCoversEveryOp: each operation of auth.Ops is counted under
// its own metric, with its provider, outcome and reason.
func TestObserverCoversEveryOp(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	obs, err := otelclientele.NewObserver(otelclientele.WithMeterProvider(mp))
	must(t, err)
	names := map[auth.Op]string{
		auth.OpLogin: otelclientele.MetricLogins, auth.OpLockout: otelclientele.MetricLockouts,
		auth.OpRegister: otelclientele.MetricRegistrations, auth.OpPasswordResetRequest: otelclientele.MetricPasswordResetRequests,
		auth.OpPasswordReset: otelclientele.MetricPasswordResets, auth.OpMFAChallenge: otelclientele.MetricMFAChallenges,
		auth.OpEmailLoginRequest: otelclientele.MetricEmailLoginRequests,
	}
	for _, op := range auth.Ops {
		obs.Observe(context.Background(), auth.Observation{Op: op, Outcome: auth.OutcomeFailure, Reason: auth.ReasonLocked, Provider: "magiclink"})
	}
	var rm metricdata.ResourceMetrics
	must(t, reader.Collect(context.Background(), &rm))
	want := attribute.NewSet(otelclientele.ProviderKey.String("magiclink"), otelclientele.OutcomeKey.String("failure"),
		otelclientele.ReasonKey.String("locked"))
	for _, op := range auth.Ops {
		name, ok := names[op]
		if !ok {
			t.Errorf("op %s: no metric name known to this test", op)
			continue
		}
		set := want
		if op == auth.OpLockout { // a lockout's outcome is always a success, and not recorded
			set = attribute.NewSet(otelclientele.ProviderKey.String("magiclink"))
		}
		if got := sum(t, rm, name, set); got != 1 {
			t.Errorf("op %s: %s = %d, want 1", op, name, got)
		}
	}
}
