package main

import (
	"bytes"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestTelemetryConfig checks OTEL's values: off by default, and a refusal
// of an unknown exporter or of prometheus without the debug listener.
func TestTelemetryConfig(t *testing.T) {
	discard := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		env  map[string]string
		want string // "" for no error
	}{
		{map[string]string{}, ""},
		{map[string]string{"OTEL": "off"}, ""},
		{map[string]string{"OTEL": "jaeger"}, `OTEL "jaeger"`},
		{map[string]string{"OTEL": "stdout,zipkin"}, `OTEL "stdout,zipkin"`},
		{map[string]string{"OTEL": "prometheus"}, "set DEBUG_ADDR"},
	} {
		tel, err := newTelemetry(func(k string) string { return tc.env[k] }, io.Discard, discard)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want one with %q", tc.env, err, tc.want)
		case err == nil:
			if len(tel.storeOpts) != 0 || len(tel.authOpts) != 0 {
				t.Errorf("%v: instruments the store or the auth service", tc.env)
			}
			h := &struct{ http.Handler }{http.NotFoundHandler()}
			if got := tel.wrap(h); got != http.Handler(h) {
				t.Errorf("%v: wraps the handler", tc.env)
			}
			tel.close()
		}
	}
}

// TestTelemetryStdout checks that OTEL=stdout prints the span of a
// request, named by its route, and nothing of what the client sent.
func TestTelemetryStdout(t *testing.T) {
	var out bytes.Buffer
	tel, err := newTelemetry(func(k string) string { return map[string]string{"OTEL": "stdout"}[k] }, &out, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/{actor_type}/{provider}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	h := tel.wrap(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/auth/customer/emailpass?email=ada@example.com", strings.NewReader(`{"email":"ada@example.com"}`)))
	tel.close() // flushes the batch
	got := out.String()
	if !strings.Contains(got, `"Name":"POST /auth/{actor_type}/{provider}"`) {
		t.Errorf("no span named by the route in %s", got)
	}
	for _, secret := range []string{"ada@example.com", "192.0.2.1"} {
		if strings.Contains(got, secret) {
			t.Errorf("the span holds the client's %s: %s", secret, got)
		}
	}
}

// TestTelemetryPrometheus runs the server with OTEL=prometheus: a login,
// a wrong password and the lock after five show at /metrics on the debug
// listener, by route and outcome; without OTEL, /metrics is not found.
func TestTelemetryPrometheus(t *testing.T) {
	env := maps.Clone(soakEnv)
	env["OTEL"] = "prometheus"
	base, debug, stopFirst := startServer(t, env)
	stop := sync.OnceFunc(stopFirst)
	defer stop()
	login := func(password string) int {
		t.Helper()
		res, err := http.Post(base+"/auth/user/emailpass", "application/json",
			strings.NewReader(`{"email":"admin@example.com","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := login("supersecret"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	for range 6 {
		if code := login("wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", code)
		}
	}
	if code := login("supersecret"); code != http.StatusTooManyRequests {
		t.Fatalf("locked: %d", code)
	}
	res, err := http.Get(debug + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	metrics := string(body)
	for _, want := range []string{
		`clientele_auth_logins_total{clientele_auth_outcome="success",clientele_auth_provider="emailpass"`,
		`clientele_auth_logins_total{clientele_auth_outcome="failure",clientele_auth_provider="emailpass",clientele_auth_reason="invalid_credentials"`,
		`clientele_auth_logins_total{clientele_auth_outcome="failure",clientele_auth_provider="emailpass",clientele_auth_reason="locked"`,
		`clientele_auth_lockouts_total{clientele_auth_provider="emailpass"`,
		`clientele_auth_login_duration_seconds_bucket{`,
		`http_route="/auth/{actor_type}/{provider}"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, "admin@example.com") {
		t.Error("/metrics holds an email")
	}
	if t.Failed() {
		t.Log(metrics)
	}

	stop()

	// Without OTEL.
	_, debug, stopSecond := startServer(t, soakEnv)
	defer stopSecond()
	res, err = http.Get(debug + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics without OTEL: %d", res.StatusCode)
	}
}
