package audit

import (
	"context"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clientele/clientele/store"
)

// Client is the client an action came from.
type Client struct {
	// IP is the client's address (the invalid Addr when unknown).
	IP netip.Addr
	// UserAgent is the client's User-Agent header, as sent.
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying the client an action comes from: its
// address (after any trusted proxies, as the transport determines it)
// and its user agent. httpapi sets it for every request; a host with its
// own transport sets it the same way. The Log truncates both as it is
// configured before it writes them.
func WithClient(ctx context.Context, ip netip.Addr, userAgent string) context.Context {
	return context.WithValue(ctx, clientKey{}, Client{IP: ip, UserAgent: userAgent})
}

// ClientFrom returns the client ctx carries (the zero Client when none).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// clean drops invalid UTF-8 and control characters.
func clean(s string) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if unicode.IsControl(r) {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// bound cleans s and cuts it to at most n bytes, at a rune boundary.
func bound(s string, n int) string {
	s = clean(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// withoutUnit returns ctx without its unit of work and its cancellation:
// an entry written on its own is written whatever became of the caller.
func withoutUnit(ctx context.Context) context.Context {
	return store.WithoutUnit(context.WithoutCancel(ctx))
}
