package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
)

// auditOptions reads AUDIT, AUDIT_IP, AUDIT_USER_AGENT_LENGTH and
// AUDIT_RETENTION: the auth option that turns the audit log on (none with
// AUDIT=off), and a function that stops its janitor (which purges entries
// older than AUDIT_RETENTION every hour).
func auditOptions(st audit.Store, getenv func(string) string, logger *slog.Logger) ([]auth.Option, func(), error) {
	if strings.EqualFold(getenv("AUDIT"), "off") {
		logger.Warn("AUDIT=off: security events are not recorded")
		return nil, func() {}, nil
	}
	var opts []audit.Option
	switch v := strings.ToLower(getenv("AUDIT_IP")); v {
	case "", "full":
	case "network":
		opts = append(opts, audit.WithIPPrefix(24, 48))
	case "none":
		opts = append(opts, audit.WithoutIP())
	default:
		return nil, nil, fmt.Errorf("AUDIT_IP %q: want full, network or none", v)
	}
	if v := getenv("AUDIT_USER_AGENT_LENGTH"); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil {
			return nil, nil, fmt.Errorf("AUDIT_USER_AGENT_LENGTH %q: want a number of bytes", v)
		}
		opts = append(opts, audit.WithUserAgentLength(n))
	}
	retention, err := duration(getenv, "AUDIT_RETENTION", 0)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, audit.WithRetention(retention), audit.WithLogger(logger))
	lg, err := audit.New(st, opts...)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&audit.Janitor{Log: lg, Every: time.Hour, Logger: logger}).Run(ctx)
	}()
	stop := func() { cancel(); <-done }
	logger.Info("audit log on", "retention", retention.String())
	return []auth.Option{auth.WithAudit(lg)}, stop, nil
}
