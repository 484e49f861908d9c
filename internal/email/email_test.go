package email

import (
	"errors"
	"testing"

	"github.com/clientele/clientele/store"
)

func TestNormalize(t *testing.T) {
	good := map[string]string{
		"  Ada@Example.COM ":             "ada@example.com",
		"first.last+tag@sub.example.org": "first.last+tag@sub.example.org",
		"o'neil@example.ie":              "o'neil@example.ie",
		"":                               "",
		"   ":                            "",
		"\u0085ada@example.com\u00a0":    "ada@example.com", // Unicode white space is trimmed
	}
	for in, want := range good {
		got, err := Normalize("email", in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"plain", "a@b", "a@b.c", "@example.com", "a@", "a@@example.com", "a b@example.com",
		"Ada <ada@example.com>", "ada@example..com", "ada@.example.com", "a,b@example.com",
		"(comment)a@example.com", "a@example.com.", "a@example.é", "a@example.İ", string(make([]byte, 400)) + "@example.com",
		"ada\u0085@example.com", "ada@exa\u00a0mple.com", "ada@example.com\u2028x", "ada\u0001@example.com",
	}
	// Valid refuses what Normalize would trim: a Valid address is its own
	// normal form but for case.
	for _, in := range []string{"0@0.00\u0085", "\u00a0ada@example.com", "ada@example.com\u3000"} {
		if Valid(in) {
			t.Errorf("Valid(%q) = true; it holds white space", in)
		}
	}
	for _, in := range bad {
		_, err := Normalize("email", in)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != "email" || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Normalize(%q) = %v; want a validation error on email", in, err)
		}
	}
}
