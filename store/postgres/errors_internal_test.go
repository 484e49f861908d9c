package postgres

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeyValues(t *testing.T) {
	tests := []struct {
		detail, suffix string
		n              int
		want           []string
		ok             bool
	}{
		{"Key (email, has_account)=(a@b.c, f) already exists.", " already exists.", 2, []string{"a@b.c", "f"}, true},
		{`Key (email, has_account)=("odd, (email)", t) already exists.`, " already exists.", 2, []string{`"odd, (email)"`, "t"}, true},
		{"Key (name)=(Friends, family) already exists.", " already exists.", 1, []string{"Friends, family"}, true},
		{"Key (entity_id, provider)=(Doe, Jane, emailpass) already exists.", " already exists.", 2, []string{"Doe, Jane", "emailpass"}, true},
		{"Key (name)=(a)=(b) already exists.", " already exists.", 1, []string{"a)=(b"}, true},
		{`Key (customer_id)=(cus_1) is not present in table "customer".`, " is not present", 1, []string{"cus_1"}, true},
		{"", " already exists.", 1, nil, false},
		{"Key (email, has_account)=(a@b.c) already exists.", " already exists.", 2, nil, false},
	}
	for _, tc := range tests {
		got, ok := keyValues(tc.detail, tc.suffix, tc.n)
		if ok != tc.ok || !cmp.Equal(got, tc.want) {
			t.Errorf("keyValues(%q) = %q, %v; want %q, %v", tc.detail, got, ok, tc.want, tc.ok)
		}
	}
}

func TestQuoteLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"plain":   "E'plain'",
		"O'Brien": "E'O''Brien'",
		`a\b`:     `E'a\\b'`,
		`%\_%`:    `E'%\\_%'`,
	} {
		if got := quoteLiteral(in); got != want {
			t.Errorf("quoteLiteral(%q) = %s, want %s", in, got, want)
		}
	}
}
