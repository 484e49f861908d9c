package otelclientele

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/clientele/clientele/auth"
)

// Attribute keys of the auth metrics. Their values come from fixed
// vocabularies (auth.Outcome, auth.Reason) and from the ids of the
// configured providers: never an email, a token, an address or any other
// value a client sent.
const (
	ProviderKey = attribute.Key("clientele.auth.provider")
	OutcomeKey  = attribute.Key("clientele.auth.outcome")
	ReasonKey   = attribute.Key("clientele.auth.reason")
)

// Names of the auth metrics.
const (
	// MetricLogins counts logins by provider, outcome and, for a
	// failure, reason (auth.OpLogin).
	MetricLogins = "clientele.auth.logins"
	// MetricLoginDuration is the histogram of the time a login's check
	// took, in seconds, by provider and outcome (refusals of a
	// transport's throttle, which the service did not time, are left
	// out).
	MetricLoginDuration = "clientele.auth.login.duration"
	// MetricLockouts counts failed logins that locked an account, by
	// provider (auth.OpLockout).
	MetricLockouts = "clientele.auth.lockouts"
	// MetricRegistrations counts registrations by provider, outcome and
	// reason (auth.OpRegister).
	MetricRegistrations = "clientele.auth.registrations"
	// MetricPasswordResetRequests counts reset requests by provider,
	// outcome and reason (auth.OpPasswordResetRequest).
	MetricPasswordResetRequests = "clientele.auth.password_reset.requests"
	// MetricPasswordResets counts resets by provider, outcome and reason
	// (auth.OpPasswordReset).
	MetricPasswordResets = "clientele.auth.password_resets"
	// MetricMFAChallenges counts answers to MFA challenges by provider,
	// outcome and reason (auth.OpMFAChallenge).
	MetricMFAChallenges = "clientele.auth.mfa.challenges"
	// MetricEmailLoginRequests counts requests of logins by email (a
	// mailed link or code) by provider, outcome and reason
	// (auth.OpEmailLoginRequest).
	MetricEmailLoginRequests = "clientele.auth.email_login.requests"
)

// loginBuckets are the boundaries of the login duration histogram, in
// seconds: a login is dominated by its password hash, tens to hundreds of
// milliseconds.
var loginBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10}

// Observer is an auth.Observer that records the auth service's
// operations as OpenTelemetry metrics (see the Metric constants). Give it
// to the service with auth.WithObserver. It is safe for concurrent use.
type Observer struct {
	logins        metric.Int64Counter
	loginDuration metric.Float64Histogram
	counters      map[auth.Op]metric.Int64Counter
}

var _ auth.Observer = (*Observer)(nil)

// NewObserver returns an Observer whose instruments come from the meter
// provider of opts (WithMeterProvider; default the global one).
func NewObserver(opts ...Option) (*Observer, error) {
	c := newConfig(opts)
	m := c.mp.Meter(ScopeName)
	o := &Observer{counters: map[auth.Op]metric.Int64Counter{}}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		ctr, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return ctr
	}
	o.logins = counter(MetricLogins, "{login}", "Logins, by provider, outcome and failure reason.")
	var err error
	o.loginDuration, err = m.Float64Histogram(MetricLoginDuration, metric.WithUnit("s"),
		metric.WithDescription("Time a login's credential check took."),
		metric.WithExplicitBucketBoundaries(loginBuckets...))
	errs = append(errs, err)
	o.counters[auth.OpLogin] = o.logins
	o.counters[auth.OpLockout] = counter(MetricLockouts, "{lockout}", "Failed logins that locked an account.")
	o.counters[auth.OpRegister] = counter(MetricRegistrations, "{registration}", "Registrations, by provider, outcome and failure reason.")
	o.counters[auth.OpPasswordResetRequest] = counter(MetricPasswordResetRequests, "{request}", "Password reset requests.")
	o.counters[auth.OpPasswordReset] = counter(MetricPasswordResets, "{reset}", "Password resets, by outcome and failure reason.")
	o.counters[auth.OpMFAChallenge] = counter(MetricMFAChallenges, "{challenge}", "Answers to MFA challenges, by outcome and failure reason.")
	o.counters[auth.OpEmailLoginRequest] = counter(MetricEmailLoginRequests, "{request}", "Requests of logins by email (link or code), by provider, outcome and failure reason.")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}

// Observe records ob. An operation outside auth.Ops is ignored.
func (o *Observer) Observe(ctx context.Context, ob auth.Observation) {
	ctr, ok := o.counters[ob.Op]
	if !ok {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 3)
	attrs = append(attrs, ProviderKey.String(ob.Provider))
	if ob.Op != auth.OpLockout {
		attrs = append(attrs, OutcomeKey.String(string(ob.Outcome)))
		if ob.Reason != "" {
			attrs = append(attrs, ReasonKey.String(string(ob.Reason)))
		}
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	ctr.Add(ctx, 1, set)
	if ob.Op == auth.OpLogin && ob.Duration > 0 {
		o.loginDuration.Record(ctx, ob.Duration.Seconds(),
			metric.WithAttributeSet(attribute.NewSet(attrs[:2]...)))
	}
}
