package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/store"
)

func sp(s string) *string { return &s }

func TestStringFilterMatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    store.StringFilter
		yes  []string
		no   []string
	}{
		{"zero", store.StringFilter{}, []string{"", "a"}, nil},
		{"in", store.Eq("a", "b"), []string{"a", "b"}, []string{"", "c"}},
		{"in empty matches nothing", store.StringFilter{In: []string{}}, nil, []string{"", "a"}},
		{"in of empty string matches nothing", store.Eq(""), nil, []string{"", "a"}},
		{"null", store.IsNull(), []string{""}, []string{"a"}},
		{"null or in", store.StringFilter{In: []string{"a"}, Null: true}, []string{"", "a"}, []string{"b"}},
		{"ne", store.Ne("a"), []string{"b"}, []string{"", "a"}},
		{"ne empty", store.Ne(""), []string{"a"}, []string{""}},
		{"nin empty list", store.StringFilter{NotIn: []string{}}, []string{"a"}, []string{""}},
		{"like", store.Like("a%"), []string{"a", "abc"}, []string{"", "Abc", "ba"}},
		{"ilike", store.ILike("a%"), []string{"a", "Abc"}, []string{"", "ba"}},
		{"like percent matches no null", store.Like("%"), []string{"a"}, []string{""}},
		{"bounds", store.StringFilter{Gt: sp("b"), Lte: sp("d")}, []string{"c", "d", "b0"}, []string{"", "b", "e", "B"}},
		{"gte lt", store.StringFilter{Gte: sp("b"), Lt: sp("c")}, []string{"b", "bz"}, []string{"a", "c"}},
		{"in and ne", store.StringFilter{In: []string{"a", "b"}, NotIn: []string{"b"}}, []string{"a"}, []string{"b", ""}},
	} {
		for _, v := range tc.yes {
			if !tc.f.Match(v) {
				t.Errorf("%s: %q does not match", tc.name, v)
			}
		}
		for _, v := range tc.no {
			if tc.f.Match(v) {
				t.Errorf("%s: %q matches", tc.name, v)
			}
		}
	}
}

func TestStringFilterFold(t *testing.T) {
	f := store.StringFilter{In: []string{"A@X.com"}, NotIn: []string{"B@x.COM"}, Like: sp("%@X%"), Gt: sp("A")}.Fold()
	if !f.Match("a@x.com") || f.Match("b@x.com") {
		t.Fatalf("folded filter %+v", f)
	}
	both := store.StringFilter{Like: sp("A%"), ILike: sp("%Z")}.Fold()
	if !both.Match("abz") || both.Match("ab") {
		t.Fatalf("folded like and ilike %+v", both)
	}
}

func TestStringFilterCheck(t *testing.T) {
	ok := []store.StringFilter{
		{}, store.Like(`a\\`), store.Like(`\%`), store.ILike(strings.Repeat("a", store.MaxPatternBytes)),
		store.Eq(make([]string, store.MaxFilterValues)...),
	}
	for _, f := range ok {
		if err := f.Check("x"); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
	bad := map[string]store.StringFilter{
		`invalid x: pattern must not end with the escape character \`:  store.Like(`a\`),
		`invalid x: pattern must not end with the escape character \ `: store.ILike(`\\\`),
		"invalid x: pattern must be at most 256 bytes long, got 257":   store.Like(strings.Repeat("a", 257)),
		"invalid x: must have at most 1000 values, got 1001":           store.Ne(make([]string, 1001)...),
	}
	for want, f := range bad {
		err := f.Check("x")
		var ve *store.ValidationError
		if !errors.As(err, &ve) || err.Error() != strings.TrimSpace(want) || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: %v, want %s", f, err, want)
		}
	}
}

func TestMatchLike(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		fold bool
		want bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"%", "", false, true},
		{"%a%b%c%", "xaxbxcx", false, true},
		{"%a%b%c%", "xaxcxbx", false, false},
		{"a%a", "aaa", false, true},
		{"a%a", "a", false, false},
		{"_", "日", false, true},
		{`\%`, "%", false, true},
		{`\%`, "a", false, false},
		{`a\`, `a\`, false, true},
		{"ÄNN%", "ännchen", true, true},
		{"ÄNN%", "ännchen", false, false},
		{strings.Repeat("%a", 50) + "b", strings.Repeat("a", 2000), false, false},
	} {
		if got := store.MatchLike(tc.p, tc.s, tc.fold); got != tc.want {
			t.Errorf("MatchLike(%q, %q, %v) = %v", tc.p, tc.s, tc.fold, got)
		}
	}
}

func TestTimeFilterMatch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	us := time.Microsecond
	for _, tc := range []struct {
		name string
		f    store.TimeFilter
		yes  []time.Time
		no   []time.Time
	}{
		{"zero", store.TimeFilter{}, []time.Time{t0}, nil},
		{"in at microseconds", store.TimeFilter{In: []time.Time{t0.Add(900)}}, []time.Time{t0, t0.Add(999)}, []time.Time{t0.Add(us)}},
		{"in empty", store.TimeFilter{In: []time.Time{}}, nil, []time.Time{t0}},
		{"not in", store.TimeFilter{NotIn: []time.Time{t0}}, []time.Time{t0.Add(us)}, []time.Time{t0.Add(1)}},
		{"lt at microseconds", store.TimeFilter{Lt: t0.Add(us + 500)}, []time.Time{t0}, []time.Time{t0.Add(us), t0.Add(us + 400)}},
		{"gt gte lte", store.TimeFilter{Gt: t0, Gte: t0.Add(us), Lte: t0.Add(2 * us)}, []time.Time{t0.Add(us), t0.Add(2 * us)}, []time.Time{t0, t0.Add(3 * us)}},
	} {
		for _, v := range tc.yes {
			if !tc.f.Match(v) {
				t.Errorf("%s: %v does not match", tc.name, v)
			}
		}
		for _, v := range tc.no {
			if tc.f.Match(v) {
				t.Errorf("%s: %v matches", tc.name, v)
			}
		}
	}
	if (store.TimeFilter{}).MatchNullable(nil) != true || (store.TimeFilter{Gt: t0}).MatchNullable(nil) || !(store.TimeFilter{Gt: t0}).MatchNullable(&[]time.Time{t0.Add(us)}[0]) {
		t.Fatal("MatchNullable")
	}
	if err := (store.TimeFilter{NotIn: make([]time.Time, 1001)}).Check("t"); err == nil || err.Error() != "invalid t: must have at most 1000 values, got 1001" {
		t.Fatalf("Check: %v", err)
	}
}
