// Package oidc is a generic OpenID Connect login provider, which the
// google provider presets for Google. Its OAuth 2.0 flow is package
// oauth2flow's, shared with the github provider ([Flow], [Login] and the
// Msg constants here are aliases of that package's, kept for existing
// callers).
//
// A [Provider] is configured with an issuer URL (its endpoints and keys
// come from the issuer's discovery document, through
// github.com/coreos/go-oidc), a client id and secret and a callback URL:
//
//	p, err := oidc.New(oidc.Config{
//		Issuer:       "https://login.example.com",
//		ClientID:     "shop",
//		ClientSecret: secret,
//		CallbackURL:  "https://shop.example/auth/customer/oidc/callback",
//	})
//	svc, err := auth.NewService(st, tokens, auth.WithProvider(p))
//
// A login has two legs, both with the same browser binding (an opaque
// value the host keeps in a cookie of its own, e.g. random bytes set
// HttpOnly when the login starts):
//
//	res, err := svc.Authenticate(ctx, "oidc", provider.Input{Binding: cookie})
//	// redirect the browser to res.Location
//	…
//	res, err = svc.ValidateCallback(ctx, "oidc", provider.Input{Query: r.URL.Query(), Binding: cookie})
//	// res.AuthIdentity is the person; svc.Token issues clientele's token
//
// Package oidctest is an identity provider for tests, on httptest.
//
// # Security
//
// Each property below is held for every provider built on
// [oauth2flow.Flow] (the nonce and the id_token only by OpenID Connect
// providers):
//
//   - state: 256 random bits (64 hex digits), stored for 10 minutes under
//     a hash of itself (the auth service hashes state keys), taken on
//     use, so a callback cannot be replayed, and bound to the browser that
//     began the login: a callback whose Binding differs ("This login was
//     started in another browser"), is empty ("A login must be bound to
//     the browser that starts it: the browser binding is missing"), or
//     comes after the state was used or expired ("No state provided, or
//     session expired") fails. A login cannot start without a Binding.
//   - PKCE with S256 on every authorization request; the verifier is
//     sealed (AES-GCM, keyed by the state) in the state store.
//   - a nonce on every OpenID Connect request, compared in constant time
//     with the id_token's.
//   - the id_token's signature is checked against the issuer's published
//     keys (only the algorithms its discovery document lists, never
//     "none" nor HMAC), with iss, aud (the client id) and exp.
//   - the code is exchanged with the client's credentials in the
//     Authorization header (or the form body when the issuer only
//     supports client_secret_post), never in the URL. An error answer, a
//     4xx or 5xx status, an error body sent with HTTP 200 or a malformed
//     answer fails the login with its status and creates nothing.
//   - the callback URL is configuration: a request may choose another
//     with body.callback_url only if it is one of AllowedCallbackURLs.
//   - the identity is keyed by (provider id, sub). A login never attaches
//     itself to another identity because the email is the same: it
//     reports the email and whether the issuer verified it
//     ([provider.NewIdentity] Email and EmailVerified), and the auth
//     service alone decides on linking.
//   - the identity provider's tokens are not stored unless
//     Config.StoreTokens is set.
//
// # Hints, token checks and tenants
//
// Config.AuthParams adds parameters to the authorization request (hints
// such as Google's hd, Microsoft's domain_hint or prompt); they never
// replace the protocol's own. A hint is not a control: Config.CheckIDToken
// sees every verified id_token ([IDToken]: iss, sub, aud and all the
// claims) before any identity is found or created, and its error refuses
// the login. Package google builds its hosted-domain restriction on both.
//
// Config.IssuerTemplate serves the identity providers whose one endpoint
// serves many tenants and whose discovery document names an issuer
// template instead of itself, such as Microsoft Entra ID's
// "organizations" and "common" endpoints
// (https://login.microsoftonline.com/{tenantid}/v2.0): each id_token's iss
// must then be the template filled with the token's own tid claim, and
// CheckIDToken chooses the tenants. See Example_microsoftEntraID for
// Entra ID, single-tenant and multi-tenant.
//
// # Errors
//
// New fails on a missing issuer, client id, client secret or callback
// URL with a *provider.Error of kind store.ErrInvalid and Medusa's message
// ("<Name> clientId is required"…), and on an AuthParams entry that names
// a protocol parameter or an IssuerTemplate without exactly one
// "{tenantid}".
//
// Failures are *provider.Error values with a message for the user and a
// kind: provider.ErrUnauthorized for failed callbacks (Medusa's "No code
// provided", "No state provided, or session expired", "Could not
// exchange token, 401, Unauthorized", "Could not verify <Name> id_token:
// …"), store.ErrInvalid for bad requests (no Binding, a callback_url not
// allowed, registration) and for an unverified email where one is
// required (Medusa's "Email not verified, cannot proceed with
// authentication"). Errors from the token endpoint or the verifier are
// also reachable with errors.As (e.g. *oauth2.RetrieveError,
// *oidc.TokenExpiredError) for logging.
//
// # Identities
//
// entity_id is the id_token's sub. user_metadata holds the claims email,
// email_verified, name, given_name, family_name and picture that the
// token has. A returning person's user_metadata is refreshed when it
// changed (Medusa keeps the first one), so tokens carry current names.
//
// # Differences from Medusa
//
// Medusa's Google and GitHub providers have no PKCE and no nonce, accept
// any callback_url, do not bind state to the browser, send the client
// secret in the token request's URL, and (up to 2.12) do not verify the
// id_token's signature. Registration fails with Medusa's message, as
// store.ErrInvalid.
//
// # Concurrency
//
// A Provider is safe for concurrent use. Of concurrent
// callbacks with the same state exactly one gets past the state check.
package oidc
