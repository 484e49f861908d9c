package httpapi

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/clientele/clientele/throttle"
)

// ClientAddr returns the address of the client that sent r: the address
// of the connection (r.RemoteAddr), unless that is one of the trusted
// proxies. Then it is read from X-Forwarded-For, where each proxy appends
// the address it was connected from: the rightmost entry that is not
// itself a trusted proxy is the client, as the outermost trusted proxy saw
// it. Entries to its left were written by the client and are ignored, so a
// client cannot choose its address by sending the header. When every entry
// is a trusted proxy, the leftmost is taken; an entry that is not an
// address ends the walk at the trusted hop to its right. An unreadable
// RemoteAddr gives the zero netip.Addr.
func ClientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer, _ := parseHop(r.RemoteAddr)
	if !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	last := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := parseHop(hops[i])
		if !ok {
			return last
		}
		if !isTrusted(ip, trusted) {
			return ip
		}
		last = ip
	}
	return last
}

// parseHop reads an address, with or without a port, without its zone;
// an IPv4-mapped IPv6 address is its IPv4 address.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	ip, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		ip = ap.Addr()
	}
	return ip.WithZone("").Unmap(), true
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	if !ip.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// clientAddr is ClientAddr with the API's trusted proxies.
func (a *API) clientAddr(r *http.Request) netip.Addr {
	return ClientAddr(r, a.cfg.TrustedProxies)
}

// clientIP is the client's address for logs.
func (a *API) clientIP(r *http.Request) string {
	if ip := a.clientAddr(r); ip.IsValid() {
		return ip.String()
	}
	return r.RemoteAddr
}

// throttleRefresh counts token refreshes per client address.
func (a *API) throttleRefresh(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := a.cfg.Throttle.RefreshFrom(r.Context(), a.clientAddr(r)); err != nil {
			return err
		}
		return next(w, r)
	}
}

// setRetryAfter sets Retry-After (whole seconds) when err is a
// *throttle.LimitError.
func setRetryAfter(w http.ResponseWriter, err error) {
	var le *throttle.LimitError
	if errors.As(err, &le) {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, le.RetryAfter.Seconds()))))
	}
}
