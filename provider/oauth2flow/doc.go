// Package oauth2flow is the OAuth 2.0 authorization-code login that the
// oidc, google and github providers share, for a host that writes a
// provider of its own for another identity provider: a [Flow] for the
// browser's two legs (start and callback) and the token exchange, and
// [Login] to find or create the identity of the identity provider's
// subject. It depends on golang.org/x/oauth2 only (no OpenID Connect
// library); an OpenID Connect provider adds the id_token check itself, as
// package oidc does.
//
// A provider built on it looks like this (fetchUser stands for the
// identity provider's user API; the package example is a runnable one):
//
//	func (p *Acme) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
//		loc, err := p.flow.Begin(ctx, in, ids, p.oauth, false)
//		if err != nil {
//			return nil, err
//		}
//		return &provider.Result{Location: loc}, nil
//	}
//
//	func (p *Acme) ValidateCallback(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
//		cb, err := p.flow.Finish(ctx, in, ids)
//		if err != nil {
//			return nil, err
//		}
//		tok, err := p.flow.Exchange(ctx, cb, p.oauth, p.client)
//		if err != nil {
//			return nil, err
//		}
//		u, err := p.fetchUser(ctx, tok)
//		if err != nil {
//			return nil, err
//		}
//		return oauth2flow.Login(ctx, p.ID(), ids, provider.NewIdentity{EntityID: u.ID, Email: u.Email, EmailVerified: u.Verified})
//	}
//
// # Security
//
//   - state: 256 random bits (64 hex digits), stored for [DefaultStateTTL]
//     (or Flow.StateTTL) through [provider.Identities.SetState] (the auth
//     service keys stored states by a hash of the state), taken on use,
//     so a callback cannot be replayed, and bound to the browser that
//     began the login: a callback whose Binding differs ([MsgForeignBrowser]),
//     is empty ([MsgNoBinding]), or comes after the state was used or
//     expired ([MsgNoState]) fails. A login cannot start without a Binding
//     ([MsgNoBinding]). A callback from another browser spends the state
//     all the same. The Binding is compared through a hash (SHA-256) in
//     constant time; the state store holds only that hash.
//   - PKCE with S256 on every authorization request. The verifier, the
//     nonce, the callback URL and a hash of the binding are sealed
//     (AES-GCM, keyed by the state) in the state store: the store holds
//     neither a usable state nor a readable verifier, and a changed value
//     is refused.
//   - a nonce on request (Begin's withNonce), for OpenID Connect.
//   - the code is exchanged with the client's credentials in the
//     Authorization header or the form body (oauth2.Endpoint.AuthStyle),
//     never in the URL. An error answer, a 4xx or 5xx status, an error
//     body sent with HTTP 200 or a malformed answer fails the login.
//   - the callback URL is configuration: a request may choose another
//     with body.callback_url only if it is one of Flow.AllowedCallbackURLs
//     ([MsgCallbackNotAllowed]).
//   - an error the identity provider reports in the callback (query
//     "error", "error_description", "error_uri") fails the login with a
//     cleaned message, and spends the state.
//
// # Errors
//
// Every failure of a login is a *provider.Error with a message for the
// user and a kind: provider.ErrUnauthorized for failed callbacks and
// exchanges, store.ErrInvalid for refused starts. Exchange's errors also
// match their cause with errors.As (e.g. *oauth2.RetrieveError).
//
// # Concurrency
//
// A Flow is safe for concurrent use once configured. Of concurrent
// callbacks with the same state exactly one gets past the state check.
package oauth2flow
