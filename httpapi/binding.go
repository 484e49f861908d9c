package httpapi

import (
	"net/http"
	"net/url"

	"github.com/clientele/clientele/provider"
)

// BindingField names the client-held browser binding of a social login:
// a field of the JSON body of the first leg (POST
// /auth/{actor_type}/{provider}, the body of the JS SDK's auth.login) and
// a query parameter of the callback (GET
// /auth/{actor_type}/{provider}/callback, the query of the SDK's
// auth.callback), or a field of a POST callback's JSON body. See the
// package documentation, "Social login and the browser binding".
const BindingField = "state_binding"

// Bounds of a client-held binding: 32 to 128 characters of the URL-safe
// alphabet (A–Z, a–z, 0–9, '-', '_'), at least minBindingDistinct of them
// different. 32 hex digits carry 128 bits; crypto.randomUUID() (122
// random bits) fits too.
const (
	minBindingLen      = 32
	maxBindingLen      = 128
	minBindingDistinct = 8
)

// The two kinds of binding reach the provider with different prefixes, so
// that a state bound through one channel never matches a value presented
// through the other: the binding cookie's value (which its owner can read)
// sent as a query parameter does not finish a cookie-bound login, and a
// cookie planted by a sibling subdomain does not finish a client-bound one.
const (
	cookieBindingPrefix = "cookie\x00"
	clientBindingPrefix = "client\x00"
)

// Messages of refused bindings.
const (
	msgBindingTwice = "The browser binding must be sent once"
	msgBindingShape = "Invalid request: Field '" + BindingField + "' must be 32 to 128 letters, digits, '-' or '_', drawn at random for this login"
	msgBindingPOST  = "Invalid request: Field '" + BindingField + "' is read from the JSON body of a POST"
)

// validBinding reports whether v has the shape of a client-held binding.
// It cannot measure randomness; it refuses only what plainly is not random
// (too short, or fewer than minBindingDistinct different characters, as a
// constant placeholder would be).
func validBinding(v string) bool {
	if len(v) < minBindingLen || len(v) > maxBindingLen {
		return false
	}
	var seen [128]bool
	distinct := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	return distinct >= minBindingDistinct
}

// takeBinding removes the client-held binding from in (query and body,
// and the URL the provider sees), so that no provider receives, stores or
// logs it, and returns the values found in the query and in the body.
func takeBinding(in *provider.Input) (query []string, body any, inBody bool) {
	if query = in.Query[BindingField]; query != nil {
		in.Query.Del(BindingField)
		if u, err := url.Parse(in.URL); err == nil {
			u.RawQuery = in.Query.Encode()
			in.URL = u.String()
		}
	}
	if body, inBody = in.Body[BindingField]; inBody {
		delete(in.Body, BindingField)
	}
	return query, body, inBody
}

// startBinding binds the first leg of a login: to the value the client
// sent in the JSON body (client-held), or to a fresh random value for the
// binding cookie, which it returns for the caller to set when the login
// redirects. A value the browser brings in a cookie is never reused: it
// may have been planted by someone else. A value in the query is refused:
// a URL is something anyone can write and have a victim open.
func startBinding(in *provider.Input) (cookie string, err error) {
	query, body, inBody := takeBinding(in)
	if query != nil {
		return "", invalidData(msgBindingPOST)
	}
	if !inBody {
		cookie = randomValue()
		in.Binding = cookieBindingPrefix + cookie
		return cookie, nil
	}
	v, ok := body.(string)
	if !ok || !validBinding(v) {
		return "", invalidData(msgBindingShape)
	}
	in.Binding = clientBindingPrefix + v
	return "", nil
}

// firstLegInput reads the provider input of a request that begins a
// login bound to the browser (a redirect login's first leg, a passkey
// ceremony's begin, an email login's request) and binds it: cookie is the
// new binding cookie's value, "" when the client holds the binding.
func (a *API) firstLegInput(w http.ResponseWriter, r *http.Request) (in provider.Input, cookie string, err error) {
	if in, err = a.providerInput(w, r); err != nil {
		return in, "", err
	}
	cookie, err = startBinding(&in)
	return in, cookie, err
}

// callbackBinding sets the binding a callback presents: the client-held
// one when the request carries it (query, or a POST's JSON body), else
// the binding cookie's value, else none (the provider then refuses the
// login). It reports whether the binding cookie was used.
func (a *API) callbackBinding(r *http.Request, in *provider.Input) (usedCookie bool, err error) {
	query, body, inBody := takeBinding(in)
	switch {
	case len(query) == 0 && !inBody:
		if c, err := r.Cookie(a.cfg.BindingCookie); err == nil && c.Value != "" {
			in.Binding = cookieBindingPrefix + c.Value
			return true, nil
		}
		return false, nil
	case len(query) == 1 && !inBody:
		in.Binding = clientBindingPrefix + query[0]
	case len(query) == 0 && inBody:
		v, _ := body.(string)
		in.Binding = clientBindingPrefix + v
	default:
		return false, newError(http.StatusUnauthorized, typeUnauth, msgBindingTwice)
	}
	// A malformed value reaches the provider all the same: it matches no
	// state, and the state the callback names is spent like that of any
	// callback from a foreign browser.
	return false, nil
}
