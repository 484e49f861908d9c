// Package passkey is clientele's passkey provider: registration and login
// by WebAuthn (github.com/go-webauthn/webauthn), a passkey being the only
// credential of an account (a discoverable credential: the login names no
// user) or one more way into an account that has a password.
//
// Medusa has no passkeys: this provider, auth.Service.Begin and the
// routes of httpapi that drive it are clientele extensions.
//
// # Ceremonies
//
// Each ceremony takes two steps. Begin (auth.Service.Begin) answers the
// options for the browser's navigator.credentials.create (ceremony
// "register") or navigator.credentials.get (ceremony "login"), as the
// WebAuthn JSON forms; the browser's answer, its PublicKeyCredential's
// toJSON(), is then the body of Register (a new account whose only
// credential is the passkey), of auth.Service.Link (the passkey joins the
// logged-in identity) or of Login (an assertion: the identity of the
// passkey it names).
//
// A login may name its account: Begin's body "email" restricts the
// options to the passkeys of the identity whose email-and-password login
// that is (provider.EmailFinder). An email without such an identity, or
// whose identity has no passkey, gets the options of a usernameless login;
// the options still tell whether an email has passkeys (their
// allowCredentials), as any login that names its account does.
//
// As a second factor, package auth begins the ceremony itself
// (auth.Service.BeginPasskeyMFA), bound to the MFA challenge, and accepts
// only a passkey of the challenge's identity.
//
// A login whose assertion carries the UV flag (the authenticator verified
// its user with a PIN or a biometric; the flag is signed) is multi-factor
// by itself: its result says so (provider.Result.MultiFactor), and package
// auth completes the identity's MFA with it rather than asking for a
// second factor. A login without user verification is one factor, and an
// identity with MFA on gets its challenge, which does not offer a passkey:
// one passkey (a security key without a PIN, say) is never both factors.
// When a passkey is the identity's only second factor, such a login is
// refused (auth.ErrPasskeyNotBothFactors). Config.UserVerification
// "required" makes every passkey login multi-factor.
//
// A ceremony's state is kept in the store (auth.Store's state, as OAuth
// state is), so any instance may finish what another began, under its
// challenge: it is taken once (a replayed answer finds nothing), expires
// after Config.ChallengeTTL (default five minutes) and is bound to the
// browser that began it (provider.Input.Binding, which httpapi draws from
// its binding cookie or from the client): a different binding spends the
// challenge and finishes nothing.
//
// # What is checked
//
// The library checks the WebAuthn ceremony: the challenge, the origin
// against Config.Origins, the rpIdHash against Config.RPID, the user
// presence (and verification when Config.UserVerification is
// "required"), the signature against the stored public key, and the
// backup-eligible flag, which never changes. Attestation is "none":
// clientele does not judge authenticator models.
//
// The signature counter guards against cloned authenticators, as the
// specification suggests: when the stored count or the presented one is
// not zero, a count that does not go up is refused (ErrUnauthorized, "the
// passkey may have been cloned") and the stored passkey is left as it
// was. Authenticators that do not count (always zero) pass. The counter is
// written only if no other login moved it meanwhile. The backup state (a
// synced passkey) and the user-verified flag follow each login.
//
// # Storage
//
// Each passkey is a provider identity of this provider: entity_id is the
// base64url credential id, user_metadata {"name"} the account name given
// at registration, and provider_metadata holds the credential record —
// the user handle, the COSE public key, the sign count, the AAGUID, the
// backup-eligible and backup-state flags, the user-verified flag, the
// transports and the attestation format (read it with CredentialOf). So
// both stores keep passkeys with no table of their own, an account may
// have many of them, and deleting the identity deletes them. The user
// handle is random for each passkey: it names no one.
package passkey
