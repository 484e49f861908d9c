// Package magiclink is passwordless login by email: a link, or a one-time
// code, mailed to the address (Medusa has no such provider; peers such as
// Kratos, better-auth and SuperTokens do). Its id is "magiclink".
//
// # The flow
//
//  1. The browser asks (auth.Service.RequestEmailLogin; over HTTP, POST
//     /auth/{actor_type}/magiclink/request {"email"}). The provider draws
//     three secrets: the link's token (a flow id and 130 random bits), a
//     six-digit code for the mail, and a six-digit confirmation code for
//     the browser that asked. It stores their SHA-256 hashes, the hash of
//     that browser's binding (httpapi's binding cookie, or a client-held
//     binding) and a count of failures in the auth service's state store,
//     under the flow id, for 15 minutes ([WithTTL]). The auth service
//     raises auth.login_email (a secret event, sealed in an outbox) with
//     the token, the code and, with [WithLinkURL] or [WithLinkFragment]
//     (the token in the link's fragment, out of server logs), the link,
//     for the host's mailer. The browser gets {"flow",
//     "confirmation_code", "expires_at"}.
//  2. The login completes through ValidateCallback (POST
//     /auth/{actor_type}/magiclink/callback), with either the link's
//     {"token"} or {"flow", "code"}.
//
// The link logs in from the browser that asked (its binding matches,
// compared in constant time). Opened anywhere else (another device, a mail
// scanner's prefetch, a forwarded mail) it answers that the confirmation
// code is needed, and spends and counts nothing; with {"token",
// "confirmation_code"} it logs in there: the person types the code the
// asking browser shows. So a link alone logs no one in outside the browser
// that asked. The mailed code works only from the browser that asked.
//
// A login completes once. A wrong link, code or confirmation code counts a
// failure; the fifth ([WithMaxAttempts]) ends the login. Under
// auth.WithThrottle the failures of every login of an email also count
// together under the service's login rule (throttle.Config.Login, keyed by
// this provider and the email, as a password login's are by emailpass):
// asking for more mails buys no more guesses, and a locked email's
// completions are refused unchecked (the login stays usable once the lock
// is over). A completion
// answers what every login answers (httpapi: Medusa's {"token"}, or the
// session route), and MFA, verification gates and revocation apply as
// they do to other logins.
//
// # Unknown emails and registration
//
// The answer to a request is the same, and the store work of a request is
// the same, whether or not the email has an identity of this provider:
// an unknown email gets an answer whose secrets complete nothing, and no
// mail. With [WithRegistration] an unknown email is mailed too, and its
// first completed login creates the identity, with the email marked
// verified (app_metadata "verified_email", as a confirmed verification
// marks it): the login proved it. Identities of other providers (an email
// and password) are not reached by a magic link unless linking by verified
// email is turned on for magiclink (auth.WithVerifiedEmailLinking) or the
// identity links it explicitly.
//
// # Throttling
//
// Requests are counted per (provider, email) under the password-reset
// request rule (throttle.Config.Reset: 5 per hour) and, in httpapi, per
// client address under throttle.Config.ResetIP. Completions are counted
// per client address as other callbacks (throttle.Config.LoginIP), and
// per login by the failure limit above.
//
// # State shared by many instances
//
// The login's state lives in the store (the OAuth state table), so any
// instance completes a login another one started. A failed completion takes
// the state and writes it back with one more failure: a completion that
// runs at the same moment finds no state and is refused.
package magiclink
