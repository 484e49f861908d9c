// Package httpapi is an optional net/http layer that speaks Medusa v2's
// REST shapes for the customer and auth modules: the /auth routes (login,
// registration, social-login callbacks, token refresh, password reset,
// cookie sessions), the /store customer routes of the logged-in customer
// and the /admin customer and customer-group routes. It also gives a
// host's own routes the same authentication, gates and errors, without
// those routes.
//
// Mount [API.Handler] on a server or an [http.ServeMux]:
//
//	api, err := httpapi.New(httpapi.Config{Customers: customers, …, Sessions: st})
//	mux.Handle("/", api.Handler())
//
// httpapi never picks a storage backend: the host passes every store,
// the session store ([Config.Sessions], a [session.Store]) included. Give
// every instance of an application the same one (store/postgres), so that
// sessions and their revocation hold across instances.
//
// # Gates for a host's routes
//
// A [Guard] authenticates requests as Medusa's authenticate middleware
// does (a session cookie first, then a bearer token) and gates them, as
// plain func(http.Handler) http.Handler middleware for any router:
//
//   - [Guard.Authenticate] requires an actor type ("customer", "user" or
//     "*"), with [BearerOnly], [SessionOnly] and [AllowUnregistered];
//   - [Guard.RequireGroups] requires a customer in one of some customer
//     groups, by id or by name.
//
// Behind a gate, [ClaimsFrom] and [CustomerID] read who the request is
// authenticated as. Build a Guard with [NewGuard] from the auth service
// alone (sessions, groups and logger optional), or take the one the routes
// use from [API.Guard].
//
// # Answers
//
// Entities are answered with Medusa's keys and defaults for each route. A
// text field that is unset is null, not "" (clientele stores "" as NULL, so
// an empty string sent in a body is answered null too); unset metadata and
// deleted_at are null. A relation that was asked for is an array, [] when
// it is empty; one that was not is absent.
//
// The fields query parameter follows Medusa: "+f" (or " f", an unencoded
// "+") adds f to the route's defaults and "-f" removes it; a bare name
// anywhere in the list makes the list replace the defaults (its "+" names
// included); "*rel" or "rel.*" answers a relation with every field of its
// entities, "rel.key" answers only those keys of them (for example
// fields=addresses.city answers {"id", "addresses": [{"city"}]}); the
// customers of a group always carry their id. id is always answered.
// Unknown names, a bare relation name ("groups") and deeper paths
// ("groups.customers.email") answer nothing. Parsing is linear in the
// length of the parameter.
//
// The admin routes answer a customer's addresses and groups and a group's
// customers. The store routes answer a customer its own fields and its own
// live addresses only. Whatever fields asks, they leave out, silently as
// Medusa 2.20 and later do: the customer's groups (groups, *groups,
// groups.name, …), created_by, any relation other than addresses, and on
// the address routes the address's deleted_at. with_deleted on its
// address list is a 400, and another customer's address is a 404.
//
// In update bodies, null clears a field as in Medusa: a text field becomes
// null, and "metadata": null clears the metadata (an object is merged key
// by key, a key set to "" is removed). A group's name and the default
// address flags cannot be null (a 400).
//
// # Errors
//
// Errors use Medusa's envelope {"type", "message"} (plus "code" for 422
// and 500) and its status codes; the authentication middleware answers
// {"message": "Unauthorized"} as Medusa's does, and a gate refusing an
// authenticated request answers 403 {"type": "forbidden", "message":
// "Forbidden"} (Medusa's FORBIDDEN). The message a client sees is the
// error's public message (store.PublicMessage: a *store.ValidationError's
// Message or "invalid <field>: <reason>", Medusa's not-found and conflict
// sentences, sentinels made with store.Sentinel, provider messages); an
// error without one gets a generic message for its status ("Invalid
// request.", "Not found.", …, and Medusa's "An unknown error occurred." for
// 500s) and its detail goes to the log. [WriteError] and
// [Guard.WriteError] write errors this way for a host's own handlers.
//
// Request bodies are strict JSON: unknown fields, wrong types and
// malformed JSON are 400s, bodies over [Config.MaxBodyBytes] are 413s
// that the client can read (the rest of the body is read and discarded,
// up to 16 × the limit, then the connection is closed). A panic in a
// handler is logged and answered with a 500 unknown_error, never a stack
// trace.
//
// # Bounded input
//
// Before a route runs, and again in the services (so every backend is
// covered), input that no backend should receive is refused with a 400
// invalid_data that names the field: a NUL byte or invalid UTF-8 in the
// path, a query parameter, or any string of a body (metadata keys and
// values included); a q of more than 8 words or 256 bytes (the services'
// WithSearchLimits options); a fields parameter of more than [MaxFields]
// names; a limit over [Config.MaxLimit] (default 1000).
//
// # Cookies and headers
//
// Cookies are HttpOnly, SameSite=Lax, Path=/, host-only, and Secure over
// TLS or behind a proxy that sends X-Forwarded-Proto: https (see
// [SecureAuto]); [Config.HostPrefixCookies] names them "__Host-…".
// Sessions end after [Config.SessionTTL], and, with
// [Config.SessionIdleTimeout], after that long unused. Every response of
// [API.Handler] carries X-Content-Type-Options: nosniff; those of /auth
// and every JSON answer carry Cache-Control: no-store.
//
// # Differences from Medusa
//
//   - Publishable API keys are a fixed list (Config.PublishableKeys), not
//     records with sales channels; with no list /store routes do not check.
//   - Sessions are kept server-side in a [session.Store], keyed by the
//     SHA-256 of the cookie value, and get a new id at every login; DELETE
//     /auth/session revokes them.
//   - An unknown order field is a 400 "Order field X is not valid" (Medusa
//     answers 500).
//   - Tokens are revocable (see package auth): POST /auth/logout-all ends
//     every token and session of the caller's identity, a password reset
//     does too, and POST /auth/token/refresh refuses a revoked token or a
//     login older than the maximum login age. With auth.WithRefreshRotation,
//     logins also answer a rotating "refresh_token" for POST
//     /auth/token/rotate (see revokeroutes.go).
//   - With [Config.Throttle], logins, registrations, reset requests and
//     token refreshes are throttled (Medusa has no limit): a refusal is a
//     429 {"type": "not_allowed", "message": "Too many attempts. Try again
//     later."} with Retry-After in seconds, except a reset request refused
//     for its identifier, which still answers 201 and sends nothing. The
//     client's address comes from the connection, or from X-Forwarded-For
//     only behind [Config.TrustedProxies] ([ClientAddr]).
//   - limit has a maximum (Config.MaxLimit, default 1000; Medusa has
//     none), q at most 8 words and 256 bytes, fields at most 100 names:
//     more is a 400 invalid_data.
//   - A NUL byte or invalid UTF-8 in any input is a 400 invalid_data
//     naming the field (Medusa passes it to PostgreSQL: a 500, or its
//     error text in a 401).
//   - "" is stored as NULL and answered null (Medusa keeps and answers "").
//   - In fields, "-f" in a list that replaces the defaults removes f
//     (Medusa adds it), "-*rel" removes the relation (Medusa ignores it),
//     an unknown key of a relation answers {} (Medusa answers null items),
//     and relations of relations ("customers.addresses.city" on a group,
//     which Medusa answers) are not answered: each level would cost a query
//     per row.
//   - POST /store/customers with a registration token whose identity has
//     its customer already answers 422 "Customer with this email already
//     has an account" whatever the email (Medusa answers it for the same
//     email, and a 500 for another).
package httpapi
