package address

import (
	"strings"
	"testing"
)

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzCountryPostal checks the country and postal-code validators.
// Properties: both are deterministic; an accepted country is two lower-case
// ASCII letters that normalise to themselves, whatever the case and
// surrounding white space of the input; a postal code fits or not
// regardless of ASCII case and surrounding white space, and of the case of
// the country; a country with no known format takes any postal code.
func FuzzCountryPostal(f *testing.F) {
	for _, c := range []struct{ country, postal string }{
		{"us", "94103"}, {"US", "94103-1234"}, {" gb ", "SW1A 1AA"}, {"gb", "sw1a1aa"},
		{"ca", "K1A 0B1"}, {"nl", "1234 AB"}, {"ie", "D02 X285"}, {"ae", ""},
		{"uk", "x"}, {"xk", "10000"}, {"zz", "1"}, {"usa", "1"}, {"840", "1"}, {"u\u0073", "1"},
		{"br", "01310-100"}, {"jp", "100-0001"}, {"kr", "03187"}, {"", ""}, {"\u212aR", "03187"},
	} {
		f.Add(c.country, c.postal)
	}
	f.Fuzz(func(t *testing.T, country, postal string) {
		cc, ok := normalizeCountry(country)
		if cc2, ok2 := normalizeCountry(country); cc2 != cc || ok2 != ok {
			t.Fatalf("normalizeCountry(%q) is not deterministic", country)
		}
		if ok {
			if len(cc) != 2 || !isASCIILetter(cc[0]) || !isASCIILetter(cc[1]) || cc != strings.ToLower(cc) {
				t.Fatalf("normalizeCountry(%q) = %q", country, cc)
			}
			for _, v := range []string{cc, strings.ToUpper(cc), " " + strings.ToUpper(cc[:1]) + cc[1:] + "\t"} {
				if got, ok := normalizeCountry(v); !ok || got != cc {
					t.Fatalf("normalizeCountry(%q) = %q, %v; %q gave %q", v, got, ok, country, cc)
				}
			}
		} else if !isASCII(country) {
			// nothing more to say: a non-ASCII country is never accepted
		} else if _, ok := normalizeCountry(strings.ToUpper(country)); ok {
			t.Fatalf("%q refused but its upper case accepted", country)
		}

		fits := postalCodeFits(country, postal)
		if postalCodeFits(country, postal) != fits {
			t.Fatalf("postalCodeFits(%q, %q) is not deterministic", country, postal)
		}
		if _, known := postalFormats()[strings.ToLower(strings.TrimSpace(country))]; !known && !fits {
			t.Fatalf("postalCodeFits(%q, %q) = false for a country with no format", country, postal)
		}
		if ok {
			if postalCodeFits(cc, postal) != fits || postalCodeFits(strings.ToUpper(cc), postal) != fits {
				t.Fatalf("postalCodeFits(%q, %q) depends on the country's case or spacing", country, postal)
			}
		}
		if isASCII(postal) {
			for _, v := range []string{strings.ToUpper(postal), strings.ToLower(postal), " " + postal + "\n"} {
				if postalCodeFits(country, v) != fits {
					t.Fatalf("postalCodeFits(%q, %q) = %v but %q gives %v", country, postal, fits, v, !fits)
				}
			}
		}
	})
}
