package email

import (
	"errors"
	"strings"
	"testing"

	"github.com/clientele/clientele/store"
)

// FuzzNormalize checks the email validator. Properties: Normalize is
// deterministic and idempotent; what it accepts is trimmed, lower case,
// at most 320 bytes, holds one '@' and is Valid; a Valid address stays
// Valid (and unchanged but for case) after normalisation; every refusal is
// a ValidationError on the field.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"  Ada@Example.COM ", "first.last+tag@sub.example.org", "o'neil@example.ie", "", "   ",
		"plain", "a@b", "a@b.c", "@example.com", "a@", "a@@example.com", "a b@example.com",
		"Ada <ada@example.com>", "ada@example..com", "ada@.example.com", "a,b@example.com",
		"(comment)a@example.com", "a@example.com.", "\"q\"@example.com", "a@[127.0.0.1]",
		"ÄDA@EXAMPLE.COM", "a@xn--bcher-kva.example", "a@b.c\u0130",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Normalize("email", s)
		out2, err2 := Normalize("email", s)
		if out != out2 || (err == nil) != (err2 == nil) {
			t.Fatalf("Normalize(%q) is not deterministic", s)
		}
		if err != nil {
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != "email" {
				t.Fatalf("Normalize(%q) = %v, want a ValidationError on email", s, err)
			}
			if Valid(s) && s == strings.TrimSpace(s) {
				t.Fatalf("Valid(%q) but Normalize refuses it: %v", s, err)
			}
			return
		}
		if out == "" {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("Normalize(%q) = \"\"", s)
			}
			return
		}
		if out != strings.TrimSpace(out) || out != strings.ToLower(out) || len(out) > 320 || strings.Count(out, "@") != 1 {
			t.Fatalf("Normalize(%q) = %q", s, out)
		}
		if !Valid(out) {
			t.Fatalf("Normalize(%q) = %q, which is not Valid", s, out)
		}
		if again, err := Normalize("email", out); err != nil || again != out {
			t.Fatalf("Normalize is not idempotent: %q -> %q -> %q, %v", s, out, again, err)
		}
		if Valid(s) && out != strings.ToLower(s) {
			t.Fatalf("Valid(%q) normalises to %q", s, out)
		}
	})
}
