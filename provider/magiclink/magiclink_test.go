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
		{[]Option{WithLinkFragment("")}, DefaultTTL, DefaultMaxAttempts, false},
		{[]Option{WithLinkFragment("://bad")}, DefaultTTL, DefaultMaxAttempts, false},
		{[]Option{WithLinkFragment("https://shop.example/login")}, DefaultTTL, DefaultMaxAttempts, true},
	} {
		p := New(c.opts...)
		if p.TTL() != c.ttl || p.maxAttempts != c.attempts || (p.linkURL != nil) != c.link {
			t.Errorf("%d options: ttl %v attempts %d link %v", len(c.opts), p.TTL(), p.maxAttempts, p.linkURL)
		}
	}
}

func TestLink(t *testing.T) {
	const token = "FLOWID234567.SECRETABCDEFG"
	for _, c := range []struct {
		opt  Option
		want string
	}{
		{WithLinkURL("https://shop.example/login"), "https://shop.example/login?token=" + token},
		{WithLinkURL("https://shop.example/login?from=mail&token=old#top"), "https://shop.example/login?from=mail&token=" + token + "#top"},
		{WithLinkFragment("https://shop.example/login"), "https://shop.example/login#token=" + token},
		{WithLinkFragment("https://shop.example/login?from=mail#old"), "https://shop.example/login?from=mail#token=" + token},
		// The last option wins.
		{func(p *Provider) { WithLinkFragment("https://a.example/x")(p); WithLinkURL("https://b.example/y")(p) }, "https://b.example/y?token=" + token},
		{func(p *Provider) { WithLinkURL("https://b.example/y")(p); WithLinkFragment("https://a.example/x")(p) }, "https://a.example/x#token=" + token},
	} {
		if got := New(c.opt).link(token); got != c.want {
			t.Errorf("link %q, want %q", got, c.want)
		}
	}
	// The provider's URL is not changed by a link.
	p := New(WithLinkFragment("https://shop.example/login?from=mail"))
	p.link(token)
	if got := p.linkURL.String(); got != "https://shop.example/login?from=mail" {
		t.Errorf("link URL became %q", got)
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
