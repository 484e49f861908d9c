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
// Every request of [API.Handler] carries a read-your-writes marker
// ([ReadYourWrites], see store.ReadYourWrites): with a store that reads
// from a replica (store/postgres with a replica), the reads that follow a
// request's own write go to the primary. Mount ReadYourWrites in front of
// a host's own routes that use the stores.
//
// # Gates for a host's routes
//
// A [Guard] authenticates requests as Medusa's authenticate middleware
// does (a session cookie first, then a bearer token) and gates them, as
// plain func(http.Handler) http.Handler middleware for any router:
//
//   - [Guard.Authenticate] requires an actor type ("customer", "user" or
//     "*"), with [BearerOnly], [SessionOnly] and [AllowUnregistered]; it
//     refuses a login whose MFA challenge is pending unless
//     [AllowPendingMFA], and [RequireMFA] bounds the age of its completion;
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
// # List filters
//
// The list routes read their filters as Medusa 2.21 does: nested query
// keys as Express's query parser (qs) nests them (email[$ilike]=…,
// id[$in][0]=…, $or[0][first_name]=…, groups.name=… as groups[name]=…),
// a list of one comma-separated value split at the commas, and each
// route's schema (Medusa's validators.ts) deciding which fields take a
// value, a list or an operator map ($eq, $ne, $in, $nin, $like, $ilike,
// $gt, $gte, $lt, $lte):
//
//   - GET /admin/customers: q; id (value, list or operators); email,
//     company_name, first_name, last_name, created_by (value or list);
//     has_account; groups (a group id or ids, or groups[id], groups[name]
//     as values or lists and groups[created_at|updated_at|deleted_at]
//     operators); created_at, updated_at, deleted_at (operators but
//     $like and $ilike); $and and $or of those fields.
//   - GET /admin/customer-groups: q; id, name, created_by (value or list);
//     customers (a customer id or ids, or customers[id], [company_name],
//     [first_name], [last_name], [created_by] as values or lists,
//     customers[email] as a value, list or operators, and the time
//     operators); created_at, updated_at, deleted_at; $and and $or.
//   - GET /admin/customers/{id}/addresses: q, company, city,
//     country_code, province, postal_code (value or list).
//   - GET /store/customers/me/addresses: q, city, country_code,
//     postal_code (value or list).
//
// A deleted_at filter lists soft-deleted records, as with_deleted does.
// Everything else is a 400 invalid_data with Medusa's (zod's) message:
// "Invalid request: Expected type: 'string, array' for field 'email',
// got: '[object Object]'" for an operator map on a field without one,
// "Unrecognized fields: 'groups[nope]'" for an unknown key. A query holds
// at most [MaxQueryValues] values; each list, pattern and nesting is
// bounded as the services bound them (store.MaxFilterValues,
// store.MaxPatternBytes).
//
// # clientele's list extensions
//
// GET /admin/customers, GET /admin/customer-groups and the address lists
// (GET /admin/customers/{id}/addresses, GET /store/customers/me/addresses)
// take, beside Medusa's offset and limit, query parameters that Medusa
// does not have; a request without them gets Medusa's answer exactly.
//
//   - after=CURSOR and before=CURSOR page by keyset: the page of limit
//     rows that follows (precedes) the row the cursor was taken from, in
//     the same order, at the same cost at any depth and without repeating
//     or missing rows that are inserted or deleted meanwhile. An empty
//     after= asks for the first page. The answer then also carries
//     "next_cursor" and "prev_cursor": the cursors of the pages after and
//     before it, null when there is none. A cursor is opaque (base64url),
//     valid for the order it was made with (another order, or a malformed
//     cursor, is a 400 invalid_data "invalid after: …"); after with before,
//     or with an offset other than 0, is a 400.
//
//   - count_mode=exact|estimated|capped chooses how "count" is counted
//     (default: exact, or [Config.ListCount]): estimated takes the
//     database's estimate, capped counts up to count_cap rows (default
//     [Config.ListCountCap], 1000). When the count is not exact by request
//     or by default, the answer carries "count_mode": "estimated",
//     "capped" (more than count rows match) or "exact". The group and
//     address lists always count exactly (and say "exact").
//
// For example:
//
//	GET /admin/customers?limit=20&order=-created_at&after=
//	{"customers": […], "count": 1204, "offset": 0, "limit": 20,
//	 "next_cursor": "eyJvIjpbIi1jcmVhdGVkX2F0IiwiaWQiXSwiayI6W…", "prev_cursor": null}
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
// A write (any method but GET, HEAD and OPTIONS) authenticated by the
// session cookie must come from the API's own origin or from one of its
// CORS origins (Config.StoreCORS, AdminCORS, AuthCORS): a browser's
// Sec-Fetch-Site of same-site or cross-site, or without it an Origin of
// another host, is a 403 {"type": "forbidden"} and changes nothing.
// SameSite=Lax keeps the cookie off other sites' POSTs but not off those
// of sibling subdomains or other ports of the same host, and a form POST
// with an empty body needs no CORS preflight. Requests without either
// header (servers, the JS SDK in Node) and bearer tokens are not
// concerned.
//
// # Social login and the browser binding
//
// A redirect login (packages oidc, google and github, or a host's provider
// built on oauth2flow) has two legs. POST (or GET)
// /auth/{actor_type}/{provider} answers {"location"}, the identity
// provider's authorization URL; the identity provider sends the browser
// back to the callback URL with a code and a state, which the storefront
// hands to GET /auth/{actor_type}/{provider}/callback (the JS SDK's
// auth.callback). The state is single-use and bound to the browser that
// began the login: the callback must present the same binding, or it
// fails with a 401 and the state is spent; a callback with no binding at
// all fails too. Bindings are compared in constant time, through SHA-256
// hashes (the state store keeps only the hash). Without a binding, anyone
// could begin a login with their own account at the identity provider,
// stop before the callback and send its link to someone else, who would
// then be logged in to the attacker's account (login CSRF) and might
// leave an address or an order there.
//
// Each login is bound in one of two ways, chosen by its first leg.
//
// The binding cookie is the default, for the JS SDK in session mode
// (which sends cookies). A first leg without a client-held binding sets a
// fresh random value (256 bits) in the binding cookie ([Config.BindingCookie],
// HttpOnly, SameSite=Lax, for [Config.BindingTTL]); the callback reads it
// and clears it. It protects against a callback link from another browser
// (the attacker's cookie stays in the attacker's browser), and script
// cannot read the value. It does not protect against someone who can set
// cookies for the API's host: a sibling subdomain or a plain-HTTP page of
// the same domain can plant a binding cookie whose value it knows, and
// then hand over a callback link bound to it ([Config.HostPrefixCookies]
// closes this over HTTPS). It does not work where the client sends no
// cookies: the JS SDK in JWT mode (credentials "omit"), or a callback
// fetched cross-site, which a SameSite=Lax cookie does not accompany.
//
// The client-held binding ([BindingField], "state_binding") is for the JS
// SDK in JWT mode, unchanged. The storefront draws a random value for each
// login (32 to 128 characters of A–Z, a–z, 0–9, '-' and '_'; e.g. 32
// bytes of crypto.getRandomValues as hex), keeps it in its own storage
// (sessionStorage), and sends it in the body of the first leg:
//
//	sdk.auth.login("customer", "google", { state_binding: binding })
//
// Its callback page adds the value from its storage to the parameters the
// identity provider sent, and then removes it from its storage:
//
//	sdk.auth.callback("customer", "google", { code, state, state_binding: binding })
//
// No cookie is set. It protects against a callback link from another
// browser: the attacker's binding is in the attacker's storage, and the
// victim's storefront sends its own binding, or none. Its protection
// rests on three duties of the storefront, which the server cannot check:
//
//   - the binding of the callback comes from the storefront's storage,
//     never from the URL of its callback page. An attacker writes that
//     link, and can write the attacker's own binding into it: a page that
//     forwards all of its query parameters would forward it. Pass on
//     code, state and the identity provider's error, error_description and
//     error_uri only, and fail when the storage holds no binding.
//   - a fresh value for every login, removed once used. The callback's URL,
//     binding included, may reach access logs; a value that stayed in the
//     storage could be read there and used in a login the reader starts.
//   - a random value. The server refuses values that are plainly not
//     (shorter than 32 characters, or with fewer than 8 different
//     characters) but cannot measure randomness.
//
// It does not protect against script running in the storefront's origin
// (XSS), which can read the binding from the storage, as it can read the
// JWT that JWT mode keeps there.
//
// For both: the first leg reads a client-held binding from its JSON body
// only; one in the query is a 400 (a URL is something anyone can write
// and have a victim open). The callback reads the client-held binding from
// its query (or the JSON body of a POST callback), and the binding cookie
// only when neither carries one; a binding sent twice is a 401. The two
// kinds never match each other: a value copied from the binding cookie of
// the attacker's own browser into a callback link does not finish a
// cookie-bound login, and a planted cookie does not finish a client-bound
// one. Providers never see the client-held binding: it is removed from
// the body, query and URL they receive.
//
// # Passwordless login by email (clientele's own route)
//
// With a provider that logs in by email (provider/magiclink), POST
// /auth/{actor_type}/{provider}/request {"email", "metadata"?} starts a
// login: it answers 200 {"flow", "confirmation_code", "expires_at"},
// whether or not the email has an account, binds the login to the browser
// as a redirect login's first leg does (the binding cookie, kept for the
// login's lifetime, or the client-held binding of the body), and the auth
// service raises auth.login_email for the host's mailer. The login
// completes through POST (or GET) /auth/{actor_type}/{provider}/callback
// with {"flow", "code"} (the mailed code, from the browser that asked) or
// {"token"} (the mailed link's token; from another browser with
// "confirmation_code", the code the asking browser shows: without it the
// answer is a 401 "Enter the confirmation code shown where the login was
// requested", and nothing is spent). It answers what other logins answer.
// A refused completion keeps the binding cookie, so a mistyped code can be
// typed again. Requests are throttled per client address under
// throttle.Config.ResetIP and per email under throttle.Config.Reset; a
// request also starts a new binding cookie, which replaces that of a
// redirect login begun in the same browser.
//
// # Passkeys (clientele's own routes)
//
// Medusa has no passkeys. With provider/passkey configured, a ceremony
// takes two requests. POST /auth/{actor_type}/{provider}/begin, body
// {"ceremony": "register", "name"} or {"ceremony": "login", "email"?},
// answers {"publicKey": options} for navigator.credentials.create or .get
// and binds the ceremony to the browser as a social login's state is
// (the binding cookie, or the client-held state_binding of its body). The
// browser's credential.toJSON() then goes to POST
// /auth/{actor_type}/{provider}/callback, with the same binding: a new
// passkey-only identity and its registration token, or a login's answer
// (MFA included; a passkey with user verification completes it). Medusa's
// POST /auth/{actor_type}/{provider}/register finishes a registration
// ceremony too, with the same binding. POST /auth/{actor_type}/{provider}/link, with the
// caller's token or session, attaches the new passkey (or any provider's
// callback) to the caller's own identity and answers {"auth_identity"}.
// Providers that prove themselves with credentials in the request
// (emailpass) are refused there with 400: the route would otherwise let a
// logged-in caller test other accounts' passwords.
// A login's MFA challenge that offers "passkey" is answered with POST
// /auth/mfa/challenges/{id}/passkey (the options) and POST
// /auth/mfa/challenges/{id}/verify with {"method": "passkey", "code":
// the assertion as a JSON string}.
//
// # The ways into one's own identity (clientele's own routes)
//
// GET /auth/identity, with the caller's token or session (not one whose
// MFA challenge is pending), answers {"auth_identity": {"id",
// "provider_identities": [{"id", "provider", "entity_id",
// "user_metadata", "created_at", "updated_at"}]}}: every way in, without
// provider_metadata. DELETE /auth/identity/provider-identities/{id}
// removes one (auth.Service.UnlinkProvider) and answers the same shape
// with the caller's new "token": the removal ends every login and session
// of the identity (the one made through the removed way first), as a
// change of password does, and the caller's session, if it came with one,
// is replaced. Adding a way in (POST /auth/{actor_type}/{provider}/link),
// removing one and enabling an MFA factor (whose answer is a new login)
// need a recent login (Config.RecentLogin, default 15 minutes: a 401 "Log
// in again to change how you log in" otherwise), so that a stolen session
// of yesterday can neither plant a passkey, nor enrol a factor to pass
// for a recent login, nor lock the owner out; refreshes and rotations
// keep the login's time. Refused with 400 invalid_data: the
// identity's last way in, the last passkey while a passkey is its second
// factor, and the last way in that is not a passkey while a passkey is its
// only second factor and no recovery code is left. Another identity's is
// 404. Each removal emits auth.provider_unlinked, as each link emits
// auth.provider_linked.
//
// # Personal data (clientele's own routes)
//
// Three admin routes that Medusa does not have serve a customer's data
// rights, all behind the admin gate:
//
//   - GET /admin/customers/{id}/export answers the customer's personal data
//     as one JSON document ([account.Export]): the customer with its
//     addresses and groups, and its auth identities with their provider
//     identities (without provider_metadata: no password hash, no
//     provider token), verifications (without code hashes) and MFA
//     factors (without secrets), and, when the auth service has an audit
//     log (auth.WithAudit), the audit entries about the customer; sessions
//     are not listed.
//   - POST /admin/customers/{id}/erase erases the customer's personal data
//     ([account.Service.Erase]): names, email, phone, company, metadata
//     and address fields are emptied while ids and references stay; its
//     identities, sessions, verifications and MFA rows are deleted and its
//     tokens revoked. It answers {"id", "object": "customer", "erased":
//     true}, again on a second call, and emits customer.erased.
//   - GET /admin/customers/{id}/audit answers the audit entries about the
//     customer and its auth identities ([account.Service.AuditEntries]),
//     newest first: {"audit_entries", "offset", "limit"}, with ?limit
//     (default 50, at most 1000), ?offset and ?action (repeatable, e.g.
//     auth.login); an empty list without an audit log.
//
// All three answer 404 "Customer with id: <id> not found" for an unknown
// id.
//
// # Audit log
//
// When the auth service has an audit log (auth.WithAudit), every request's
// context carries its client (audit.WithClient): the address throttling
// uses (X-Forwarded-For read only from Config.TrustedProxies) and the
// User-Agent header, which the log truncates as configured. A login the
// address throttle refuses is recorded (auth.Service.RecordLoginRefused),
// and DELETE /auth/session records a logout in the unit of work that
// deletes the session.
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
//   - POST /auth/{actor_type}/{provider}/change-password (Medusa has no
//     such route): an authenticated caller sends {"current_password",
//     "new_password"}; a wrong current password is a failed login for the
//     throttle and a 400 invalid_data "Invalid current password"; on
//     success every earlier token and session of the identity ends, and
//     the caller gets a new token (and a new session when it came with a
//     session cookie): a fresh login with the gates of a refresh, so a
//     caller whose verification is pending gets the verification_required
//     answer and an actorless token, and a login whose MFA challenge is
//     pending is refused. See passwordroutes.go.
//   - With [Config.Throttle], logins (redirect-login callbacks included,
//     by client address), registrations, reset requests, token refreshes
//     and the starts of logins that store state (a redirect login's first
//     leg, a passkey ceremony's begin: StartIP) are throttled (Medusa has
//     no limit). A passkey registration counts against RegisterIP when its
//     ceremony begins, whichever route finishes it. A refusal is a
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
//   - Redirect logins are bound to the browser that began them (Medusa's
//     state is not): the callback needs the binding cookie, or the
//     client-held "state_binding" that the storefront adds (see "Social
//     login and the browser binding"; the JS SDK passes it unchanged).
//   - GET /auth/{actor_type}/providers for an actor type the auth service
//     does not know is a 400 not_allowed "Unknown actor type X", as its
//     logins are (Medusa lists providers for any actor type).
//   - List filters that Medusa's schemas let through but then ignore or
//     cannot run are 400s: an unknown key inside an object (groups[nope],
//     $or[0][nope], id[$nope]; Medusa drops it and lists everything), the
//     $re and $contains operators, $like and $ilike on times, a q inside
//     $and or $or, customers[default_billing_address_id] and
//     customers[default_shipping_address_id] (no such columns), a dotted
//     key of three parts (Medusa: 500), a value that is not a time on a
//     time field (Medusa passes it to PostgreSQL: 500).
//   - A list of more than 21 indexed values (id[0]…id[21]) stays a list
//     (qs makes it an object, which Medusa's schemas refuse or ignore).
//   - Filters on a customer's email compare case-insensitively (emails are
//     case-insensitive in clientele), $like included.
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
//   - Email verification follows Medusa 2.21 (see verificationroutes.go),
//     with clientele's own routes beside it: POST
//     /store/customers/me/email and /store/customers/me/email/confirm
//     change a customer's email (and login) once the new address proves
//     itself, and POST /store/customers/me/claim takes over the guest
//     records of a verified email. Failed confirmations are throttled per
//     client address and identity; no answer carries a code or its hash.
//   - MFA (see mfaroutes.go): enabling a factor (POST
//     /auth/mfa/factors/{id}/verify) ends every earlier token and session
//     of the identity and answers a new "token" beside "mfa_factor" (and
//     a new session cookie to a session caller); Medusa keeps the old
//     ones. A client that keeps its token itself (Medusa's JS SDK in JWT
//     mode) sets the new one: sdk.client.setToken(res.token). Wrong codes
//     are throttled (429); an unknown MFA method or provider is a 400, not
//     a 500. The enrolment of a second factor by an actorless token that
//     completed no challenge is refused as in Medusa's newest source.
package httpapi
