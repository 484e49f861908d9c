package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/magiclink"
)

// magicLink returns the magiclink provider MAGIC_LINK configures (nil when
// off): "on" logs in the emails that have a magiclink identity, "register"
// also registers unknown emails (their first login creates the identity,
// with the email verified). MAGIC_LINK_URL is the storefront page the
// mailed link opens (the event's "link"); unset, the event carries only
// the token.
func magicLink(getenv func(string) string) (provider.Provider, error) {
	var opts []magiclink.Option
	switch v := strings.ToLower(getenv("MAGIC_LINK")); v {
	case "", "off":
		return nil, nil
	case "on":
	case "register":
		opts = append(opts, magiclink.WithRegistration())
	default:
		return nil, fmt.Errorf("MAGIC_LINK: %q is not off, on or register", v)
	}
	if raw := getenv("MAGIC_LINK_URL"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("MAGIC_LINK_URL: not an absolute http(s) URL")
		}
		opts = append(opts, magiclink.WithLinkURL(raw))
	}
	return magiclink.New(opts...), nil
}
