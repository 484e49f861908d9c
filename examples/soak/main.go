// Command soak drives a running examples/server with a fixed mix of
// customer and admin traffic for a while, samples the server's goroutines,
// live heap, RSS and database connections through its debug listener every
// interval, prints a table and a verdict, and exits with status 1 when the
// live heap or the goroutine count grows over the second half of the run
// beyond the tolerance, when an answer was unexpected (a 5xx, a
// transport failure, a status the operation does not expect), or when a
// sample failed or too few were taken to judge (a run shorter than six
// intervals). See package
// internal/soak for the traffic.
//
// Start the server with a debug listener, an admin, and the tool's address
// trusted as a proxy (each simulated customer has its own client address):
//
//	DEBUG_ADDR=127.0.0.1:6060 TRUSTED_PROXIES=127.0.0.1 \
//	  ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=supersecret \
//	  DATABASE_URL=postgres://… go run ./examples/server &
//	go run ./examples/soak -duration 10m -concurrency 4 \
//	  -admin-email admin@example.com -admin-password supersecret
//
// Status 2 means the run could not start.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/clientele/clientele/internal/soak"
)

func main() {
	var cfg soak.Config
	flag.StringVar(&cfg.BaseURL, "base", "http://127.0.0.1:9000", "the server's API address")
	flag.StringVar(&cfg.DebugURL, "debug", "http://127.0.0.1:6060", "the server's debug listener (DEBUG_ADDR); empty: no samples")
	flag.IntVar(&cfg.Concurrency, "concurrency", 4, "simulated customers at once")
	flag.DurationVar(&cfg.Duration, "duration", 0, "how long to run (default 1m)")
	flag.DurationVar(&cfg.Interval, "interval", 0, "time between samples (default 10s)")
	flag.StringVar(&cfg.AdminEmail, "admin-email", os.Getenv("ADMIN_EMAIL"), "admin for the customer lists (default $ADMIN_EMAIL); empty: none")
	flag.StringVar(&cfg.AdminPassword, "admin-password", os.Getenv("ADMIN_PASSWORD"), "the admin's password (default $ADMIN_PASSWORD)")
	flag.Float64Var(&cfg.Tolerance.HeapBytesPerMin, "heap-tolerance", 0, "live heap growth accepted, bytes per minute (default 1 MiB)")
	flag.Float64Var(&cfg.Tolerance.GoroutinesPerMin, "goroutine-tolerance", 0, "goroutine growth accepted per minute (default 1)")
	flag.Parse()
	cfg.Log = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := soak.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println()
	rep.Write(os.Stdout)
	if !rep.OK() {
		os.Exit(1)
	}
}
