package audit_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

func TestNewRefusesBadOptions(t *testing.T) {
	st := memory.New()
	for name, opt := range map[string]audit.Option{
		"v4 prefix": audit.WithIPPrefix(33, 48),
		"neg v4":    audit.WithIPPrefix(-1, 48),
		"v6 prefix": audit.WithIPPrefix(24, 129),
		"ua length": audit.WithUserAgentLength(audit.MaxFieldLength + 1),
		"neg ua":    audit.WithUserAgentLength(-1),
		"retention": audit.WithRetention(-time.Hour),
		"nil clock": audit.WithClock(nil),
	} {
		if _, err := audit.New(st, opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := audit.New(nil); err == nil {
		t.Error("nil store accepted")
	}
}

// A nil *Log records nothing and fails nothing: a service without an
// audit log pays nothing.
func TestNilLog(t *testing.T) {
	var lg *audit.Log
	ctx := t.Context()
	if err := lg.Record(ctx, audit.Entry{Action: audit.ActionLogin}); err != nil {
		t.Fatal(err)
	}
	lg.RecordDetached(ctx, audit.Entry{})
	if got, err := lg.List(ctx, audit.Filter{}, audit.Page{}); got != nil || err != nil {
		t.Fatal(got, err)
	}
	if n, err := lg.Purge(ctx); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	if n, err := lg.Anonymise(ctx, audit.Filter{}); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	if lg.Enabled() || lg.Retention() != 0 {
		t.Fatal("a nil log is enabled")
	}
}

func TestRecordBoundsAndCleans(t *testing.T) {
	st := memory.New()
	lg, err := audit.New(st, audit.WithUserAgentLength(10))
	if err != nil {
		t.Fatal(err)
	}
	// A user agent with a control character, invalid UTF-8 and a
	// multi-byte rune across the limit.
	ctx := audit.WithClient(t.Context(), netip.MustParseAddr("192.0.2.1"), "ab\x00c\xffdefgh€xyz")
	long := strings.Repeat("x", audit.MaxFieldLength+10)
	if err := lg.Record(ctx, audit.Entry{Action: audit.ActionLogin, Outcome: audit.Success, ActorID: long,
		Details: map[string]string{"k\n": "v\x00"}}); err != nil {
		t.Fatal(err)
	}
	got, err := lg.List(t.Context(), audit.Filter{}, audit.Page{})
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	e := got[0]
	if e.UserAgent != "abcdefgh" || e.IP != "192.0.2.1" || len(e.ActorID) != audit.MaxFieldLength || e.Details["k"] != "v" {
		t.Fatalf("entry %+v", e)
	}
	if !strings.HasPrefix(e.ID, "audit_") || e.CreatedAt.IsZero() {
		t.Fatalf("entry %+v", e)
	}
	// What the store refuses comes back as a validation error.
	err = lg.Record(t.Context(), audit.Entry{Action: audit.ActionLogin, Outcome: "perhaps"})
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Field != "outcome" {
		t.Fatalf("bad outcome: %v", err)
	}
	err = lg.Record(t.Context(), audit.Entry{Action: audit.ActionLogin, Outcome: audit.Failure, Reason: "tired"})
	if !errors.As(err, &ve) || ve.Field != "reason" {
		t.Fatalf("bad reason: %v", err)
	}
	if _, err := lg.List(t.Context(), audit.Filter{}, audit.Page{Limit: audit.MaxLimit + 1}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("limit: %v", err)
	}
	if _, err := lg.Anonymise(t.Context(), audit.Filter{}); err == nil {
		t.Fatal("anonymising everything accepted")
	}
}

// clock is a settable clock.
type clock struct{ at time.Time }

func (c *clock) now() time.Time { return c.at }

func TestPurgeAndJanitor(t *testing.T) {
	st := memory.New()
	c := &clock{at: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	lg, err := audit.New(st, audit.WithClock(c.now), audit.WithRetention(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range audit.PurgeBatch + 5 {
		if err := lg.Record(t.Context(), audit.Entry{Action: audit.ActionLogin, Outcome: audit.Success}); err != nil {
			t.Fatal(err)
		}
	}
	c.at = c.at.Add(23 * time.Hour)
	if err := lg.Record(t.Context(), audit.Entry{Action: audit.ActionLogout, Outcome: audit.Success}); err != nil {
		t.Fatal(err)
	}
	if n, err := lg.Purge(t.Context()); n != 0 || err != nil {
		t.Fatalf("purged %d (%v) within the retention", n, err)
	}
	c.at = c.at.Add(2 * time.Hour)
	// In batches, until none is left.
	if n, err := lg.Purge(t.Context()); n != audit.PurgeBatch+5 || err != nil {
		t.Fatalf("purged %d (%v)", n, err)
	}
	c.at = c.at.Add(24 * time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		(&audit.Janitor{Log: lg, Every: time.Hour}).Run(ctx)
		close(done)
	}()
	// The janitor purges at once; wait for it, then stop it.
	for {
		got, err := lg.List(t.Context(), audit.Filter{}, audit.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

func Example() {
	st := memory.New()
	lg, err := audit.New(st, audit.WithIPPrefix(24, 48))
	if err != nil {
		panic(err)
	}
	// httpapi sets the client for every request; a host's own transport
	// does the same.
	ctx := audit.WithClient(context.Background(), netip.MustParseAddr("203.0.113.7"), "curl/8.0")
	_ = lg.Record(ctx, audit.Entry{Action: audit.ActionLogin, Outcome: audit.Failure,
		Reason: audit.ReasonInvalidCredentials, AuthIdentityID: "authid_1", Provider: "emailpass"})
	entries, _ := lg.List(ctx, audit.Filter{AuthIdentityIDs: []string{"authid_1"}}, audit.Page{})
	for _, e := range entries {
		fmt.Println(e.Action, e.Outcome, e.Reason, e.IP, e.UserAgent)
	}
	// Output: auth.login failure invalid_credentials 203.0.113.0/24 curl/8.0
}
