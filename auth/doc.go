// Package auth is clientele's auth module: what Medusa v2's
// IAuthModuleService does, as a Go service.
//
// A [Service] dispatches logins to providers ([Service.Authenticate],
// [Service.Register], [Service.ValidateCallback], [Service.UpdateProvider]),
// keeps auth identities and provider identities (create, retrieve, list,
// update, delete), links actors to identities (app_metadata
// "<actor_type>_id" keys, [Service.SetActor]), issues, verifies and
// refreshes JWTs with Medusa's claims ([Tokens]), and runs password
// resets and changes, email verification and multi-factor authentication
// (TOTP and recovery codes).
//
// A host's own login handler needs one call: [Service.Login]
// authenticates and issues the token (a redirect provider's first step
// answers a Location instead), and [Service.LoginCallback] finishes a
// redirect login the same way:
//
//	l, err := authSvc.Login(ctx, auth.ActorCustomer, "emailpass", emailpass.Credentials(email, password))
//	// l.Identity, l.Token
//
// Sign-up (register, customer, link, token) is account.Service.SignUp,
// built on [Service.RegisterThen].
//
// # Providers
//
// Providers implement provider.Provider; emailpass (email and password,
// Medusa-compatible hashes) ships in provider/emailpass. Which providers an
// actor type may use is configuration ([WithActorProviders]), and so are
// the actor types themselves ([WithActorTypes]; [ActorCustomer] and
// [ActorUser] by default). [Service.Token] applies the same rules as a
// login: it refuses an empty or unknown actor type, an unknown provider,
// and a provider the actor type may not use. A provider's panic is recovered and reported as an error.
// Password hashes never appear in an identity the service returns.
//
// A login that adds a way into an existing identity ([Service.Link], or
// linking by verified email, [WithVerifiedEmailLinking]) emits
// auth.provider_linked ([EventProviderLinked]) in the link's unit of
// work, for the host to tell the owner.
//
// # Soft delete and restore
//
// [Service.SoftDeleteAuthIdentities] marks identities deleted with their
// provider identities (Medusa's cascade): a soft-deleted identity cannot log
// in, and its tokens and cookie sessions are revoked ([Service.RevokeAll];
// with a [RevocationStore], as both built-in backends have).
// [Service.RestoreAuthIdentities] brings the identities and their provider
// identities back; tokens issued before the soft delete stay revoked.
// [Service.SoftDeleteProviderIdentities] and
// [Service.RestoreProviderIdentities] do the same for one way to log in
// (the identity's other logins and its tokens stay). Retrieve and list with
// WithDeleted to see what is deleted: an identity read so comes with its
// soft-deleted provider identities. Each change emits an event
// ([EventIdentityDeleted], [EventProviderIdentityDeleted] and their
// restored twins) after it commits.
//
// Identities and provider identities take an id from the caller
// (CreateIdentityParams.ID, NewProviderIdentity.ID), as Medusa's
// createAuthIdentities and createProviderIdentities do, e.g. to keep the ids
// of an imported user base; one taken is [ErrConflict].
//
// # Tokens
//
// [Tokens] signs HS256 with a secret by default, so tokens interoperate
// with a Medusa backend that has the same secret, or RS256, ES256 or EdDSA
// with a kid, several verification keys for rotation, and a JWKS document.
// Verification has an explicit algorithm allow-list, requires exp and
// rejects alg none, algorithm confusion, tampering, expiry, and a wrong
// issuer or audience when configured. A reset token is not an auth token
// and an auth token is not a reset token.
//
// # Revocation
//
// Each identity has a "tokens valid after" time, kept in a
// [RevocationStore] (store/memory and store/postgres implement it; on
// PostgreSQL the table clientele_token_revocation, beside Medusa's).
// [Service.ResetPassword], [Service.ChangePassword], [Service.RevokeAll]
// ("logout everywhere") and account deletion move it to now, and
// [Service.Verify], [Service.Refresh] and [Service.VerifyClaims] (for the
// claims a cookie session keeps) refuse tokens issued before it with
// [ErrTokenRevoked]. Tokens of clientele carry "iat_ms" (the issue time in
// milliseconds) beside Medusa's whole-second iat, and the time is stored
// as the next whole millisecond, so a token issued in the same millisecond
// as a revocation is refused and a login just after it is accepted. A
// token without iat_ms (minted by a Medusa server) is compared by whole
// seconds: one issued in the revocation's second is refused.
//
// The check reads a per-identity cache: the instance that revokes honours
// it at once, the others within [DefaultRevocationCacheTTL] (1 s;
// [WithRevocationCacheTTL]), at the cost of one primary-key read per
// active identity per second per instance, never one per request.
//
// Tokens carry the login time ("login_at"); a refresh keeps it and
// refuses a login older than [DefaultMaxLoginAge] (30 days;
// [WithMaxLoginAge]) with [ErrLoginTooOld], and a refreshed token never
// expires later than that. A token minted by Medusa has no login_at: its
// iat stands for the login, so it works, and refreshes, until revoked or
// until 30 days after its iat.
//
// With [WithRefreshRotation] (off by default), [Service.IssueRefreshToken]
// starts a family of opaque refresh tokens, stored as SHA-256 hashes, and
// [Service.Rotate] trades one for a new access token and a new refresh
// token; presenting a spent one again revokes its family and every token
// of the identity ([ErrRefreshTokenReused]).
//
// # Password reset
//
// [Service.RequestPasswordReset] makes a single-use token (15 minutes by
// default) in Medusa 2.21's form, stores the SHA-256 of its jti, replaces
// older tokens, and emits auth.password_reset with the token for the host
// to e-mail. That event is delivered in a goroutine of its own after the
// call returns, so a slow mailer cannot tell known emails from unknown
// ones; [Service.Flush] waits for it. With a transactional sink (package
// outbox) the event is written, sealed, in the unit that stores the token,
// and its dispatcher delivers it later. An unknown email is not an error,
// emits nothing, and costs comparable work. [Service.ResetPassword] uses a token once;
// [Service.ChangePassword] needs the current password.
//
// # Email verification
//
// [Service.RequestVerification] and [Service.ConfirmVerification] are
// Medusa 2.21's requestAuthVerification and confirmAuthVerification with
// its "token" provider, on its auth_verification table (a
// [VerificationStore]; store/memory and store/postgres implement it): a
// request makes a single-use code of 32 random bytes (base64url), keeps
// only its SHA-256, kills the entity's older code, and sends the code to
// the event sink as auth.verification_requested (Medusa's payload),
// delivered after the call returns; a confirmation works once, within
// [DefaultVerificationTTL] (15 minutes; [WithVerificationTTL]), with
// Medusa's errors for unknown, used, expired and wrong-provider codes.
// With [WithThrottle], requests per entity and failed confirmations per
// identity are limited.
//
// [WithVerificationsPerActor] is Medusa's http.authVerificationsPerActor:
// a login of a gated actor type through a gated provider answers an
// actorless token with VerificationRequired ([Service.LoginToken]) until
// the provider identity's entity id is verified; so do the refresh of an
// actorless token (a *[VerificationRequiredError]) and a refresh-token
// rotation. When both a verification and MFA apply, the verification
// comes first, as in Medusa's generateJwtTokenWithChecks. A confirmed
// login email marks the identity's email verified ([VerifiedEmailKey]),
// which [WithVerifiedEmailLinking] relies on; [Service.EmailVerified]
// tells whether an identity proved an email, and [Service.ChangeLoginEmail]
// moves its login to a proved one (account.Service builds the change of
// email and the claim of guest records on them).
//
// # MFA
//
// Multi-factor authentication follows Medusa 2.21's auth module, on its
// tables (auth_mfa_factor, auth_mfa_recovery_code) and in its formats, so
// that a factor enrolled through a Medusa server verifies here and the
// reverse, when both share the database and the encryption key
// ([WithMFA]; MFAConfig.EncryptionKey is Medusa's mfa.encryption_key,
// AUTH_MFA_ENCRYPTION_KEY). The methods are Medusa's: [Service.StartMFA]
// (startAuthMfa), [Service.VerifyMFA] (verifyAuthMfa),
// [Service.CreateMFAChallenge], [Service.VerifyMFAChallenge],
// [Service.DisableMFA], [Service.RetrieveMFA], [Service.ListMFA],
// [Service.GenerateMFARecoveryCodes] and [Service.UseMFARecoveryCode],
// with Medusa's messages.
//
//   - TOTP is RFC 6238 (computed with github.com/pquerna/otp): a 20-byte
//     secret in base32, HMAC-SHA1, 6 digits, 30 s, a code accepted from
//     one period before to one after (MFAConfig.Digits, Period, Window).
//     The secret is stored AES-256-GCM-encrypted under the SHA-256 of the
//     key, as "v1:" + iv + ":" + tag + ":" + ciphertext (base64url).
//   - Recovery codes are 16 random bytes in hex ("xxxx-xxxx-…"), 10 by
//     default (1 to 50), stored as scrypt-kdf hashes of the trimmed,
//     lower-cased code (Medusa's format), and work once.
//   - A login of an identity with an enabled factor ([Service.Login],
//     [Service.LoginToken]) answers an actorless token with mfa_enabled
//     and no completion, and a challenge (5 minutes, 5 wrong codes;
//     MFAConfig.ChallengeTTL, ChallengeMaxAttempts) offering "totp", and
//     "recovery_code" when the identity has recovery codes.
//     [Service.CompleteMFALogin] trades a code for the full token, whose
//     mfa_challenge_completed_at says when. A refresh keeps the
//     completion; a token without one, of an identity with MFA on,
//     refreshes into a new challenge ([Service.RefreshLogin]), or fails
//     with [ErrMFARequired] ([Service.Refresh]).
//   - Challenges live in the store (clientele_mfa_challenge on
//     PostgreSQL), so every instance verifies the challenges of the
//     others; an attempt is counted before the code is checked, so
//     concurrent guesses get no more checks than allowed.
//   - Logins honour enabled factors whenever the store keeps them
//     ([MFAStore]), even without WithMFA.
//
// A passkey as a second factor is a clientele extension (Medusa knows
// TOTP factors only, and a Medusa server sharing the database does not
// verify such a factor). With the passkey provider configured
// (provider/passkey) and a passkey linked to the identity,
// [Service.EnablePasskeyMFA] adds an enabled factor of provider
// "passkey", and challenges then offer [MFAMethodPasskey].
// [Service.BeginPasskeyMFA] answers the options for
// navigator.credentials.get, bound to the challenge; the browser's
// assertion JSON is the code of VerifyMFAChallenge or CompleteMFALogin.
// Only a passkey of the challenge's identity completes it.
//
// A login whose proof was multi-factor by itself
// (provider.Result.MultiFactor: a passkey assertion with user
// verification) opens no challenge: its token has MFA completed at the
// login. Asking that person for a passkey again, or for a code, would
// prove nothing a verified passkey does not.
//
// Events: auth.mfa_enabled, auth.mfa_disabled and
// auth.mfa_recovery_codes_generated, after the change commits.
//
// # Audit
//
// With [WithAudit] the service records its security events in an audit
// log (package audit): logins and their failures, lockouts, password
// reset requests, resets and changes, verifications, MFA enrolment,
// challenges, recovery codes and disabling, provider links and unlinks,
// and revocations. A change's entry is written in the unit of work that
// makes it, so a failed change leaves none and a failed entry fails the
// change; attempts that change nothing (a failed login, a wrong code) are
// written after the answer, in the group [Service.Flush] waits for. A
// failed login names the identity its identifier belongs to, looked up
// after the answer; an unknown identifier names none. Entries hold ids,
// never the identifier, a password, a code or a token.
//
// # Metrics
//
// With [WithObserver] the service tells an [Observer] how each login,
// lockout, registration, password reset request, reset and MFA challenge
// ended ([Observation]): an operation, an outcome, a reason from
// [Reasons], the provider's id and, for logins and registrations, the
// time taken. It is called on the operation's goroutine once the answer
// is known, and never receives what the caller sent. Package
// otelclientele implements it with OpenTelemetry's metrics API; without
// an Observer the operations pay a nil check.
//
// # Bulk import
//
// [Service.ImportPasswordIdentities] creates emailpass identities that keep
// the password hashes they have elsewhere (a Medusa database, or another
// system whose hash format emailpass verifies: emailpass.CheckHash tells),
// in batches validated in full and written in one unit of work each (see
// package bulk); the report names the bad lines and never holds a hash.
//
// # Errors
//
// Failed proofs match [ErrUnauthorized] (bad credentials, [ErrInvalidToken],
// [ErrTokenExpired]); bad input [ErrInvalid]; missing identities
// [ErrNotFound]; duplicates [ErrConflict]. Provider failures are
// *provider.Error values whose message is meant for the user and matches
// Medusa's ("Invalid email or password", "Identity with email already
// exists", "Invalid token").
//
// # Concurrency
//
// A Service and Tokens are safe for concurrent use. Of concurrent
// registrations of one email exactly one identity results; of concurrent
// uses of one reset token exactly one succeeds.
//
// # Differences from Medusa
//
//   - Revocation and the maximum login age are clientele's: a Medusa server
//     that shares the JWT secret and the database refreshes a revoked
//     token on its own /auth/token/refresh (into one without login_at).
//     Where both serve the same clients, send refreshes to clientele.
//   - A login with an unknown email costs the same key derivation as a wrong
//     password; a reset request for an unknown email does comparable work.
//   - Reset tokens are single use and stored hashed (as in Medusa 2.21);
//     a password the policy refuses does not spend the token, and the
//     token is spent in the unit of work that stores the new password, so
//     a storage failure spends nothing and the same token works again.
//   - Token verification rejects HS384/HS512, tokens without exp, and
//     unknown kids.
//   - Medusa's generateJwtToken signs for any actor type and provider
//     given; Token refuses what the login itself would refuse, so a
//     restricted actor type (http.authMethodsPerActor) cannot get a token
//     through another provider.
//   - An actor link is removed by deleting its key, not by writing null, so
//     an identity whose customer was deleted can open a new account.
//   - Tokens are revocable: a password reset or change, a logout everywhere
//     and an account deletion end the tokens issued before them (Medusa's
//     stay valid until they expire), and refresh chains end 30 days after
//     the login (Medusa refreshes forever). Tokens carry two claims of
//     clientele's, login_at and iat_ms, which Medusa ignores.
//   - A soft delete of an identity revokes its tokens (Medusa's soft delete
//     leaves them valid until they expire), and a provider identity is not
//     restored on its own while its identity is soft-deleted.
//   - Ids given by the caller are checked: at most [MaxIDLength] bytes of
//     valid UTF-8, no control characters, no surrounding white space
//     (Medusa stores any string).
//   - Verification: confirming a code is one conditional update, so two
//     concurrent confirmations of one code cannot both succeed (Medusa
//     reads, then updates). Requests and failed confirmations are
//     throttled (Medusa has no limit). Emails verified as entity type
//     "email" are trimmed, lower-cased and must be valid (Medusa stores any
//     string as given). A request for an entity verified before emits no
//     event (Medusa emits one without a code); a request's metadata
//     replaces the row's (Medusa keeps the first request's, so its event
//     can carry stale metadata). An unknown code provider is a 400
//     invalid_data naming it (Medusa: a 500). No answer carries the code's
//     hash (Medusa's request answer has provider_metadata.token_hash).
//     Refresh-token rotation, clientele's own, is gated as refresh is.
//   - MFA: a TOTP code is accepted once: a code (or an earlier period's)
//     is refused after a code was accepted (Medusa accepts it again
//     within its window). The last period accepted is kept in the factor's
//     provider_metadata ("clientele_totp_step"), which Medusa ignores.
//   - MFA: turning a factor on ([Service.VerifyMFA]) ends every token
//     issued before it (and httpapi every session), so a stolen
//     password-only session does not outlive it; Medusa keeps them.
//   - MFA: wrong codes are throttled per identity across challenges
//     ([WithThrottle]; Medusa limits only attempts per challenge).
//   - MFA: challenges are stored, not cached: shared by every instance
//     and found after the challenge expired ("MFA challenge has expired";
//     Medusa's cache forgets them, "… was not found").
//   - MFA: a refresh of a token whose login completed its challenge keeps
//     the completion even when the token has no actor yet (Medusa asks
//     for a new challenge), and a refresh of a token without a completion
//     for an identity with MFA on asks for one even when the token has an
//     actor (Medusa re-signs it).
//   - MFA: an unknown MFA method or provider is a 400 invalid_data
//     (Medusa throws a plain error: 500). A registration answering an
//     existing identity with MFA on ([Service.RegisterThen],
//     account.Service.SignUp) fails with ErrMFARequired.
//   - MFA events are emitted by the service (Medusa's routes emit them).
package auth
