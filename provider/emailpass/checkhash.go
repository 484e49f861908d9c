package emailpass

// CheckHash reports whether encoded is a stored password hash this package
// verifies, with parameters within the bounds it accepts: nil, or an error
// matching ErrMalformedHash that says what is wrong without holding the
// hash. Every format Verify knows passes when well formed; a scrypt-kdf
// key whose header checksum is wrong does not (no password matches it).
//
// It knows the package's bounds, not a Provider's Limits: bulk imports of
// existing accounts (auth.Service.ImportPasswordIdentities) call the
// service's provider's [Provider.CheckImportedHash] on every hash before
// writing it, which applies both, so that an account never holds a hash
// its owner cannot log in with.
func CheckHash(encoded string) error {
	if encoded == "" {
		return malformed("empty hash")
	}
	if paramsOf(encoded) == nil {
		return malformed("not a well-formed hash of a supported format, or its parameters are out of bounds")
	}
	return nil
}
