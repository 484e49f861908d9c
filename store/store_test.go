package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/clientele/clientele/store"
)

func TestErrorMessages(t *testing.T) {
	kind := store.Kind("customer", store.ErrNotFound)
	cases := []struct {
		err  error
		msg  string
		kind error
	}{
		{&store.NotFoundError{Entity: "Customer", IDs: []string{"cus_1"}, Err: kind}, "Customer with id: cus_1 was not found", kind},
		{&store.NotFoundError{Entity: "Customer", IDs: []string{"cus_1", "cus_2"}}, `Customer with id "cus_1, cus_2" not found`, store.ErrNotFound},
		{&store.ConflictError{Entity: "Customer group", Fields: [][2]string{{"name", "VIP"}}}, "Customer group with name: VIP, already exists.", store.ErrConflict},
		{store.Invalid("email", "Invalid email"), "invalid email: Invalid email", store.ErrInvalid},
	}
	for _, tc := range cases {
		if tc.err.Error() != tc.msg {
			t.Errorf("message %q, want %q", tc.err.Error(), tc.msg)
		}
		if !errors.Is(tc.err, tc.kind) {
			t.Errorf("%q does not match %v", tc.err, tc.kind)
		}
	}
	if !errors.Is(kind, store.ErrNotFound) || kind.Error() != "customer: not found" {
		t.Errorf("Kind: %v", kind)
	}
}

func TestFilters(t *testing.T) {
	if !(store.StringFilter{}).Match("x") || !(store.StringFilter{}).Match("") {
		t.Error("zero filter must match everything")
	}
	if !store.IsNull().Match("") || store.IsNull().Match("x") {
		t.Error("IsNull")
	}
	if !store.Eq("a", "b").Match("b") || store.Eq("a").Match("") || store.Eq("a").Match("A") {
		t.Error("Eq")
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := store.TimeFilter{Gte: t0, Lt: t0.Add(time.Hour)}
	if !r.Match(t0) || r.Match(t0.Add(time.Hour)) || r.Match(t0.Add(-1)) {
		t.Error("TimeRange")
	}
	if !store.MatchWords(store.Words(" john  DOE "), "John", "Doe") || store.MatchWords(store.Words("john x"), "John", "Doe") {
		t.Error("MatchWords")
	}
}

func TestListOptionsCheck(t *testing.T) {
	sortable := store.NewColumns(store.Text("id", func(s *string) string { return *s }))
	for _, o := range []store.ListOptions{{Skip: -1}, {Take: -1}, {Order: []store.Order{store.Asc("nope")}}} {
		if err := o.Check(sortable); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if err := (store.ListOptions{Skip: 1, Take: 2, Order: []store.Order{store.Desc("id")}}).Check(sortable); err != nil {
		t.Error(err)
	}
}
