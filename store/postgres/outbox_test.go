package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// rawOutbox returns every row of clientele_outbox as PostgreSQL's JSON
// text of the row: what a dump or a reader of the table sees.
func rawOutbox(t testing.TB, st *postgres.Store) string {
	t.Helper()
	var rows []string
	if err := st.DB().NewRaw(`SELECT row_to_json(o)::text FROM clientele_outbox o ORDER BY seq`).Scan(t.Context(), &rows); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

// TestOutboxSecretNotInClear reads the raw rows: the secret of an event is
// never in the table in clear, before delivery or after.
func TestOutboxSecretNotInClear(t *testing.T) {
	st := pgtest.NewStore(t)
	ob, err := outbox.New(st, outbox.WithKeys(servicetest.TestOutboxKey))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "reset-token-7f3a9c"
	ev := event.Event{Name: "auth.password_reset", Secret: true, Data: map[string]any{"entity_id": "ada@example.com", "token": secret}}
	if err := ob.Emit(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	raw := rawOutbox(t, st)
	if strings.Contains(raw, secret) {
		t.Fatalf("sealed event data readable in the table: %s", raw)
	}
	if !strings.Contains(raw, `"key_id":"test1"`) || strings.Contains(raw, `"sealed":null`) {
		t.Fatalf("row not sealed with the key: %s", raw)
	}
	got := make(chan event.Event, 1)
	d, err := outbox.NewDispatcher(ob, event.SinkFunc(func(_ context.Context, e event.Event) error {
		got <- e
		return nil
	}), outbox.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = d.Run(t.Context()) }()
	e := <-got
	if e.Data["token"] != secret || !e.Secret {
		t.Fatalf("delivered %+v", e)
	}
	if err := d.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	raw = rawOutbox(t, st)
	if !strings.Contains(raw, `"sealed":null`) || !strings.Contains(raw, `"delivered_at":"`) {
		t.Fatalf("delivered row keeps its sealed data: %s", raw)
	}
}

// BenchmarkOutboxCustomerCreate measures what the outbox adds to a
// customer create: each iteration creates one customer through a service
// without a sink, one through a service with a plain sink (delivery after
// commit, best-effort) and one through a service with the outbox (one more
// INSERT in the transaction; no dispatcher runs), in turn, so that the
// load of a shared machine weighs on all three alike. It reports the
// median time of each, in microseconds.
func BenchmarkOutboxCustomerCreate(b *testing.B) {
	st := emptied(b)
	ob, err := outbox.New(st, outbox.WithKeys(servicetest.TestOutboxKey))
	if err != nil {
		b.Fatal(err)
	}
	variants := []struct {
		name string
		svc  *customer.Service
		took []time.Duration
	}{
		{name: "none", svc: newCustomersWith(b, st)},
		{name: "plain-sink", svc: newCustomersWith(b, st, customer.WithEventSink(&event.Recorder{}))},
		{name: "outbox", svc: newCustomersWith(b, st, customer.WithEventSink(ob))},
	}
	i := 0
	for b.Loop() {
		i++
		for k := range variants {
			v := &variants[(i+k)%len(variants)] // rotate the order
			start := time.Now()
			if _, err := v.svc.Create(b.Context(), customer.CreateParams{Email: fmt.Sprintf("%s-%d@example.com", v.name, benchSeq.Add(1))}); err != nil {
				b.Fatal(err)
			}
			v.took = append(v.took, time.Since(start))
		}
	}
	for _, v := range variants {
		slices.Sort(v.took)
		b.ReportMetric(float64(v.took[len(v.took)/2])/float64(time.Microsecond), v.name+"-µs")
	}
}

// BenchmarkOutboxLatency measures the time from a customer create's commit
// to the sink's call, with the dispatcher woken by the commit (same
// process) and with a dispatcher of another Outbox value (another
// instance) that finds rows by polling every 100ms. It reports p50 and
// p99 in milliseconds.
func BenchmarkOutboxLatency(b *testing.B) {
	st := emptied(b)
	for _, bc := range []struct {
		name    string
		polling bool
	}{{"wake", false}, {"poll-100ms", true}} {
		b.Run(bc.name, func(b *testing.B) {
			ob, err := outbox.New(st, outbox.WithKeys(servicetest.TestOutboxKey))
			if err != nil {
				b.Fatal(err)
			}
			from := ob
			if bc.polling {
				if from, err = outbox.New(st, outbox.WithKeys(servicetest.TestOutboxKey)); err != nil {
					b.Fatal(err)
				}
			}
			got := make(chan time.Time, 1)
			d, err := outbox.NewDispatcher(ob, event.SinkFunc(func(context.Context, event.Event) error {
				got <- time.Now()
				return nil
			}), outbox.WithPollInterval(100*time.Millisecond))
			if err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Go(func() { _ = d.Run(context.WithoutCancel(b.Context())) })
			defer func() {
				_ = d.Shutdown(context.Background())
				wg.Wait()
			}()
			svc := newCustomersWith(b, st, customer.WithEventSink(from))
			var lat []time.Duration
			for b.Loop() {
				var committed time.Time
				err := st.InTx(b.Context(), func(ctx context.Context) error {
					if _, err := svc.Create(ctx, customer.CreateParams{Email: fmt.Sprintf("lat-%s-%d@example.com", bc.name, benchSeq.Add(1))}); err != nil {
						return err
					}
					store.AfterCommit(ctx, func() { committed = time.Now() })
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, max(0, (<-got).Sub(committed)))
			}
			slices.Sort(lat)
			ms := func(q float64) float64 {
				return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

// benchSeq numbers the emails of the benchmarks' customers, unique across
// runs of one binary (-count).
var benchSeq atomic.Int64

func newCustomersWith(tb testing.TB, st *postgres.Store, opts ...customer.Option) *customer.Service {
	tb.Helper()
	addresses, err := address.NewService(st)
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := customer.NewService(st, addresses, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}
