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
// scrypt-kdf header with a wrong checksum) all the dummies run. So with
// argon2id configured and Medusa's scrypt hashes accepted, an argon2id user
// costs argon2id (real) and scrypt (dummy), a scrypt user scrypt (real) and
// argon2id (dummy), an unknown email both dummies, and a right password
// costs what a wrong one does. With one accepted format (the default:
// Medusa's scrypt, no legacy hasher) a login is one verification. Each
// legacy hasher adds its cost to every login: once no hash of a legacy
// format remains, drop it with [WithLegacyHashers].
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
