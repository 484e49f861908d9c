// Package soak drives a clientele HTTP server (examples/server) with a
// fixed mix of customer and admin traffic for a while, samples the
// server's goroutines and memory through its debug listener (expvar at
// /debug/vars), and judges whether they grow: the least-squares slope of
// each over the second half of the run must stay within a tolerance.
//
// The traffic: sign-ups (register, create the customer, refresh), logins,
// GET and POST /store/customers/me, addresses added, updated, made the
// default and deleted, admin customer lists, token refreshes, cookie
// sessions opened and logged out, bursts of wrong passwords that meet the
// login throttle, and password reset requests. Every simulated customer
// has its own client address (X-Forwarded-For), so the server must trust
// the tool's address as a proxy (TRUSTED_PROXIES=127.0.0.1) for the
// per-address limits to count customers rather than the tool.
//
// examples/soak is the command; examples/server's tests run it for a few
// seconds against the server in process.
package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is a soak run.
type Config struct {
	// BaseURL is the API's address, e.g. http://127.0.0.1:9000.
	BaseURL string
	// DebugURL is the debug listener's address, e.g.
	// http://127.0.0.1:6060; empty: no samples and no verdict on growth.
	DebugURL string
	// Concurrency is the number of simulated customers at once (default 4).
	Concurrency int
	// Duration of the run (default 1 min) and Interval between samples
	// (default 10 s).
	Duration, Interval time.Duration
	// AdminEmail and AdminPassword log in the admin whose customer lists
	// are part of the mix (the server's ADMIN_EMAIL and ADMIN_PASSWORD);
	// empty: no admin traffic.
	AdminEmail, AdminPassword string
	// Tolerance bounds the growth the verdict accepts.
	Tolerance Tolerance
	// Client sends the requests (default: a client with a 30 s timeout).
	Client *http.Client
	// Log receives the table of samples as they are taken (default: none).
	Log io.Writer
}

// Tolerance is the growth per minute the verdict accepts over the second
// half of a run.
type Tolerance struct {
	// HeapBytesPerMin bounds the slope of the live heap (default 1 MiB).
	HeapBytesPerMin float64
	// GoroutinesPerMin bounds the slope of the goroutine count (default 1).
	GoroutinesPerMin float64
}

// Sample is what the debug listener reported at one moment. The traffic
// pauses while a sample is taken: once no request is in flight, the tool
// has the server collect its garbage (GET /debug/pprof/heap?gc=1) and
// reads the variables, so that the heap of requests in flight (a password
// hash holds 32 MiB for a moment) does not hide the floor that a leak
// raises.
type Sample struct {
	At         time.Duration // since the start
	Requests   int64         // requests answered so far
	Goroutines int64
	HeapLive   int64 // bytes the last collection found live
	HeapInuse  int64 // runtime.MemStats.HeapInuse
	RSS        int64 // -1 when the server cannot tell
	DBOpen     int64 // open database connections; -1 without a database
	DBInUse    int64
}

// Report is the outcome of a run.
type Report struct {
	Samples  []Sample
	Requests int64
	Elapsed  time.Duration
	// Answers counts the answers by operation and kind: "ok", "limited"
	// (429), or another "status 500", "transport" ….
	Answers map[string]map[string]int64
	// Unexpected is the number of answers that were neither ok nor an
	// answer the operation expects (a 429 of the throttle, a 401 to a
	// wrong password): server errors, transport failures, wrong statuses.
	Unexpected int64
	// HeapSlope and GoroutineSlope are the least-squares slopes per
	// minute over the second half of the samples.
	HeapSlope, GoroutineSlope float64
	// Growth names what grew beyond the tolerance; empty when nothing did
	// (or there were too few samples to tell, see Judged).
	Growth []string
	Judged bool
	// Sampled says the run sampled the server (a debug listener was
	// given); SampleErrors counts the samples that failed.
	Sampled      bool
	SampleErrors int
}

// OK reports whether nothing grew and every answer was expected, and, for
// a run that sampled the server, that every sample was taken and there
// were enough of them to judge.
func (r *Report) OK() bool {
	return len(r.Growth) == 0 && r.Unexpected == 0 && (!r.Sampled || (r.Judged && r.SampleErrors == 0))
}

func (c *Config) defaults() error {
	if c.BaseURL == "" {
		return errors.New("soak: BaseURL is required")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.DebugURL = strings.TrimRight(c.DebugURL, "/")
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Duration <= 0 {
		c.Duration = time.Minute
	}
	if c.Interval <= 0 {
		c.Interval = 10 * time.Second
	}
	if c.Tolerance.HeapBytesPerMin <= 0 {
		c.Tolerance.HeapBytesPerMin = 1 << 20
	}
	if c.Tolerance.GoroutinesPerMin <= 0 {
		c.Tolerance.GoroutinesPerMin = 1
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// Run drives the server for cfg.Duration (or until ctx ends: requests in
// flight are then cancelled) and returns
// the report. An error means the run could not start (the server cannot
// be reached, the admin cannot log in); what happens during the run is in
// the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	d := &driver{cfg: cfg, answers: map[string]map[string]int64{}, run: fmt.Sprintf("%x", rand.Uint32())}
	if cfg.AdminEmail != "" {
		tok, err := d.adminToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("soak: admin login: %w", err)
		}
		d.admin.Store(&tok)
	}
	if cfg.DebugURL != "" {
		if _, err := d.read(ctx); err != nil {
			return nil, fmt.Errorf("soak: debug listener: %w", err)
		}
	}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	rep := &Report{Sampled: cfg.DebugURL != ""}
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Go(func() { d.work(ctx, w, deadline) })
	}
	fmt.Fprintln(cfg.Log, header)
	take := func() {
		s, err := d.sample(ctx, time.Since(start))
		if err != nil {
			if ctx.Err() == nil {
				rep.SampleErrors++
				fmt.Fprintf(cfg.Log, "sample failed: %v\n", err)
			}
			return
		}
		rep.Samples = append(rep.Samples, s)
		fmt.Fprintln(cfg.Log, s.row())
	}
	if cfg.DebugURL != "" {
		tick := time.NewTicker(cfg.Interval)
		stop := time.NewTimer(time.Until(deadline))
		for sampling := true; sampling; {
			take()
			select {
			case <-ctx.Done():
				sampling = false
			case <-stop.C:
				sampling = false
			case <-tick.C:
			}
		}
		tick.Stop()
		stop.Stop()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	if cfg.DebugURL != "" && ctx.Err() == nil {
		take() // once the traffic stopped
	}
	rep.Requests = d.requests.Load()
	d.mu.Lock()
	rep.Answers = d.answers
	for op, kinds := range d.answers {
		for k, n := range kinds {
			if k != "ok" && (k != "limited" || !mayLimit[op]) {
				rep.Unexpected += n
			}
		}
	}
	d.mu.Unlock()
	rep.judge(cfg.Tolerance)
	return rep, nil
}

// judge fits the second half of the samples.
func (r *Report) judge(tol Tolerance) {
	half := r.Samples[len(r.Samples)/2:]
	if len(half) < 3 {
		return
	}
	r.Judged = true
	xs := make([]float64, len(half))
	heap := make([]float64, len(half))
	gor := make([]float64, len(half))
	for i, s := range half {
		xs[i] = s.At.Minutes()
		heap[i], gor[i] = float64(s.HeapLive), float64(s.Goroutines)
	}
	r.HeapSlope, r.GoroutineSlope = Slope(xs, heap), Slope(xs, gor)
	if r.HeapSlope > tol.HeapBytesPerMin {
		r.Growth = append(r.Growth, fmt.Sprintf("live heap grows %.0f B/min (tolerance %.0f)", r.HeapSlope, tol.HeapBytesPerMin))
	}
	if r.GoroutineSlope > tol.GoroutinesPerMin {
		r.Growth = append(r.Growth, fmt.Sprintf("goroutines grow %.2f/min (tolerance %.2f)", r.GoroutineSlope, tol.GoroutinesPerMin))
	}
}

// Slope is the least-squares slope of ys over xs (0 when xs do not vary).
func Slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if len(xs) != len(ys) || n < 2 {
		return 0
	}
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/n, sy/n
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

const header = "elapsed   requests  goroutines  heap_live_MiB  heap_inuse_MiB  rss_MiB  db_open  db_in_use"

func mib(b int64) string {
	if b < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(b)/(1<<20))
}

func orDash(n int64) string {
	if n < 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func (s Sample) row() string {
	return fmt.Sprintf("%-9s %8d  %10d  %13s  %14s  %7s  %7s  %9s", s.At.Truncate(time.Second), s.Requests, s.Goroutines,
		mib(s.HeapLive), mib(s.HeapInuse), mib(s.RSS), orDash(s.DBOpen), orDash(s.DBInUse))
}

// Write prints the report: the samples, the answers and the verdict.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintln(w, header)
	for _, s := range r.Samples {
		fmt.Fprintln(w, s.row())
	}
	if len(r.Samples) > 0 {
		first, last := r.Samples[0], r.Samples[len(r.Samples)-1]
		peakHeap, peakG, peakRSS := first, first, first
		for _, s := range r.Samples {
			if s.HeapLive > peakHeap.HeapLive {
				peakHeap = s
			}
			if s.Goroutines > peakG.Goroutines {
				peakG = s
			}
			if s.RSS > peakRSS.RSS {
				peakRSS = s
			}
		}
		fmt.Fprintf(w, "live heap MiB: start %s end %s peak %s; goroutines: start %d end %d peak %d; RSS MiB: start %s end %s peak %s\n",
			mib(first.HeapLive), mib(last.HeapLive), mib(peakHeap.HeapLive), first.Goroutines, last.Goroutines, peakG.Goroutines,
			mib(first.RSS), mib(last.RSS), mib(peakRSS.RSS))
	}
	secs := r.Elapsed.Seconds()
	if secs == 0 {
		secs = 1
	}
	fmt.Fprintf(w, "requests: %d in %s (%.1f/s), unexpected answers: %d\n", r.Requests, r.Elapsed.Truncate(time.Second), float64(r.Requests)/secs, r.Unexpected)
	for _, op := range mapsKeys(r.Answers) {
		kinds := r.Answers[op]
		var parts []string
		for _, k := range mapsKeys(kinds) {
			parts = append(parts, fmt.Sprintf("%s %d", k, kinds[k]))
		}
		fmt.Fprintf(w, "  %-16s %s\n", op, strings.Join(parts, ", "))
	}
	switch {
	case r.SampleErrors > 0:
		fmt.Fprintf(w, "verdict: FAILED: %d samples could not be taken\n", r.SampleErrors)
	case !r.Judged:
		fmt.Fprintln(w, "verdict: not judged (fewer than 3 samples in the second half)")
	case len(r.Growth) > 0:
		fmt.Fprintf(w, "verdict: GROWTH: %s\n", strings.Join(r.Growth, "; "))
	default:
		fmt.Fprintf(w, "verdict: no growth (second half: live heap %+.0f B/min, goroutines %+.2f/min)\n", r.HeapSlope, r.GoroutineSlope)
	}
}

func mapsKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---- sampling ----

// vars is what the soak reads of /debug/vars.
type vars struct {
	Goroutines int64 `json:"goroutines"`
	HeapLive   int64 `json:"heap_live_bytes"`
	RSS        int64 `json:"rss_bytes"`
	Memstats   struct {
		HeapInuse int64
	} `json:"memstats"`
	DB *struct {
		OpenConnections int64
		InUse           int64
	} `json:"db"`
}

func (d *driver) read(ctx context.Context) (vars, error) {
	var v vars
	req, err := http.NewRequestWithContext(ctx, "GET", d.cfg.DebugURL+"/debug/vars", nil)
	if err != nil {
		return v, err
	}
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		return v, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return v, fmt.Errorf("GET /debug/vars: %s", res.Status)
	}
	err = json.NewDecoder(res.Body).Decode(&v)
	return v, err
}

// sample pauses the traffic, has the server collect its garbage and
// reads its variables.
func (d *driver) sample(ctx context.Context, at time.Duration) (Sample, error) {
	d.pause.Lock()
	defer d.pause.Unlock()
	s := Sample{At: at, Requests: d.requests.Load(), RSS: -1, DBOpen: -1, DBInUse: -1}
	if err := d.collect(ctx); err != nil {
		return s, err
	}
	v, err := d.read(ctx)
	if err != nil {
		return s, err
	}
	s.Goroutines, s.HeapLive, s.HeapInuse = v.Goroutines, v.HeapLive, v.Memstats.HeapInuse
	if v.RSS >= 0 {
		s.RSS = v.RSS
	}
	if v.DB != nil {
		s.DBOpen, s.DBInUse = v.DB.OpenConnections, v.DB.InUse
	}
	return s, nil
}

// collect runs a garbage collection in the server: pprof's heap profile
// does, with gc=1.
func (d *driver) collect(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", d.cfg.DebugURL+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/heap: %s", res.Status)
	}
	return nil
}

// ---- traffic ----

type driver struct {
	cfg      Config
	run      string // tells this run's emails from another's
	admin    atomic.Pointer[string]
	requests atomic.Int64
	seq      atomic.Int64 // customers made, for emails and client addresses
	guesses  atomic.Int64 // bursts of wrong passwords, for their addresses
	mu       sync.Mutex
	answers  map[string]map[string]int64
	// pause is held for reading by every operation of the mix and for
	// writing while a sample is taken.
	pause sync.RWMutex
}

// customer is a simulated customer: its credentials, client address,
// current token and addresses.
type customer struct {
	email, password, ip, token string
	addresses                  []string
}

// count records an answer of op.
func (d *driver) count(op, kind string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.answers[op]
	if m == nil {
		m = map[string]int64{}
		d.answers[op] = m
	}
	m[kind]++
}

// answer is a response's status and JSON body.
type answer struct {
	status int
	body   map[string]any
	cookie []*http.Cookie
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// call sends a request as c (its address and, when token is set, a
// bearer token) and counts it under op: ok when the status is one of
// want, "limited" for a 429 the operation may meet, else the unexpected
// kind. It reports whether the answer was ok.
func (d *driver) call(ctx context.Context, client *http.Client, op, method, path, ip, token string, body any, want ...int) (answer, bool) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.cfg.BaseURL+path, rd)
	if err != nil {
		d.count(op, "request")
		return answer{}, false
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	res, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			d.count(op, "transport")
		}
		return answer{}, false
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode, cookie: res.Cookies()}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		if ctx.Err() == nil {
			d.count(op, "transport")
		}
		return a, false
	}
	_ = json.Unmarshal(raw, &a.body)
	d.requests.Add(1)
	switch {
	case slices.Contains(want, a.status):
		d.count(op, "ok")
		return a, true
	case a.status == http.StatusTooManyRequests:
		d.count(op, "limited")
	default:
		d.count(op, fmt.Sprintf("status %d", a.status))
	}
	return a, false
}

// newCustomer signs up a fresh customer: register, create the customer,
// refresh the token so that it names the customer.
func (d *driver) newCustomer(ctx context.Context) *customer {
	n := d.seq.Add(1)
	c := &customer{
		email:    fmt.Sprintf("soak-%s-%d@example.com", d.run, n),
		password: fmt.Sprintf("soak password %d", n),
		ip:       fmt.Sprintf("198.18.%d.%d", (n/250)%256, n%250+1),
	}
	a, ok := d.call(ctx, d.cfg.Client, "register", "POST", "/auth/customer/emailpass/register", c.ip, "",
		map[string]string{"email": c.email, "password": c.password}, 200)
	if !ok {
		return nil
	}
	reg := a.str("token")
	if _, ok := d.call(ctx, d.cfg.Client, "create_customer", "POST", "/store/customers", c.ip, reg,
		map[string]string{"email": c.email, "first_name": "Soak"}, 200); !ok {
		return nil
	}
	if a, ok = d.call(ctx, d.cfg.Client, "refresh", "POST", "/auth/token/refresh", c.ip, reg, nil, 200); !ok {
		return nil
	}
	c.token = a.str("token")
	return c
}

// mayLimit names the operations the server's throttle is expected to
// refuse now and then; a 429 anywhere else is unexpected:
//   - wrong_password: the burst goes on until the account is locked;
//   - login_after_lock, login: a locked account refuses the right password
//     too, until its lock has passed and a success has been recorded (the
//     server records it after its answer, so the customer's next request
//     may still meet the count of the burst before);
//   - reset_request: 20 an hour per client address with the server's
//     defaults, which a customer of a long run exceeds.
var mayLimit = map[string]bool{"wrong_password": true, "login_after_lock": true, "login": true, "reset_request": true}

// op is one kind of traffic, with its share of the mix.
type op struct {
	weight int
	run    func(d *driver, ctx context.Context, c *customer)
}

// mix is the traffic: shares out of their sum.
var mix = []op{
	{12, (*driver).login},
	{18, (*driver).me},
	{8, (*driver).updateProfile},
	{6, (*driver).addAddress},
	{6, (*driver).updateAddress},
	{5, (*driver).defaultAddress},
	{8, (*driver).adminList},
	{8, (*driver).refresh},
	{5, (*driver).session},
	{3, (*driver).guess},
	{4, (*driver).resetRequest},
	{2, (*driver).signUp},
}

var mixTotal = func() int {
	t := 0
	for _, o := range mix {
		t += o.weight
	}
	return t
}()

// work is one simulated client until deadline: a few customers of its
// own, each step an operation of the mix on one of them (see pick). It starts no
// operation after deadline, and lets the last one finish.
func (d *driver) work(ctx context.Context, w int, deadline time.Time) {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	var pool []*customer
	for len(pool) < 3 && ctx.Err() == nil && time.Now().Before(deadline) {
		d.pause.RLock()
		c := d.newCustomer(ctx)
		d.pause.RUnlock()
		if c != nil {
			pool = append(pool, c)
		} else {
			// The server refuses sign-ups: try again shortly rather
			// than spin.
			sleep(ctx, 100*time.Millisecond)
		}
	}
	for i := 0; len(pool) > 0 && ctx.Err() == nil && time.Now().Before(deadline); i++ {
		c := pool[rng.IntN(len(pool))]
		d.pause.RLock()
		pick(rng, i).run(d, ctx, c)
		d.pause.RUnlock()
	}
}

// pick returns the operation of step i: the whole mix in order first, so
// that a short run has every kind of traffic, then at random by weight.
func pick(rng *rand.Rand, i int) op {
	if i < len(mix) {
		return mix[i]
	}
	n := rng.IntN(mixTotal)
	for _, o := range mix {
		if n < o.weight {
			return o
		}
		n -= o.weight
	}
	return mix[len(mix)-1]
}

// idle waits inside an operation of the mix without holding up samples.
func (d *driver) idle(ctx context.Context, dur time.Duration) {
	d.pause.RUnlock()
	defer d.pause.RLock()
	sleep(ctx, dur)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (d *driver) login(ctx context.Context, c *customer) {
	a, ok := d.call(ctx, d.cfg.Client, "login", "POST", "/auth/customer/emailpass", c.ip, "",
		map[string]string{"email": c.email, "password": c.password}, 200)
	if ok {
		c.token = a.str("token")
	}
}

func (d *driver) me(ctx context.Context, c *customer) {
	d.call(ctx, d.cfg.Client, "me", "GET", "/store/customers/me", c.ip, c.token, nil, 200)
}

func (d *driver) updateProfile(ctx context.Context, c *customer) {
	d.call(ctx, d.cfg.Client, "update_profile", "POST", "/store/customers/me", c.ip, c.token,
		map[string]any{"last_name": fmt.Sprintf("Soak %d", rand.IntN(1000)), "metadata": map[string]any{"visits": rand.IntN(100)}}, 200)
}

// addAddress adds an address; a customer with five deletes its oldest
// instead, so that the data stays the same size.
func (d *driver) addAddress(ctx context.Context, c *customer) {
	if len(c.addresses) >= 5 {
		if _, ok := d.call(ctx, d.cfg.Client, "delete_address", "DELETE", "/store/customers/me/addresses/"+c.addresses[0], c.ip, c.token, nil, 200); ok {
			c.addresses = c.addresses[1:]
		}
		return
	}
	a, ok := d.call(ctx, d.cfg.Client, "add_address", "POST", "/store/customers/me/addresses", c.ip, c.token,
		map[string]any{"address_1": "1 Soak Street", "city": "Paris", "country_code": "fr", "postal_code": "75001"}, 200)
	if !ok {
		return
	}
	cust, _ := a.body["customer"].(map[string]any)
	addrs, _ := cust["addresses"].([]any)
	for _, x := range addrs {
		m, _ := x.(map[string]any)
		if id, _ := m["id"].(string); id != "" && !slices.Contains(c.addresses, id) {
			c.addresses = append(c.addresses, id)
		}
	}
}

func (d *driver) updateAddress(ctx context.Context, c *customer) {
	if len(c.addresses) == 0 {
		d.addAddress(ctx, c)
		return
	}
	id := c.addresses[rand.IntN(len(c.addresses))]
	d.call(ctx, d.cfg.Client, "update_address", "POST", "/store/customers/me/addresses/"+id, c.ip, c.token,
		map[string]any{"city": fmt.Sprintf("Lyon %d", rand.IntN(100))}, 200)
}

func (d *driver) defaultAddress(ctx context.Context, c *customer) {
	if len(c.addresses) == 0 {
		d.addAddress(ctx, c)
		return
	}
	id := c.addresses[rand.IntN(len(c.addresses))]
	d.call(ctx, d.cfg.Client, "default_address", "POST", "/store/customers/me/addresses/"+id, c.ip, c.token,
		map[string]any{"is_default_shipping": true, "is_default_billing": rand.IntN(2) == 0}, 200)
}

func (d *driver) adminList(ctx context.Context, c *customer) {
	tok := d.admin.Load()
	if tok == nil {
		d.me(ctx, c)
		return
	}
	_, ok := d.call(ctx, d.cfg.Client, "admin_list", "GET", "/admin/customers?limit=20&order=-created_at&q=soak", "", *tok, nil, 200)
	if !ok && ctx.Err() == nil {
		// The admin's token may have expired: log in again.
		if t, err := d.adminToken(ctx); err == nil {
			d.admin.Store(&t)
		}
	}
}

func (d *driver) refresh(ctx context.Context, c *customer) {
	if a, ok := d.call(ctx, d.cfg.Client, "refresh", "POST", "/auth/token/refresh", c.ip, c.token, nil, 200); ok {
		c.token = a.str("token")
	}
}

// session opens a cookie session with the token, reads the customer with
// the cookie, and logs out.
func (d *driver) session(ctx context.Context, c *customer) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Timeout: d.cfg.Client.Timeout, Transport: d.cfg.Client.Transport, Jar: jar}
	if _, ok := d.call(ctx, client, "session", "POST", "/auth/session", c.ip, c.token, nil, 200); !ok {
		return
	}
	d.call(ctx, client, "me_cookie", "GET", "/store/customers/me", c.ip, "", nil, 200)
	d.call(ctx, client, "logout", "DELETE", "/auth/session", c.ip, "", nil, 200)
}

// guess sends wrong passwords for a customer until the throttle refuses
// them (the sixth with the server's defaults), then logs in with the
// right one once the lock has passed: a success clears the count.
func (d *driver) guess(ctx context.Context, c *customer) {
	// The guesser has an address of its own, so the customer's address
	// never reaches the per-address limit of failed logins.
	n := d.guesses.Add(1)
	ip := fmt.Sprintf("198.19.%d.%d", (n/250)%256, n%250+1)
	for range 10 {
		a, _ := d.call(ctx, d.cfg.Client, "wrong_password", "POST", "/auth/customer/emailpass", ip, "",
			map[string]string{"email": c.email, "password": "not the password"}, 401)
		if a.status == http.StatusTooManyRequests || ctx.Err() != nil {
			break
		}
	}
	for range 5 {
		d.idle(ctx, 1100*time.Millisecond)
		a, ok := d.call(ctx, d.cfg.Client, "login_after_lock", "POST", "/auth/customer/emailpass", c.ip, "",
			map[string]string{"email": c.email, "password": c.password}, 200)
		if ok {
			c.token = a.str("token")
			return
		}
		if a.status != http.StatusTooManyRequests {
			return
		}
	}
}

func (d *driver) resetRequest(ctx context.Context, c *customer) {
	d.call(ctx, d.cfg.Client, "reset_request", "POST", "/auth/customer/emailpass/reset-password", c.ip, "",
		map[string]string{"identifier": c.email}, 201)
}

// signUp signs up a new customer that reads itself once; it is not kept.
func (d *driver) signUp(ctx context.Context, _ *customer) {
	if c := d.newCustomer(ctx); c != nil {
		d.me(ctx, c)
	}
}

func (d *driver) adminToken(ctx context.Context) (string, error) {
	a, ok := d.call(ctx, d.cfg.Client, "admin_login", "POST", "/auth/user/emailpass", "", "",
		map[string]string{"email": d.cfg.AdminEmail, "password": d.cfg.AdminPassword}, 200)
	if !ok || a.str("token") == "" {
		return "", fmt.Errorf("status %d", a.status)
	}
	return a.str("token"), nil
}
