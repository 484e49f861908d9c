// Package emailpass is the email and password provider (Medusa's
// emailpass): register, log in and change passwords, with password hashes
// in Medusa's own format so that Medusa verifies clientele's hashes and
// clientele verifies Medusa's.
//
// # Password hashes
//
// By default a password is hashed with scrypt in the scrypt-kdf format
// Medusa uses (logN 15, r 8, p 1; a 96-byte key, base64 in
// provider_metadata.password). [Argon2id] (PHC string) is an option. Every
// format verifies whatever the configured [Hasher]; when a stored hash was
// made with another algorithm or other parameters, a successful login
// stores a fresh hash. Hashes never leave the auth service.
//
// # Imported hashes
//
// Hashes made by other systems verify as they are, each format recognised
// unambiguously from the stored string, and each is replaced by a hash of
// the configured [Hasher] at the user's first successful login (the same
// conditional write as every rehash, so a password changed meanwhile
// stays):
//
//   - bcrypt, $2a$, $2b$ and $2y$ (PHP's name for the same algorithm),
//     costs 4 to 16 ([Bcrypt], golang.org/x/crypto/bcrypt); a password
//     over bcrypt's 72 bytes never matches;
//   - Django's (and Saleor's) pbkdf2_sha256$<iterations>$<salt>$<hash>
//     ([PBKDF2SHA256], the standard library's crypto/pbkdf2);
//   - argon2id and argon2i PHC strings of version 19 ([Argon2id],
//     [Argon2i], golang.org/x/crypto/argon2), also behind Django's
//     "argon2" prefix (argon2$argon2id$v=19$…);
//   - Medusa's scrypt-kdf, of any parameters within bounds ([Scrypt]).
//
// Any other string (an unknown prefix, $2x$, an argon2 hash without
// "v=19", a malformed one) fails the login with an error wrapping
// [ErrMalformedHash]; no string panics or matches. Before importing, check
// each hash with [Provider.CheckImportedHash].
//
// Firebase's modified scrypt is not supported: verifying it takes the
// project's signer key and salt separator besides the user's salt and
// hash, and there is no maintained Go implementation of it to build on
// (the Go ports found are small single-author repositories; the reference
// is Firebase's C code), and password code is not written here from
// primitives. Import Firebase users without a password and have them
// reset it, or verify them against Firebase during a transition.
//
// # Limits
//
// [Limits] ([WithLimits]) bound the work of verifying one stored hash:
// bcrypt cost, pbkdf2 iterations, argon2 memory, passes and lanes, scrypt
// N, r and p. The defaults ([DefaultLimits]) cover what the systems above
// make by default, and [New] raises them to cover the configured and
// legacy hashers. A stored hash over a limit is not verified: the login
// costs what an unknown email costs (all the dummies, see Timing) and
// fails with "Invalid email or password" and an error wrapping
// [ErrHashOverLimit], and the provider logs it ([WithLogger]) as a
// configuration problem with the auth identity's id and the parameter at
// fault, never the hash, the email or the password. Raise the limit, or
// have the user reset the password.
//
// # Timing
//
// Every login attempt costs the same key-derivation work whatever the
// account, so response times tell neither which emails are registered nor
// which format a user's hash is in. The accepted formats are the
// configured [Hasher] and the legacy ones ([WithLegacyHashers]; by default
// Medusa's scrypt parameters, unless the configured hasher is a Scrypt,
// which is then taken to match them), each an algorithm with its
// parameters. [New] makes a dummy hash in each accepted format, and every
// attempt runs exactly one verification per accepted format: the real one
// for the format of the stored hash, and the dummy one for every other
// format; for an unknown email, an identity without a password, or a
// stored hash whose verification runs no key derivation (unreadable, or a
// scrypt-kdf header with a wrong checksum, or over the [Limits]) all the
// dummies run. So with argon2id configured and Medusa's scrypt hashes
// accepted, an argon2id user costs argon2id (real) and scrypt (dummy), a
// scrypt user scrypt (real) and argon2id (dummy), an unknown email both
// dummies, and a right password costs what a wrong one does. With one accepted format (the default:
// Medusa's scrypt, no legacy hasher) a login is one verification. Each
// legacy hasher adds its cost to every login: once no hash of a legacy
// format remains, drop it with [WithLegacyHashers].
//
// Imported formats are accepted formats like the others: declare the
// algorithms and parameters found in an import with [WithLegacyHashers]
// (for instance WithLegacyHashers(emailpass.DefaultScrypt(),
// emailpass.Bcrypt{Cost: 10}, emailpass.PBKDF2SHA256{Iterations: 390000}))
// for their logins to cost what every other login costs. A stored hash of
// an algorithm no accepted format has (an imported bcrypt hash with no
// Bcrypt declared) still verifies, but its cost is added to the dummies',
// so such an account answers more slowly than an unknown email.
//
// A stored hash in an accepted algorithm but with parameters no accepted
// format has (a scrypt hash with other parameters than Medusa's, say)
// still verifies; its verification takes the place of the dummy of the
// first accepted format of the same algorithm, so such an account answers
// at its own hash's cost, which may differ: declare those parameters with
// [WithLegacyHashers]. A hash made by a Hasher of another type is matched
// to that hasher's format when its NeedsRehash reports false.
//
// One thing costs more, on purpose: after a successful login whose stored
// hash was made with another algorithm or other parameters than the
// configured hasher's, the password is hashed again and stored, which adds
// one hashing to that response. Only the account's owner, with the right
// password, can cause it. Passwords longer than the policy's MaxBytes are
// refused before any hashing.
//
// # Errors
//
// Errors are *provider.Error values with Medusa's messages ("Invalid email
// or password", "Identity with email already exists", "Password should be a
// string", "Email should be a string") and a kind: provider.ErrUnauthorized,
// store.ErrConflict or store.ErrInvalid. A stored hash that cannot be read
// fails the login with an error that also matches [ErrMalformedHash].
//
// # Differences from Medusa
//
//   - Emails are trimmed and lower-cased, and looked up case-insensitively
//     (legacy rows Medusa wrote in mixed case are still found).
//   - Registering checks the email's syntax and a password policy (8
//     characters to 1,024 bytes by default); Medusa accepts any non-empty
//     string.
//   - Password hashes imported from other systems (bcrypt, Django's
//     pbkdf2_sha256 and argon2, argon2i) log their users in and are
//     upgraded at login; a stored hash's work is bounded by [Limits].
//     Medusa verifies its scrypt-kdf format only.
//   - Every login attempt costs the same work: unknown emails, wrong
//     passwords and users of every accepted hash format alike (Medusa
//     answers unknown emails at once).
//   - An update without a password is an error ("Password should be a
//     string"), not an empty success.
//   - Concurrent writers never undo each other's password. A rehash at
//     login is written only over the hash it verified; an update with
//     "current_password" (auth.Service.ChangePassword) only over a hash
//     that current_password matches, so a change proved with a password
//     that a reset replaced meanwhile fails instead of undoing the reset;
//     a registration that loses the race for an email answers as if it
//     had come second. Medusa reads, hashes and writes with no such check.
package emailpass
