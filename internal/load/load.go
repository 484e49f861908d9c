// Package load measures the throughput and latency of a Medusa-shaped
// server (examples/server, or a Medusa backend) under three fixed loads:
// the customer's own profile (GET /store/customers/me), an admin's
// customer list (GET /admin/customers?limit=20) and an emailpass login.
// Each load runs for a duration at its own concurrency; the result is the
// requests per second and the 50th and 99th percentile latencies of the
// answers that had the expected status. Only the standard library is
// used, so the same program measures both servers from one machine.
//
// A run may be given several base URLs: instances of one server that share
// a database (two examples/server processes on one PostgreSQL database).
// Every request, sign-ups and logins included, goes to the next instance
// in turn, so a token obtained from one instance is used on the others.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The loads, by name.
const (
	Me        = "me"
	AdminList = "admin_list"
	Login     = "login"
)

// Load is one load: its name (Me, AdminList or Login) and how many
// requests are in flight at once.
type Load struct {
	Name        string
	Concurrency int
}

// DefaultLoads are the loads of the comparison with Medusa: me and the
// admin list at 32 in flight, logins at 8.
var DefaultLoads = []Load{{Me, 32}, {AdminList, 32}, {Login, 8}}

// Config is a run.
type Config struct {
	// BaseURLs are the server's instances, e.g. http://127.0.0.1:9000
	// (one) or http://127.0.0.1:9000 and http://127.0.0.1:9001 (two
	// instances on one database). Requests go to them in turn.
	BaseURLs []string
	// Duration is how long each load runs (default 10s); Warmup how long
	// it runs before that, unmeasured (default 1s).
	Duration, Warmup time.Duration
	// Loads are the loads, in order (default DefaultLoads).
	Loads []Load
	// Run names the customers the run registers (default the time), so
	// that runs against one database do not collide.
	Run string
	// AdminEmail and AdminPassword log an admin in for AdminList; without
	// them the admin list is skipped.
	AdminEmail, AdminPassword string
	// PublishableKey is sent in x-publishable-api-key to /store routes
	// (Medusa requires one).
	PublishableKey string
	// Client makes the requests (default: a client with enough idle
	// connections for the largest concurrency).
	Client *http.Client
}

// Result is what one load measured.
type Result struct {
	Load
	// Requests counts the answers with the expected status; Failures the
	// others (other statuses and transport errors).
	Requests, Failures int
	// Elapsed is the measured time.
	Elapsed time.Duration
	// P50 and P99 are latency percentiles of the counted requests.
	P50, P99 time.Duration
	// Skipped says why the load did not run ("" when it ran).
	Skipped string
}

// PerSecond is the load's throughput in counted requests per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func (c *Config) defaults() error {
	if len(c.BaseURLs) == 0 {
		return errors.New("load: no base URL")
	}
	bases := make([]string, len(c.BaseURLs))
	for i, b := range c.BaseURLs {
		if bases[i] = strings.TrimRight(strings.TrimSpace(b), "/"); bases[i] == "" {
			return fmt.Errorf("load: base URL %d of %d is empty", i+1, len(c.BaseURLs))
		}
	}
	c.BaseURLs = bases
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	} else if c.Warmup == 0 {
		c.Warmup = time.Second
	}
	if len(c.Loads) == 0 {
		c.Loads = DefaultLoads
	}
	most := 1
	for _, l := range c.Loads {
		switch l.Name {
		case Me, AdminList, Login:
		default:
			return fmt.Errorf("load: unknown load %q (want %s, %s or %s)", l.Name, Me, AdminList, Login)
		}
		if l.Concurrency < 1 {
			return fmt.Errorf("load: load %s needs a concurrency of at least 1", l.Name)
		}
		most = max(most, l.Concurrency)
	}
	if c.Run == "" {
		c.Run = fmt.Sprint(time.Now().UnixNano())
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: most * 2, MaxIdleConnsPerHost: most * 2, IdleConnTimeout: time.Minute,
		}}
	}
	return nil
}

// Run runs the loads one after another and returns their results. Before
// them it registers one customer per login worker (and uses the first
// for me) and logs the admin in; a failure there ends the run.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	d := &driver{cfg: cfg}
	workers := 1
	for _, l := range cfg.Loads {
		if l.Name == Login {
			workers = max(workers, l.Concurrency)
		}
	}
	for i := range workers {
		c, err := d.signUp(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("load: sign-up %d: %w", i, err)
		}
		d.customers = append(d.customers, c)
	}
	if cfg.AdminEmail != "" {
		tok, err := d.login(ctx, "user", cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return nil, fmt.Errorf("load: admin login: %w", err)
		}
		d.admin = tok
	}
	var out []Result
	for _, l := range cfg.Loads {
		r := Result{Load: l}
		if l.Name == AdminList && d.admin == "" {
			r.Skipped = "no admin"
			out = append(out, r)
			continue
		}
		d.measure(ctx, &r)
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

type customer struct{ email, password, token string }

type driver struct {
	cfg       Config
	customers []customer
	admin     string
	sent      atomic.Uint64 // requests sent, to pick the next base URL
}

// base returns the base URL of the next request: the instances take
// requests in turn.
func (d *driver) base() string {
	n := d.sent.Add(1) - 1
	return d.cfg.BaseURLs[n%uint64(len(d.cfg.BaseURLs))]
}

// errStatus is an answer with a status the request does not expect.
type errStatus struct{ got, want int }

func (e errStatus) Error() string { return fmt.Sprintf("status %d, want %d", e.got, e.want) }

// do sends a request to the next instance and decodes a JSON answer into out (when not nil);
// an answer with another status than want is an errStatus.
func (d *driver) do(ctx context.Context, method, path, token string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base()+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if d.cfg.PublishableKey != "" && strings.HasPrefix(path, "/store/") {
		req.Header.Set("x-publishable-api-key", d.cfg.PublishableKey)
	}
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return errStatus{res.StatusCode, want}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (d *driver) login(ctx context.Context, actor, email, password string) (string, error) {
	var a struct {
		Token string `json:"token"`
	}
	if err := d.do(ctx, "POST", "/auth/"+actor+"/emailpass", "", map[string]string{"email": email, "password": password}, &a, 200); err != nil {
		return "", err
	}
	if a.Token == "" {
		return "", errors.New("no token in the login's answer")
	}
	return a.Token, nil
}

// signUp registers customer i of the run, creates its customer and logs
// it in (the login's token names the customer).
func (d *driver) signUp(ctx context.Context, i int) (customer, error) {
	c := customer{email: fmt.Sprintf("load-%s-%d@example.com", d.cfg.Run, i), password: fmt.Sprintf("load password %d", i)}
	var reg struct {
		Token string `json:"token"`
	}
	if err := d.do(ctx, "POST", "/auth/customer/emailpass/register", "", map[string]string{"email": c.email, "password": c.password}, &reg, 200); err != nil {
		return c, fmt.Errorf("register: %w", err)
	}
	if err := d.do(ctx, "POST", "/store/customers", reg.Token, map[string]string{"email": c.email, "first_name": "Load"}, nil, 200); err != nil {
		return c, fmt.Errorf("create customer: %w", err)
	}
	tok, err := d.login(ctx, "customer", c.email, c.password)
	if err != nil {
		return c, fmt.Errorf("login: %w", err)
	}
	c.token = tok
	return c, nil
}

// request sends worker w's request of load name.
func (d *driver) request(ctx context.Context, name string, w int) error {
	switch name {
	case Me:
		return d.do(ctx, "GET", "/store/customers/me", d.customers[0].token, nil, nil, 200)
	case AdminList:
		return d.do(ctx, "GET", "/admin/customers?limit=20", d.admin, nil, nil, 200)
	default:
		c := d.customers[w%len(d.customers)]
		_, err := d.login(ctx, "customer", c.email, c.password)
		return err
	}
}

// measure runs r's load: its workers send requests back to back through
// the warm-up and the measured time, and r counts those of the latter.
func (d *driver) measure(ctx context.Context, r *Result) {
	start := time.Now()
	from, until := start.Add(d.cfg.Warmup), start.Add(d.cfg.Warmup+d.cfg.Duration)
	lat := make([][]time.Duration, r.Concurrency)
	fails := make([]int, r.Concurrency)
	var wg sync.WaitGroup
	for w := range r.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				err := d.request(ctx, r.Name, w)
				if t0.Before(from) {
					continue
				}
				if err != nil {
					if ctx.Err() == nil {
						fails[w]++
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	// The measured time ends at until: requests started before it and
	// answered after it count, as their latency says, but the time they
	// ran over does not lower the rate.
	r.Elapsed = min(time.Since(from), until.Sub(from))
	all := slices.Concat(lat...)
	slices.Sort(all)
	r.Requests = len(all)
	for _, f := range fails {
		r.Failures += f
	}
	r.P50, r.P99 = Percentile(all, 50), Percentile(all, 99)
}

// Percentile returns the p-th percentile (nearest rank) of sorted, or 0
// when it is empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Write prints results as a table.
func Write(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "load\tconcurrency\trequests\tfailures\treq/s\tp50\tp99")
	for _, r := range results {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t- (%s)\n", r.Name, r.Concurrency, r.Skipped)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%s\t%s\n", r.Name, r.Concurrency, r.Requests, r.Failures, r.PerSecond(), ms(r.P50), ms(r.P99))
	}
	tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
