package load

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
	} {
		if got := Percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{BaseURLs: []string{"http://x"}, Loads: []Load{{"nope", 1}}},
		{BaseURLs: []string{"http://x"}, Loads: []Load{{Me, 0}}},
		{BaseURLs: []string{"http://x", " "}},
		{BaseURLs: []string{""}},
	} {
		if _, err := Run(t.Context(), cfg); err == nil {
			t.Errorf("Run(%+v) ran", cfg)
		}
	}
}

// fakeMedusa answers the requests of the loads as a Medusa-shaped server
// does, checking tokens and the publishable key, and counts them; a
// request for the admin list fails (500) when failEvery divides its
// number.
//
// Several httptest servers may serve one fakeMedusa, as instances of one
// server share a database: each names itself in the X-Instance header of
// the requests it passes on, and the fake counts the requests that present
// a token another instance issued.
type fakeMedusa struct {
	mu        sync.Mutex
	passwords map[string]string // email -> password
	tokens    map[string]string // token -> email or "admin"
	issuer    map[string]string // token -> the instance that issued it
	crossed   atomic.Int64      // requests with a token of another instance
	n         atomic.Int64
	counts    sync.Map // path -> *atomic.Int64
	failEvery int64
}

func (f *fakeMedusa) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, _ := f.counts.LoadOrStore(r.Method+" "+r.URL.Path, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	if strings.HasPrefix(r.URL.Path, "/store/") && r.Header.Get("x-publishable-api-key") != "pk_test" {
		http.Error(w, `{"message":"no key"}`, http.StatusBadRequest)
		return
	}
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	who := f.tokens[bearer]
	if from, ok := f.issuer[bearer]; ok && from != r.Header.Get("X-Instance") {
		f.crossed.Add(1)
	}
	token := func(owner string) {
		t := "tok" + string(rune('a'+f.n.Add(1)%26)) + time.Now().String()
		f.tokens[t] = owner
		if f.issuer != nil {
			f.issuer[t] = r.Header.Get("X-Instance")
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"token": t})
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /auth/customer/emailpass/register":
		if _, ok := f.passwords[body["email"]]; ok {
			http.Error(w, `{"message":"exists"}`, http.StatusUnauthorized)
			return
		}
		f.passwords[body["email"]] = body["password"]
		token("registration:" + body["email"])
	case "POST /store/customers":
		if who != "registration:"+body["email"] {
			http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"customer":{}}`))
	case "POST /auth/customer/emailpass":
		if pw, ok := f.passwords[body["email"]]; !ok || pw != body["password"] {
			http.Error(w, `{"message":"Invalid email or password"}`, http.StatusUnauthorized)
			return
		}
		token(body["email"])
	case "POST /auth/user/emailpass":
		if body["email"] != "admin@example.com" || body["password"] != "supersecret" {
			http.Error(w, `{"message":"Invalid email or password"}`, http.StatusUnauthorized)
			return
		}
		token("admin")
	case "GET /store/customers/me":
		if who == "" || strings.HasPrefix(who, "registration:") || who == "admin" {
			http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"customer":{}}`))
	case "GET /admin/customers":
		if who != "admin" || r.URL.Query().Get("limit") != "20" {
			http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		if f.failEvery > 0 && c.(*atomic.Int64).Load()%f.failEvery == 0 {
			http.Error(w, `{"message":"boom"}`, http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"customers":[],"count":0}`))
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeMedusa) count(key string) int64 {
	c, ok := f.counts.Load(key)
	if !ok {
		return 0
	}
	return c.(*atomic.Int64).Load()
}

func TestRunMeasuresEachLoad(t *testing.T) {
	f := &fakeMedusa{passwords: map[string]string{}, tokens: map[string]string{}, failEvery: 10}
	srv := httptest.NewServer(f)
	defer srv.Close()
	res, err := Run(t.Context(), Config{
		BaseURLs: []string{srv.URL + "/"}, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond,
		Loads:      []Load{{Me, 4}, {AdminList, 3}, {Login, 2}},
		AdminEmail: "admin@example.com", AdminPassword: "supersecret", PublishableKey: "pk_test", Run: "t",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	// One customer per login worker, registered and created once each.
	if got := f.count("POST /auth/customer/emailpass/register"); got != 2 {
		t.Errorf("%d registrations, want 2", got)
	}
	if got := f.count("POST /store/customers"); got != 2 {
		t.Errorf("%d customers created, want 2", got)
	}
	for i, want := range []struct {
		name string
		conc int
		path string
	}{{Me, 4, "GET /store/customers/me"}, {AdminList, 3, "GET /admin/customers"}, {Login, 2, "POST /auth/customer/emailpass"}} {
		r := res[i]
		if r.Name != want.name || r.Concurrency != want.conc || r.Skipped != "" {
			t.Fatalf("result %d: %+v", i, r)
		}
		if r.Requests == 0 || r.PerSecond() <= 0 || r.P50 <= 0 || r.P99 < r.P50 {
			t.Errorf("%s: %+v", r.Name, r)
		}
		if r.Elapsed < 300*time.Millisecond {
			t.Errorf("%s: measured for %v, want at least the duration", r.Name, r.Elapsed)
		}
		// Warm-up requests and failures are sent but not counted.
		sent := f.count(want.path)
		if want.name == Login {
			sent -= 2 // the sign-ups' logins
		}
		if int64(r.Requests+r.Failures) >= sent {
			t.Errorf("%s: %d counted of %d sent: the warm-up was counted", r.Name, r.Requests+r.Failures, sent)
		}
	}
	if res[0].Failures != 0 || res[2].Failures != 0 {
		t.Errorf("failures where the server failed nothing: %+v", res)
	}
	if res[1].Failures == 0 {
		t.Error("the admin list's 500s were not counted as failures")
	}
	var out bytes.Buffer
	Write(&out, res)
	for _, s := range []string{"load", "req/s", "p99", "me", "admin_list", "login"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
}

func TestRunWithoutAdminSkipsTheList(t *testing.T) {
	f := &fakeMedusa{passwords: map[string]string{}, tokens: map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	res, err := Run(t.Context(), Config{BaseURLs: []string{srv.URL}, Duration: 50 * time.Millisecond, Warmup: -1,
		Loads: []Load{{AdminList, 2}, {Me, 1}}, PublishableKey: "pk_test"})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Skipped == "" || f.count("GET /admin/customers") != 0 || res[1].Requests == 0 {
		t.Fatalf("results %+v", res)
	}
	// A sign-up the server refuses ends the run with its reason.
	_, err = Run(t.Context(), Config{BaseURLs: []string{srv.URL}, Duration: 50 * time.Millisecond, Loads: []Load{{Me, 1}}})
	if err == nil || !strings.Contains(err.Error(), "status 400") {
		t.Fatalf("a run without the publishable key = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Run(ctx, Config{BaseURLs: []string{srv.URL}, Loads: []Load{{Me, 1}}, PublishableKey: "pk_test"}); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
}

// TestRunAlternatesInstances runs the loads against two instances of one
// server: each load reaches both, in turn, and the tokens one instance
// issued (sign-ups, logins) are presented to the other.
func TestRunAlternatesInstances(t *testing.T) {
	f := &fakeMedusa{passwords: map[string]string{}, tokens: map[string]string{}, issuer: map[string]string{}}
	var bases []string
	var served [2]sync.Map // per instance: method and path -> *atomic.Int64
	var total [2]atomic.Int64
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			total[i].Add(1)
			c, _ := served[i].LoadOrStore(r.Method+" "+r.URL.Path, new(atomic.Int64))
			c.(*atomic.Int64).Add(1)
			r.Header.Set("X-Instance", string(rune('A'+i)))
			f.ServeHTTP(w, r)
		}))
		defer srv.Close()
		bases = append(bases, srv.URL)
	}
	res, err := Run(t.Context(), Config{
		BaseURLs: bases, Duration: 200 * time.Millisecond, Warmup: -1,
		Loads:      []Load{{Me, 3}, {AdminList, 2}, {Login, 2}},
		AdminEmail: "admin@example.com", AdminPassword: "supersecret", PublishableKey: "pk_test", Run: "t",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Requests == 0 || r.Failures != 0 {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	for i := range 2 {
		for _, path := range []string{"POST /auth/customer/emailpass/register", "POST /store/customers", "POST /auth/customer/emailpass", "GET /store/customers/me", "GET /admin/customers"} {
			if c, ok := served[i].Load(path); !ok || c.(*atomic.Int64).Load() == 0 {
				t.Errorf("instance %c served no %s", 'A'+i, path)
			}
		}
	}
	if n := f.count("POST /auth/user/emailpass"); n != 1 {
		t.Errorf("the admin logged in %d times, want once", n)
	}
	// In turn: the instances' counts differ by one request at most.
	if a, b := total[0].Load(), total[1].Load(); a-b > 1 || b-a > 1 {
		t.Errorf("instance A served %d requests, B %d", a, b)
	}
	// A sign-up registers on one instance and creates the customer on the
	// next with the registration's token; the loads then use the tokens on
	// both.
	if n := f.crossed.Load(); n == 0 {
		t.Error("no token issued by one instance was used on the other")
	}
}
