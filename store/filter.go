package store

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of a filter. Every domain filter's Check enforces them, so that
// what a client sends cannot make a backend build an unbounded statement
// or spend unbounded time per row.
const (
	// MaxFilterValues is the most values a list of one operator may hold:
	// StringFilter.In and NotIn, TimeFilter.In and NotIn.
	MaxFilterValues = 1000
	// MaxPatternBytes is the longest LIKE pattern (StringFilter.Like and
	// ILike), in bytes.
	MaxPatternBytes = 256
	// MaxFilterDepth is how deep sub-filters (And, Or) may nest: a
	// filter's own And and Or are at depth 1.
	MaxFilterDepth = 4
	// MaxFilterTerms is the most sub-filters (And and Or entries at every
	// depth) one filter may hold.
	MaxFilterTerms = 100
)

// StringFilter matches a text column with the operators of Medusa's
// operator maps. Every field that is set must hold:
//
//   - In ($eq, $in): the value is one of In, or, when Null is set, empty
//     (NULL). A nil In does not filter; an empty non-nil In matches
//     nothing but, with Null, the empty value.
//   - NotIn ($ne, $nin): the value is none of NotIn.
//   - Like ($like) and ILike ($ilike): the value matches the SQL LIKE
//     pattern, case-sensitively or not (as PostgreSQL's LIKE and ILIKE):
//     % matches any run of characters, _ any one character, and a
//     backslash makes the next character literal (\%, \_, \\). The pattern
//     is the caller's, wildcards included, as in Medusa.
//   - Gt, Gte, Lt, Lte ($gt, $gte, $lt, $lte): the value compares so with
//     the bound, in byte order (the order lists sort text in).
//
// Empty strings and NULL are one value (see the package's contract), and,
// as in SQL and so in Medusa, no operator but In and Null matches it:
// NotIn("x") keeps the non-empty values other than "x", and Ne("") the
// non-empty ones.
//
// The zero value matches everything.
type StringFilter struct {
	In    []string
	Null  bool
	NotIn []string
	Like  *string
	ILike *string
	Gt    *string
	Gte   *string
	Lt    *string
	Lte   *string
}

// Eq returns a filter matching any of values ($eq, $in).
func Eq(values ...string) StringFilter { return StringFilter{In: values} }

// IsNull returns a filter matching empty (NULL) values.
func IsNull() StringFilter { return StringFilter{Null: true} }

// Ne returns a filter matching the non-empty values that are none of
// values ($ne, $nin).
func Ne(values ...string) StringFilter { return StringFilter{NotIn: values} }

// Like returns a filter matching the values that match the LIKE pattern,
// case-sensitively ($like).
func Like(pattern string) StringFilter { return StringFilter{Like: &pattern} }

// ILike returns a filter matching the values that match the LIKE pattern,
// case-insensitively ($ilike).
func ILike(pattern string) StringFilter { return StringFilter{ILike: &pattern} }

// IsZero reports whether f matches everything.
func (f StringFilter) IsZero() bool { return f.In == nil && !f.Null && !f.HasOperators() }

// HasOperators reports whether f sets an operator other than In and Null:
// one that never matches an empty value.
func (f StringFilter) HasOperators() bool {
	return f.NotIn != nil || f.Like != nil || f.ILike != nil ||
		f.Gt != nil || f.Gte != nil || f.Lt != nil || f.Lte != nil
}

// Match reports whether v passes f.
func (f StringFilter) Match(v string) bool {
	if f.In != nil || f.Null {
		if !(f.Null && v == "") && (v == "" || !slices.Contains(f.In, v)) {
			return false
		}
	}
	if !f.HasOperators() {
		return true
	}
	return v != "" &&
		!slices.Contains(f.NotIn, v) &&
		(f.Like == nil || MatchLike(*f.Like, v, false)) &&
		(f.ILike == nil || MatchLike(*f.ILike, v, true)) &&
		(f.Gt == nil || v > *f.Gt) &&
		(f.Gte == nil || v >= *f.Gte) &&
		(f.Lt == nil || v < *f.Lt) &&
		(f.Lte == nil || v <= *f.Lte)
}

// Fold returns f for a column that compares case-insensitively (a
// customer's email): In, NotIn and the bounds lower-cased, and Like
// matched as ILike. A backend matches the folded filter against the
// lower-cased value.
func (f StringFilter) Fold() StringFilter {
	lower := func(s []string) []string {
		if s == nil {
			return nil
		}
		out := make([]string, len(s))
		for i, v := range s {
			out[i] = strings.ToLower(v)
		}
		return out
	}
	lowerPtr := func(p *string) *string {
		if p == nil {
			return nil
		}
		v := strings.ToLower(*p)
		return &v
	}
	out := StringFilter{In: lower(f.In), Null: f.Null, NotIn: lower(f.NotIn), ILike: f.ILike,
		Gt: lowerPtr(f.Gt), Gte: lowerPtr(f.Gte), Lt: lowerPtr(f.Lt), Lte: lowerPtr(f.Lte)}
	if f.Like != nil && f.ILike == nil {
		out.ILike = f.Like
	} else if f.Like != nil {
		// Both must match: keep the second as a case-insensitive Like,
		// which the lower-cased value is matched against.
		out.Like = lowerPtr(f.Like)
	}
	return out
}

// Check returns a *ValidationError naming field when f breaks a bound: a
// list of more than MaxFilterValues values, or a LIKE pattern longer than
// MaxPatternBytes or ending with an escaping backslash (which PostgreSQL
// refuses).
func (f StringFilter) Check(field string) error {
	for _, l := range [][]string{f.In, f.NotIn} {
		if len(l) > MaxFilterValues {
			return Invalid(field, "must have at most %d values, got %d", MaxFilterValues, len(l))
		}
	}
	for _, p := range []*string{f.Like, f.ILike} {
		if p == nil {
			continue
		}
		if len(*p) > MaxPatternBytes {
			return Invalid(field, "pattern must be at most %d bytes long, got %d", MaxPatternBytes, len(*p))
		}
		if danglingEscape(*p) {
			return Invalid(field, `pattern must not end with the escape character \`)
		}
	}
	return nil
}

// danglingEscape reports whether pattern ends with a backslash that
// escapes nothing.
func danglingEscape(pattern string) bool {
	n := 0
	for i := len(pattern) - 1; i >= 0 && pattern[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// likeToken is one element of a LIKE pattern: a literal character, _ (any
// one character) or % (any run).
type likeToken struct {
	r    rune
	kind byte // 0 literal, '_' or '%'
}

// MatchLike reports whether s matches the SQL LIKE pattern, comparing
// characters case-insensitively when fold is set (ILIKE). % matches any
// run of characters, _ any one character, and a backslash makes the next
// character literal; a backslash ending the pattern stands for itself
// (PostgreSQL refuses such a pattern; StringFilter.Check does too). It
// runs in O(len(pattern)·len(s)) time at worst.
func MatchLike(pattern, s string, fold bool) bool {
	toks := make([]likeToken, 0, len(pattern))
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch {
		case r == '\\' && i < len(pattern):
			r, n = utf8.DecodeRuneInString(pattern[i:])
			i += n
			toks = append(toks, likeToken{r: r})
		case r == '%':
			if len(toks) == 0 || toks[len(toks)-1].kind != '%' {
				toks = append(toks, likeToken{kind: '%'})
			}
		case r == '_':
			toks = append(toks, likeToken{kind: '_'})
		default:
			toks = append(toks, likeToken{r: r})
		}
	}
	same := func(a, b rune) bool { return a == b || fold && unicode.ToLower(a) == unicode.ToLower(b) }
	// The classic wildcard match: advance on a literal or _, remember the
	// last %, and on a mismatch let that % swallow one more character.
	rs := []rune(s)
	t, j := 0, 0
	star, mark := -1, 0
	for j < len(rs) {
		switch {
		case t < len(toks) && (toks[t].kind == '_' || toks[t].kind == 0 && same(toks[t].r, rs[j])):
			t++
			j++
		case t < len(toks) && toks[t].kind == '%':
			star, mark = t, j
			t++
		case star >= 0:
			mark++
			t, j = star+1, mark
		default:
			return false
		}
	}
	for t < len(toks) && toks[t].kind == '%' {
		t++
	}
	return t == len(toks)
}

// TimeFilter matches a timestamp column with the operators of Medusa's
// operator maps. Every field that is set must hold: the time is after Gt,
// not before Gte, before Lt, not after Lte ($gt, $gte, $lt, $lte; a zero
// bound is not set), one of In ($eq, $in) and none of NotIn ($ne, $nin).
// A nil In does not filter; an empty non-nil one matches nothing. Times
// compare at microsecond precision, the precision PostgreSQL stores.
//
// On a column that may be NULL (deleted_at), no operator matches NULL.
//
// The zero value matches everything.
type TimeFilter struct {
	Gt, Gte, Lt, Lte time.Time
	In, NotIn        []time.Time
}

// TimeRange is the former name of TimeFilter.
//
// Deprecated: use TimeFilter.
type TimeRange = TimeFilter

// IsZero reports whether f matches everything.
func (f TimeFilter) IsZero() bool {
	return f.Gt.IsZero() && f.Gte.IsZero() && f.Lt.IsZero() && f.Lte.IsZero() && f.In == nil && f.NotIn == nil
}

// Match reports whether t passes f.
func (f TimeFilter) Match(t time.Time) bool {
	t = t.Truncate(time.Microsecond)
	us := func(b time.Time) time.Time { return b.Truncate(time.Microsecond) }
	has := func(list []time.Time) bool {
		return slices.ContainsFunc(list, func(v time.Time) bool { return us(v).Equal(t) })
	}
	return (f.Gt.IsZero() || t.After(us(f.Gt))) &&
		(f.Gte.IsZero() || !t.Before(us(f.Gte))) &&
		(f.Lt.IsZero() || t.Before(us(f.Lt))) &&
		(f.Lte.IsZero() || !t.After(us(f.Lte))) &&
		(f.In == nil || has(f.In)) &&
		!has(f.NotIn)
}

// MatchNullable reports whether t, a column that may be NULL (nil), passes
// f: nil passes only the zero filter.
func (f TimeFilter) MatchNullable(t *time.Time) bool {
	if t == nil {
		return f.IsZero()
	}
	return f.Match(*t)
}

// Check returns a *ValidationError naming field when a list of f holds
// more than MaxFilterValues values.
func (f TimeFilter) Check(field string) error {
	for _, l := range [][]time.Time{f.In, f.NotIn} {
		if len(l) > MaxFilterValues {
			return Invalid(field, "must have at most %d values, got %d", MaxFilterValues, len(l))
		}
	}
	return nil
}
