package emailpass

import (
	"errors"
	"fmt"
	"slices"
)

// ErrHashOverLimit is wrapped by the error a login, and
// [Provider.CheckImportedHash], return when a stored hash is well formed
// but asks for more work than the provider's [Limits] allow: its
// verification is refused before any key derivation, and the login fails
// with "Invalid email or password". It is a configuration problem (a hash
// imported with a cost the limits do not cover), which the provider logs
// without the hash, the email or the password.
var ErrHashOverLimit = errors.New("emailpass: password hash over the verification limits")

// overLimitError says which parameter is over its limit; it matches
// ErrHashOverLimit under errors.Is.
type overLimitError struct{ msg string }

func (e *overLimitError) Error() string { return e.msg }
func (e *overLimitError) Unwrap() error { return ErrHashOverLimit }

func overLimit(format string, args ...any) error {
	return &overLimitError{msg: ErrHashOverLimit.Error() + ": " + fmt.Sprintf(format, args...)}
}

// Limits bounds the work of verifying one stored hash, so that a hash
// imported with a huge cost cannot burn the CPU or the memory of a login.
// A stored hash over a limit fails the login as a wrong password would
// ("Invalid email or password", with an error wrapping [ErrHashOverLimit])
// after the same work as an unknown email, and is logged as a
// configuration problem. The package's own bounds (see each hasher's
// documentation) still apply above these: a hash beyond them is malformed.
//
// A zero field takes its value from [DefaultLimits]. [New] raises each
// limit to cover the configured hasher and the legacy ones
// ([WithLegacyHashers]): the provider never refuses the hashes it makes or
// was told to expect.
type Limits struct {
	// BcryptCost is the highest bcrypt cost (default 13, 2^13 rounds).
	BcryptCost int
	// PBKDF2Iterations is the most pbkdf2_sha256 iterations (default
	// 2,000,000; Django 5.2 makes 1,000,000).
	PBKDF2Iterations int
	// Argon2MemoryKiB is the most memory of an argon2id or argon2i hash, in
	// KiB (default 262,144: 256 MiB; Django makes 100 MiB).
	Argon2MemoryKiB uint32
	// Argon2Time is the most passes of an argon2 hash (default 10).
	Argon2Time uint32
	// Argon2Threads is the most lanes of an argon2 hash (default 16).
	Argon2Threads uint8
	// ScryptLogN is the highest log2(N) of a scrypt-kdf hash (default 20,
	// as far as the package's bounds reach at Medusa's r, so that every
	// Medusa hash, whatever its hashConfig, verifies as before; Medusa's
	// default is 15).
	ScryptLogN uint8
	// ScryptR and ScryptP are the highest r and p of a scrypt-kdf hash
	// (default 16 and 16; Medusa's are 8 and 1).
	ScryptR, ScryptP uint32
}

// DefaultLimits returns the default limits: bcrypt cost 13,
// 2,000,000 pbkdf2_sha256 iterations, argon2 with 256 MiB, 10 passes and
// 16 lanes, scrypt with logN 20, r 16 and p 16. The bcrypt, pbkdf2 and
// argon2 ones are a second or so of one core at most, above the defaults
// of the systems hashes are imported from (PHP and Laravel bcrypt 10 to
// 12, Django's pbkdf2 and argon2); the scrypt ones leave the package's
// own bounds (N·r·p ≤ 2^24, 1 GiB) to decide, as before, since Medusa
// hosts may have raised their hashConfig: lower them when the stored
// parameters are known.
func DefaultLimits() Limits {
	return Limits{
		BcryptCost:       13,
		PBKDF2Iterations: 2_000_000,
		Argon2MemoryKiB:  256 << 10,
		Argon2Time:       10,
		Argon2Threads:    16,
		ScryptLogN:       20,
		ScryptR:          16,
		ScryptP:          16,
	}
}

// WithLimits sets the limits of the work of verifying a stored hash (see
// [Limits]; zero fields keep their defaults).
func WithLimits(l Limits) Option { return func(p *Provider) { p.limits = l } }

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	def := func(v *uint32, dv uint32) {
		if *v == 0 {
			*v = dv
		}
	}
	if l.BcryptCost <= 0 {
		l.BcryptCost = d.BcryptCost
	}
	if l.PBKDF2Iterations <= 0 {
		l.PBKDF2Iterations = d.PBKDF2Iterations
	}
	def(&l.Argon2MemoryKiB, d.Argon2MemoryKiB)
	def(&l.Argon2Time, d.Argon2Time)
	def(&l.ScryptR, d.ScryptR)
	def(&l.ScryptP, d.ScryptP)
	if l.Argon2Threads == 0 {
		l.Argon2Threads = d.Argon2Threads
	}
	if l.ScryptLogN == 0 {
		l.ScryptLogN = d.ScryptLogN
	}
	return l
}

// cover returns l raised, where needed, so that check accepts the hashes
// every hasher of hs makes.
func (l Limits) cover(hs []Hasher) Limits {
	for _, h := range hs {
		switch v := normalize(h).(type) {
		case Bcrypt:
			l.BcryptCost = max(l.BcryptCost, v.Cost)
		case PBKDF2SHA256:
			l.PBKDF2Iterations = max(l.PBKDF2Iterations, v.Iterations)
		case Argon2id:
			l = l.coverArgon(v)
		case Argon2i:
			l = l.coverArgon(Argon2id(v))
		case Scrypt:
			l.ScryptLogN = max(l.ScryptLogN, v.LogN)
			l.ScryptR = max(l.ScryptR, v.R)
			l.ScryptP = max(l.ScryptP, v.P)
		}
	}
	return l
}

func (l Limits) coverArgon(a Argon2id) Limits {
	l.Argon2MemoryKiB = max(l.Argon2MemoryKiB, a.MemoryKiB)
	l.Argon2Time = max(l.Argon2Time, a.Time)
	l.Argon2Threads = max(l.Argon2Threads, a.Threads)
	return l
}

// check returns an error wrapping ErrHashOverLimit when params, the
// parameters of a stored hash (see paramsOf), ask for more than l allows;
// nil for nil params or a hasher of another type. Its message names the
// format and the parameter, never the hash.
func (l Limits) check(params Hasher) error {
	switch v := params.(type) {
	case Bcrypt:
		if v.Cost > l.BcryptCost {
			return overLimit("bcrypt cost %d above %d", v.Cost, l.BcryptCost)
		}
	case PBKDF2SHA256:
		if v.Iterations > l.PBKDF2Iterations {
			return overLimit("pbkdf2_sha256 iterations %d above %d", v.Iterations, l.PBKDF2Iterations)
		}
	case Argon2id:
		return l.checkArgon(argonFamily, v)
	case Argon2i:
		return l.checkArgon(argon2iFamily, Argon2id(v))
	case Scrypt:
		switch {
		case v.LogN > l.ScryptLogN:
			return overLimit("scrypt logN %d above %d", v.LogN, l.ScryptLogN)
		case v.R > l.ScryptR:
			return overLimit("scrypt r %d above %d", v.R, l.ScryptR)
		case v.P > l.ScryptP:
			return overLimit("scrypt p %d above %d", v.P, l.ScryptP)
		}
	}
	return nil
}

func (l Limits) checkArgon(f family, a Argon2id) error {
	switch {
	case a.MemoryKiB > l.Argon2MemoryKiB:
		return overLimit("%s memory %d KiB above %d", f, a.MemoryKiB, l.Argon2MemoryKiB)
	case a.Time > l.Argon2Time:
		return overLimit("%s time %d above %d", f, a.Time, l.Argon2Time)
	case a.Threads > l.Argon2Threads:
		return overLimit("%s threads %d above %d", f, a.Threads, l.Argon2Threads)
	}
	return nil
}

// Limits returns the provider's effective limits: those of [WithLimits]
// with defaults, raised to cover the accepted formats.
func (p *Provider) Limits() Limits { return p.limits }

// CheckImportedHash reports whether encoded, a password hash made by
// another system, can be stored as an emailpass identity's password
// (provider_metadata.password) and will verify at login: nil when it is
// in a format this provider verifies and within its limits; else an error
// wrapping [ErrMalformedHash] (unknown format, malformed, parameters out
// of the package's bounds, a scrypt-kdf key whose header checksum is
// wrong) or [ErrHashOverLimit] (over the provider's [Limits]). The error
// names the format and the parameter at fault, never the hash. It runs no
// key derivation.
//
// The formats recognised, each unambiguously from the string alone:
//
//   - scrypt-kdf, base64 (Medusa's format; [Scrypt]);
//   - $argon2id$v=19$… and $argon2i$v=19$… PHC strings ([Argon2id],
//     [Argon2i]), also behind Django's "argon2" prefix
//     (argon2$argon2id$v=19$…);
//   - bcrypt, $2a$, $2b$ and $2y$ ([Bcrypt]);
//   - Django's pbkdf2_sha256$<iterations>$<salt>$<hash> ([PBKDF2SHA256]);
//   - the hashes of a configured or legacy Hasher of another type, when
//     its NeedsRehash reports false for them.
//
// Firebase's modified scrypt is not among them: it needs the project's
// signer key, salt separator and the user's salt beside the hash, and no
// maintained Go implementation of it exists to build on. Import those
// users without a password and have them reset it.
//
// Each imported hash verifies and, at the user's first successful login,
// is replaced by a hash of the configured hasher. For imported logins to
// cost what every other login costs, declare the imported formats and
// parameters with [WithLegacyHashers] (see the package documentation,
// Timing).
func (p *Provider) CheckImportedHash(encoded string) error {
	params, err := parseParams(encoded)
	if err != nil {
		if slices.ContainsFunc(p.formats, func(f format) bool { return f.family == other && !f.hasher.NeedsRehash(encoded) }) {
			return nil
		}
		return err
	}
	return p.limits.check(params)
}
