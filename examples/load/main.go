// Command load measures a Medusa-shaped server under three loads, one
// after another: GET /store/customers/me (32 in flight), GET
// /admin/customers?limit=20 (32 in flight) and an emailpass login (8 in
// flight). It prints requests per second and the 50th and 99th percentile
// latencies of each (see package internal/load). It uses only the
// standard library, so the same run measures examples/server and a Medusa
// backend on the same machine:
//
//	ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=supersecret go run ./examples/server &
//	go run ./examples/load -base http://127.0.0.1:9000 \
//	  -admin-email admin@example.com -admin-password supersecret
//
// Against Medusa, pass its publishable API key with -publishable-key and an
// admin user's credentials. The run registers one customer per login
// worker; examples/server's throttle counts those registrations per client
// address (10 an hour by default), so start it with THROTTLE=off or
// TRUSTED_PROXIES for repeated runs.
//
// -base takes several comma-separated addresses: instances of one server
// on one database (see examples/server's README). Requests go to them in
// turn, so tokens obtained from one instance are used on the others:
//
//	go run ./examples/load -base http://127.0.0.1:9000,http://127.0.0.1:9001
//
// Status 2 means the run could not
// start; 1 that a load had failures or counted no request.
//
// README.md gives the procedure of the same-machine comparison with Medusa
// 2.21.2, and seed.sql the 10,000 customers both databases get.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/clientele/clientele/internal/load"
)

func main() {
	var cfg load.Config
	var loads, bases string
	flag.StringVar(&bases, "base", "http://127.0.0.1:9000", "the server's address, or its instances' addresses separated by commas (requests go to them in turn)")
	flag.DurationVar(&cfg.Duration, "duration", 0, "measured time per load (default 10s)")
	flag.DurationVar(&cfg.Warmup, "warmup", 0, "unmeasured time before each load (default 1s)")
	flag.StringVar(&loads, "loads", "me:32,admin_list:32,login:8", "the loads in order, name:concurrency")
	flag.StringVar(&cfg.AdminEmail, "admin-email", os.Getenv("ADMIN_EMAIL"), "admin for the customer list (default $ADMIN_EMAIL); empty: the list is skipped")
	flag.StringVar(&cfg.AdminPassword, "admin-password", os.Getenv("ADMIN_PASSWORD"), "the admin's password (default $ADMIN_PASSWORD)")
	flag.StringVar(&cfg.PublishableKey, "publishable-key", "", "x-publishable-api-key for /store routes (Medusa needs one)")
	flag.Parse()
	cfg.BaseURLs = strings.Split(bases, ",")
	var err error
	if cfg.Loads, err = parseLoads(loads); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := load.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	load.Write(os.Stdout, res)
	for _, r := range res {
		if r.Skipped == "" && (r.Failures > 0 || r.Requests == 0) {
			os.Exit(1)
		}
	}
}

// parseLoads reads "name:concurrency,…".
func parseLoads(s string) ([]load.Load, error) {
	var out []load.Load
	for _, part := range strings.Split(s, ",") {
		name, conc, ok := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(conc)
		if !ok || err != nil {
			return nil, fmt.Errorf("load: %q is not name:concurrency", part)
		}
		out = append(out, load.Load{Name: name, Concurrency: n})
	}
	return out, nil
}
