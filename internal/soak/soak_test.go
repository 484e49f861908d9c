package soak

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSlope(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xs, ys []float64
		want   float64
	}{
		{"rising", []float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}, 2},
		{"flat with noise", []float64{0, 1, 2, 3, 4}, []float64{5, 6, 5, 6, 5}, 0},
		{"falling", []float64{1, 2, 3}, []float64{9, 6, 3}, -3},
		{"one point", []float64{1}, []float64{4}, 0},
		{"no spread", []float64{2, 2, 2}, []float64{1, 2, 3}, 0},
		{"lengths differ", []float64{1, 2}, []float64{1}, 0},
	} {
		if got := Slope(tc.xs, tc.ys); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: slope %v, want %v", tc.name, got, tc.want)
		}
	}
}

// series makes samples a minute apart whose heap and goroutines follow f.
func series(n int, f func(i int) (heap, goroutines int64)) []Sample {
	out := make([]Sample, n)
	for i := range out {
		h, g := f(i)
		out[i] = Sample{At: time.Duration(i) * time.Minute, HeapLive: h, Goroutines: g}
	}
	return out
}

func TestJudge(t *testing.T) {
	tol := Tolerance{HeapBytesPerMin: 1 << 20, GoroutinesPerMin: 1}
	for _, tc := range []struct {
		name    string
		samples []Sample
		judged  bool
		growth  []string
	}{
		{"flat", series(10, func(i int) (int64, int64) { return 50 << 20, 20 }), true, nil},
		// Growth while warming up (the first half) is not a leak.
		{"warm-up then flat", series(10, func(i int) (int64, int64) { return int64(min(i, 5)) * 10 << 20, int64(20 + min(i, 5)*10) }), true, nil},
		{"heap leak", series(10, func(i int) (int64, int64) { return int64(50<<20 + i*2<<20), 20 }), true,
			[]string{"live heap grows 2097152 B/min (tolerance 1048576)"}},
		{"goroutine leak", series(10, func(i int) (int64, int64) { return 50 << 20, int64(20 + 3*i) }), true,
			[]string{"goroutines grow 3.00/min (tolerance 1.00)"}},
		{"too short", series(4, func(i int) (int64, int64) { return int64(i) << 30, int64(i * 100) }), false, nil},
	} {
		r := &Report{Samples: tc.samples}
		r.judge(tol)
		if r.Judged != tc.judged || strings.Join(r.Growth, "|") != strings.Join(tc.growth, "|") {
			t.Errorf("%s: judged %v growth %q, want %v %q", tc.name, r.Judged, r.Growth, tc.judged, tc.growth)
		}
		if r.OK() != (len(tc.growth) == 0) {
			t.Errorf("%s: OK %v", tc.name, r.OK())
		}
		// A run that sampled the server is OK only when judged, with
		// every sample taken.
		r.Sampled = true
		if r.OK() != (len(tc.growth) == 0 && tc.judged) {
			t.Errorf("%s, sampled: OK %v", tc.name, r.OK())
		}
		r.SampleErrors = 1
		if r.OK() {
			t.Errorf("%s: OK with a failed sample", tc.name)
		}
	}
}

// fakeServer answers every request of the mix as the real server would
// (tokens, a customer with an address, 201 to reset requests, 401 then
// 429 to wrong passwords), and leaks a goroutine per request when leak is
// set. Its debug listener reports this process's goroutines.
func fakeServer(t *testing.T, leak bool) (api, debug *httptest.Server) {
	var mu sync.Mutex
	wrong := map[string]int{}
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if leak {
			go func() { <-hold }()
		}
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		switch {
		case strings.HasSuffix(r.URL.Path, "/reset-password"):
			w.WriteHeader(201)
			return
		case r.URL.Path == "/auth/customer/emailpass" && body["password"] == "not the password":
			mu.Lock()
			wrong[body["email"]]++
			n := wrong[body["email"]]
			mu.Unlock()
			if n > 6 {
				w.WriteHeader(429)
			} else {
				w.WriteHeader(401)
			}
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"token": "t", "customer": map[string]any{"id": "cus_1", "addresses": []any{map[string]any{"id": "addr_1"}}}})
	}))
	debug = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/debug/vars" {
			_ = json.NewEncoder(w).Encode(map[string]any{"goroutines": runtime.NumGoroutine(), "heap_live_bytes": 1 << 20, "rss_bytes": -1,
				"memstats": map[string]any{"HeapInuse": 2 << 20}, "db": nil})
		}
	}))
	t.Cleanup(api.Close)
	t.Cleanup(debug.Close)
	return api, debug
}

func TestRunFindsALeak(t *testing.T) {
	for _, leak := range []bool{false, true} {
		api, debug := fakeServer(t, leak)
		rep, err := Run(t.Context(), Config{BaseURL: api.URL, DebugURL: debug.URL, Concurrency: 2,
			Duration: 2 * time.Second, Interval: 100 * time.Millisecond, AdminEmail: "admin@example.com", AdminPassword: "x",
			Tolerance: Tolerance{GoroutinesPerMin: 60}})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		rep.Write(&out)
		if rep.Unexpected != 0 || rep.Requests == 0 || !rep.Judged {
			t.Fatalf("leak %v: %s", leak, out.String())
		}
		grew := strings.Contains(out.String(), "verdict: GROWTH: goroutines grow")
		if grew != leak || rep.OK() == leak {
			t.Fatalf("leak %v, verdict:\n%s", leak, out.String())
		}
	}
}

func TestRunRefusesAnUnreachableServer(t *testing.T) {
	api, _ := fakeServer(t, false)
	if _, err := Run(t.Context(), Config{BaseURL: api.URL, DebugURL: "http://127.0.0.1:1", Duration: time.Second}); err == nil ||
		!strings.Contains(err.Error(), "debug listener") {
		t.Fatalf("err %v, want the debug listener's", err)
	}
	if _, err := Run(t.Context(), Config{}); err == nil {
		t.Fatal("no error without a BaseURL")
	}
}
