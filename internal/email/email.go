// Package email normalises and checks email addresses.
package email

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clientele/clientele/store"
)

// Normalize trims and lower-cases an email address and checks its syntax.
// The empty string is returned as is (no email).
func Normalize(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if !Valid(s) {
		ve := store.Invalid(field, "Invalid email")
		ve.Message = ve.Reason // Medusa's word
		return "", ve
	}
	return s, nil
}

// Valid reports whether s is a bare address (no display name, no angle
// brackets) with a dotted domain, as the email validators of Medusa's HTTP
// layer require.
func Valid(s string) bool {
	if len(s) > 320 || strings.ContainsAny(s, "<>()\",;:\\[]") {
		return false
	}
	// No white space or control character, Unicode's included (U+0085
	// NEL, U+00A0, U+2028): trimming would remove them at the ends, and
	// they have no place inside.
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return false
	}
	domain := s[at+1:]
	// The last label has at least two characters (runes, not bytes: "é"
	// is one character, and lower-casing "İ" gives the one byte "i").
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && utf8.RuneCountInString(domain[dot+1:]) >= 2 && !strings.Contains(domain, "..")
}
