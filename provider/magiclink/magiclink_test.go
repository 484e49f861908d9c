package magiclink

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		opts     []Option
		ttl      time.Duration
		attempts int
		link     bool
	}{
		{nil, DefaultTTL, DefaultMaxAttempts, false},
		{[]Option{WithTTL(0), WithMaxAttempts(0), WithLinkURL("")}, DefaultTTL, DefaultMaxAttempts, false},
		{[]Option{WithTTL(-time.Second), WithMaxAttempts(-1), WithLinkURL("://bad")}, DefaultTTL, DefaultMaxAttempts, false},
		{[]Option{WithTTL(time.Minute), WithMaxAttempts(3), WithLinkURL("https://shop.example/login")}, time.Minute, 3, true},
	} {
		p := New(c.opts...)
		if p.TTL() != c.ttl || p.maxAttempts != c.attempts || (p.linkURL != nil) != c.link {
			t.Errorf("%d options: ttl %v attempts %d link %v", len(c.opts), p.TTL(), p.maxAttempts, p.linkURL)
		}
	}
}

func TestDigits(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		d := digits()
		if len(d) != 6 || d < "000000" || d > "999999" {
			t.Fatalf("digits %q", d)
		}
		seen[d] = true
	}
	if len(seen) < 190 {
		t.Fatalf("%d different codes of 200", len(seen))
	}
}

// noState is an Identities without storage: it must not be reached.
type noState struct{ provider.Identities }

func TestBeginNeedsEmailAndBinding(t *testing.T) {
	p := New()
	_, err := p.BeginEmailLogin(context.Background(), provider.Input{Body: map[string]any{}, Binding: "b"}, noState{})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no email: %v", err)
	}
	if _, err := p.BeginEmailLogin(context.Background(), provider.Input{Body: map[string]any{"email": "ada@example.com"}}, noState{}); err == nil {
		t.Fatal("no binding: accepted")
	}
}
