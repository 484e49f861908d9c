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
// A login with an unknown email, or one whose identity has no password,
// spends the same key-derivation work as a wrong password, so response
// times do not reveal which emails are registered: the password is
// verified against a dummy hash, made by [New], in the format and with the
// parameters of the costliest hash the provider expects to find stored.
// Those are the configured [Hasher]'s and the legacy ones
// ([WithLegacyHashers]; by default Medusa's scrypt parameters, unless the
// configured hasher is a Scrypt, which is then taken to match them). So a
// host that switches to [Argon2id] while Medusa's scrypt hashes remain
// still spends scrypt's work on unknown emails. Scrypt and argon2id costs
// are compared with an estimate (N·r·p against MemoryKiB·Time); a Hasher
// of another type is assumed the costliest. Passwords longer than the
// policy's MaxBytes are refused before any hashing.
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
//   - Unknown emails cost the same work as wrong passwords (Medusa answers
//     them at once).
//   - An update without a password is an error ("Password should be a
//     string"), not an empty success.
package emailpass
