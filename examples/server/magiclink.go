package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/magiclink"
)

// magicLink returns the magiclink provider MAGIC_LINK configures (nil when
// off): "on" logs in the emails that have a magiclink identity, "register"
// also registers unknown emails (their first login creates the identity,
// with the email verified). MAGIC_LINK_URL is the storefront page the
// mailed link opens (the event's "link"), with the token in its query, or
// in its fragment when the URL ends in "#"; unset, the event carries only
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
		// A URL ending in "#" gets the token in its fragment.
		page, inFragment := strings.CutSuffix(raw, "#")
		u, err := url.Parse(page)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			return nil, fmt.Errorf("MAGIC_LINK_URL: not an absolute http(s) URL without a fragment (end it in # for the token to go in one)")
		}
		if inFragment {
			opts = append(opts, magiclink.WithLinkFragment(page))
		} else {
			opts = append(opts, magiclink.WithLinkURL(page))
		}
	}
	return magiclink.New(opts...), nil
}

// verifiedEmailLinking reads LINK_VERIFIED_EMAIL: the providers whose
// logins may reach an existing identity through its verified email
// (auth.WithVerifiedEmailLinking), comma-separated, or "none". The
// default is magiclink when MAGIC_LINK is on: its login proves the email,
// so a customer who registered with a password and verified the email
// logs in by link to the same account; otherwise none.
func verifiedEmailLinking(getenv func(string) string, configured []string) ([]auth.Option, error) {
	v := strings.TrimSpace(getenv("LINK_VERIFIED_EMAIL"))
	switch {
	case strings.EqualFold(v, "none"):
		return nil, nil
	case v == "":
		if slices.Contains(configured, magiclink.ID) {
			return []auth.Option{auth.WithVerifiedEmailLinking(magiclink.ID)}, nil
		}
		return nil, nil
	}
	ids := origins(v)
	for _, id := range ids {
		if !slices.Contains(configured, id) {
			return nil, fmt.Errorf("LINK_VERIFIED_EMAIL: %q is not a configured provider (%s)", id, strings.Join(configured, ", "))
		}
	}
	return []auth.Option{auth.WithVerifiedEmailLinking(ids...)}, nil
}
