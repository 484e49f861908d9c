// Package oidctest is a fake identity provider for tests: an in-process
// OpenID Connect provider and GitHub look-alike on an httptest server, so
// that a host application can test its social logins (the providers of
// packages oidc, google and github, or its own) without the internet.
//
// A [Server] serves:
//
//   - /.well-known/openid-configuration, the discovery document (the
//     issuer is [Server.URL]);
//   - /jwks, the public half of an RS256 key;
//   - /authorize, an authorization endpoint that approves at once: it
//     sends the browser back to redirect_uri with a code and the state.
//     It requires PKCE (code_challenge_method S256) and the registered
//     client id; a login_hint picks a user added with [Server.AddUser];
//   - /token, a token endpoint that authenticates the client (HTTP Basic
//     or form body; parameters in the URL are refused), checks the
//     redirect_uri and the PKCE code_verifier against the code's
//     challenge, redeems each code once, and issues RS256-signed
//     id_tokens (iss, sub, aud, exp, iat, nonce, at_hash, email,
//     email_verified, name, given_name, family_name, picture);
//   - GitHub's /login/oauth/authorize and /login/oauth/access_token
//     (errors with HTTP 200, as GitHub does; tokens without expires_in;
//     JSON when asked with Accept, else a form body), and the API's /user
//     and /user/emails, for a GitHub provider whose web and API base URLs
//     are both [Server.URL].
//
// [Server.Login] plays the browser: given the authorization URL a
// provider returned, it performs the authorization step and returns the
// callback's query (code and state) to hand to the provider's callback.
//
// [Server.Misbehave] turns on misbehaviour, to prove a client's defences:
// id_tokens with a bad signature, "alg": "none" or HMAC, another audience
// or issuer, expired, with another nonce, without sub; unverified emails;
// replayed codes accepted; PKCE not checked; token endpoint answers with
// a 4xx or 5xx status or malformed JSON; GitHub's error-with-200; API
// failures; a denied authorization. [Server.Requests] shows what the
// server received.
//
// A login against the fake provider, with the auth service:
//
//	idp := oidctest.NewServer(t)
//	p, _ := oidc.New(oidc.Config{
//		Issuer: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(),
//		CallbackURL: "https://shop.example/callback",
//	}, oidc.WithHTTPClient(idp.Client()))
//	svc, _ := auth.NewService(memory.New(), tokens, auth.WithProvider(p))
//
//	res, _ := svc.Authenticate(ctx, "oidc", provider.Input{Binding: "browser-1"})
//	query, _ := idp.Login(ctx, res.Location)
//	res, _ = svc.ValidateCallback(ctx, "oidc", provider.Input{Query: query, Binding: "browser-1"})
//	// res.AuthIdentity's provider identity has entity_id DefaultUser().Subject
//
// The server's RSA keys are made once per process (a 2048-bit key costs
// a tenth of a second under the race detector) and shared by its
// servers; each server has its own issuer URL.
//
// # Concurrency
//
// A Server is safe for concurrent use; settings changed with SetUser,
// AddUser and Misbehave apply to the requests that follow.
package oidctest
