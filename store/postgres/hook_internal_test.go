package postgres

import "testing"

func TestRedactLiterals(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT id FROM customer WHERE id = $1 LIMIT 50", "SELECT id FROM customer WHERE id = $1 LIMIT 50"},
		{`app_metadata->>'customer_id' <> ''`, `app_metadata->>'?' <> '?'`},
		{`c.email ILIKE E'%ada@example.com%' OR c.phone ILIKE E'%ada%'`, `c.email ILIKE E'?' OR c.phone ILIKE E'?'`},
		{`x = 'it''s ada' AND y = 1`, `x = '?' AND y = 1`},
		{`x = E'a\\' || 'b' AND z`, `x = E'?' || '?' AND z`},
		{`x = E'a\'s ada' AND z`, `x = E'?' AND z`},
		{`x = 'unterminated ada`, `x = '?'`},
		{`x = E'ends in a backslash\`, `x = E'?'`},
		{`''`, `'?'`},
	} {
		if got := redactLiterals(tc.in); got != tc.want {
			t.Errorf("redactLiterals(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A search's text, as the query builder inlines it: nothing of the
	// words searched for is left.
	q := quoteLiteral("%" + escapeLike(`ada's 50%_\ "x"`) + "%")
	if got := redactLiterals("WHERE c.email ILIKE " + q + " AND c.id = $1"); got != "WHERE c.email ILIKE E'?' AND c.id = $1" {
		t.Errorf("search redacted to %q", got)
	}
}

func FuzzRedactLiterals(f *testing.F) {
	f.Add("ada")
	f.Add(`a'b\'c''`)
	f.Fuzz(func(t *testing.T, s string) {
		got := redactLiterals("WHERE x ILIKE " + quoteLiteral(s) + " AND y = $1")
		if got != "WHERE x ILIKE E'?' AND y = $1" {
			t.Fatalf("%q redacted to %q", s, got)
		}
	})
}
