package otelclientele_test

import (
	"context"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/otelclientele"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/postgres"
)

// BenchmarkInstrumentedLogin measures a login (Login: the credential
// check and the token) at a negligible KDF cost, so that the figures are
// the rest of the work, on each store: Plain without instrumentation,
// Instrumented with the auth Observer and (on PostgreSQL) the query hook
// on SDK providers that sample every span and drop it (no exporter).
func BenchmarkInstrumentedLogin(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	opts := []otelclientele.Option{otelclientele.WithTracerProvider(tp), otelclientele.WithMeterProvider(mp)}
	obs, err := otelclientele.NewObserver(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("memory/Plain", func(b *testing.B) { benchLogin(b, memory.New()) })
	b.Run("memory/Instrumented", func(b *testing.B) { benchLogin(b, memory.New(), auth.WithObserver(obs)) })
	b.Run("postgres/Plain", func(b *testing.B) { benchLogin(b, pgtest.NewStore(b)) })
	b.Run("postgres/Instrumented", func(b *testing.B) {
		st := postgres.New(pgtest.NewStore(b).DB(), postgres.WithQueryHook(otelclientele.NewQueryHook(opts...)))
		benchLogin(b, st, auth.WithObserver(obs))
	})
}

func benchLogin(b *testing.B, st auth.Store, opts ...auth.Option) {
	ctx := context.Background()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(strings.Repeat("s", 32))})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(st, tokens, append(opts, auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))))...)
	if err != nil {
		b.Fatal(err)
	}
	creds := emailpass.Credentials(email, password)
	if _, err := svc.Register(ctx, emailpass.ID, creds.ForActor(auth.ActorCustomer)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Login(ctx, auth.ActorCustomer, emailpass.ID, creds); err != nil {
			b.Fatal(err)
		}
	}
}
