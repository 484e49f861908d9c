package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	promclient "github.com/prometheus/client_golang/prometheus"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/otelclientele"
	"github.com/clientele/clientele/store/postgres"
)

// OTEL turns on OpenTelemetry (package otelclientele), off by default. Its
// value is a comma-separated list of:
//
//	stdout       every span (HTTP requests by route, and their SQL statements on
//	             PostgreSQL) as JSON on standard output
//	prometheus   the metrics (auth.logins, lockouts, login duration, registrations,
//	             resets, MFA challenges, HTTP request duration by route) at /metrics
//	             on the DEBUG_ADDR listener, which must be set
//
// "off" or unset: nothing is instrumented, and the server links the same
// code paths as without this file's options.

// metricsHandler serves /metrics on the debug listener while OTEL has
// prometheus, or is nil.
var metricsHandler atomic.Pointer[http.Handler]

// telemetry is what OTEL turns on.
type telemetry struct {
	// storeOpts and authOpts instrument the PostgreSQL store and the auth
	// service; wrap instruments the server's handler.
	storeOpts []postgres.Option
	authOpts  []auth.Option
	wrap      func(http.Handler) http.Handler
	// close flushes and stops the providers.
	close func()
}

// newTelemetry reads OTEL; stdout is where spans go with OTEL=stdout.
func newTelemetry(getenv func(string) string, stdout io.Writer, logger *slog.Logger) (*telemetry, error) {
	t := &telemetry{wrap: func(h http.Handler) http.Handler { return h }, close: func() {}}
	var traces, metrics bool
	for v := range strings.SplitSeq(getenv("OTEL"), ",") {
		switch strings.TrimSpace(strings.ToLower(v)) {
		case "", "off":
		case "stdout":
			traces = true
		case "prometheus":
			metrics = true
		default:
			return nil, fmt.Errorf("OTEL %q: want a list of stdout and prometheus, or off", getenv("OTEL"))
		}
	}
	if !traces && !metrics {
		return t, nil
	}
	if metrics && getenv("DEBUG_ADDR") == "" {
		return nil, errors.New("OTEL=prometheus serves /metrics on the debug listener: set DEBUG_ADDR")
	}
	res := resource.NewSchemaless(semconv.ServiceName("clientele-example-server"))
	var shutdowns []func(context.Context) error
	var tp trace.TracerProvider = tracenoop.NewTracerProvider()
	if traces {
		exp, err := stdouttrace.New(stdouttrace.WithWriter(stdout))
		if err != nil {
			return nil, fmt.Errorf("OTEL=stdout: %w", err)
		}
		sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		tp, shutdowns = sdk, append(shutdowns, sdk.Shutdown)
		// Requests that carry a W3C trace context continue its trace.
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	}
	var mp metric.MeterProvider = metricnoop.NewMeterProvider()
	if metrics {
		reg := promclient.NewRegistry()
		exp, err := prometheus.New(prometheus.WithRegisterer(reg))
		if err != nil {
			return nil, fmt.Errorf("OTEL=prometheus: %w", err)
		}
		sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))
		mp, shutdowns = sdk, append(shutdowns, sdk.Shutdown)
		h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		metricsHandler.Store(&h)
	}
	opts := []otelclientele.Option{otelclientele.WithTracerProvider(tp), otelclientele.WithMeterProvider(mp)}
	obs, err := otelclientele.NewObserver(opts...)
	if err != nil {
		return nil, err
	}
	t.authOpts = []auth.Option{auth.WithObserver(obs)}
	if traces {
		t.storeOpts = []postgres.Option{postgres.WithQueryHook(otelclientele.NewQueryHook(opts...))}
	}
	t.wrap = func(h http.Handler) http.Handler { return otelclientele.NewHandler(h, opts...) }
	t.close = func() {
		metricsHandler.Store(nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, f := range shutdowns {
			if err := f(ctx); err != nil {
				logger.Warn("telemetry not flushed at shutdown", "err", err)
			}
		}
	}
	logger.Info("OpenTelemetry on", "traces", traces, "metrics", metrics)
	return t, nil
}

// serveMetrics serves /metrics while OTEL has prometheus, else 404.
func serveMetrics(w http.ResponseWriter, r *http.Request) {
	if h := metricsHandler.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}
