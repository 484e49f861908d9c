package otelclientele

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and the meter of
// this package.
const ScopeName = "github.com/clientele/clientele/otelclientele"

// An Option configures [NewQueryHook], [NewObserver] and [NewHandler].
type Option func(*config)

type config struct {
	tp    trace.TracerProvider
	mp    metric.MeterProvider
	roots bool
}

// WithTracerProvider sets the tracer provider; default the global one
// (otel.GetTracerProvider) at the time of the call that takes the option.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the meter provider; default the global one
// (otel.GetMeterProvider) at the time of the call that takes the option.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithRootQuerySpans makes [QueryHook] trace the statements that run
// outside any span too, each as a root span of its own. By default only
// statements whose context carries a span (a request's, a job's the host
// traces) are traced: background work such as the outbox dispatcher's
// polling, twice a second, would otherwise fill the traces with one-span
// traces of its own.
func WithRootQuerySpans() Option {
	return func(c *config) { c.roots = true }
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	return c
}
