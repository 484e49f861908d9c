package text

import (
	"errors"
	"strings"
	"testing"

	"github.com/clientele/clientele/store"
)

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"FirstName": "first_name", "Address1": "address_1", "CustomerIDs": "customer_ids",
		"IDs": "ids", "Q": "q", "IsDefaultShipping": "is_default_shipping", "EntityID": "entity_id",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFields(t *testing.T) {
	type inner struct{ City string }
	type params struct {
		Name     *string
		Tags     []string
		Filter   store.StringFilter
		Items    []inner
		Metadata map[string]any
		hidden   string
	}
	bad := "x\x00"
	for _, tc := range []struct {
		v     params
		field string
	}{
		{params{Name: &bad}, "p.name"},
		{params{Tags: []string{"ok", bad}}, "p.tags[1]"},
		{params{Filter: store.Eq(bad)}, "p.filter[0]"},
		{params{Items: []inner{{}, {City: bad}}}, "p.items[1].city"},
		{params{Metadata: map[string]any{"a": map[string]any{"b": []any{1, bad}}}}, "p.metadata.a.b[1]"},
		{params{Metadata: map[string]any{bad: 1}}, "p.metadata"},
		{params{Name: new("\xc3")}, "p.name"},
	} {
		err := Fields("p.", &tc.v)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Fields(%+v) = %v, want a validation error on %s", tc.v, err, tc.field)
		}
	}
	if err := Fields("", params{Name: new("Zoë 😀"), hidden: bad}); err != nil {
		t.Errorf("valid input: %v", err)
	}
}

func TestSearch(t *testing.T) {
	words := func(n int) string { return strings.Repeat("w ", n) }
	for _, tc := range []struct {
		b    Search
		q    string
		fail bool
	}{
		{Search{}, words(8), false},
		{Search{}, words(9), true},
		{Search{}, strings.Repeat("a", 256), false},
		{Search{}, strings.Repeat("a", 257), true},
		{Search{}, "a\x00", true},
		{Search{MaxWords: -1, MaxBytes: -1}, words(5000), false},
		{Search{MaxWords: 2}, "a b c", true},
		{Search{MaxBytes: 3}, "abcd", true},
	} {
		if err := tc.b.Check("q", tc.q); (err != nil) != tc.fail {
			t.Errorf("%+v.Check(%.20q…) = %v, want failure %v", tc.b, tc.q, err, tc.fail)
		}
	}
}
