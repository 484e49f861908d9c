package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/store"
)

type row struct {
	ID      string
	Name    string
	Flag    bool
	At      time.Time
	Deleted *time.Time
}

var rowColumns = store.NewColumns(
	store.Text("id", func(r *row) string { return r.ID }),
	store.Text("name", func(r *row) string { return r.Name }),
	store.Bool("flag", func(r *row) bool { return r.Flag }),
	store.Time("at", func(r *row) time.Time { return r.At }),
	store.NullTime("deleted", func(r *row) *time.Time { return r.Deleted }),
)

func rowID(r *row) string { return r.ID }

func TestColumnsComparer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	rows := []*row{
		{ID: "r1", Name: "b", Flag: true, At: t1, Deleted: &t0},
		{ID: "r2", Name: "", Flag: false, At: t0},
		{ID: "r3", Name: "B", Flag: true, At: t0, Deleted: &t1},
		{ID: "r4", Name: "b", Flag: false, At: t1},
		{ID: "r5", Name: "é", Flag: false, At: t0, Deleted: &t0},
	}
	cases := []struct {
		order []store.Order
		want  []string
	}{
		{nil, []string{"r1", "r2", "r3", "r4", "r5"}},
		{[]store.Order{store.Desc("id")}, []string{"r5", "r4", "r3", "r2", "r1"}},
		// Byte order, NULL ("") last ascending and first descending, ties by id.
		{[]store.Order{store.Asc("name")}, []string{"r3", "r1", "r4", "r5", "r2"}},
		{[]store.Order{store.Desc("name")}, []string{"r2", "r5", "r1", "r4", "r3"}},
		{[]store.Order{store.Asc("flag")}, []string{"r2", "r4", "r5", "r1", "r3"}},
		{[]store.Order{store.Desc("flag")}, []string{"r1", "r3", "r2", "r4", "r5"}},
		{[]store.Order{store.Asc("at"), store.Desc("name")}, []string{"r2", "r5", "r3", "r1", "r4"}},
		{[]store.Order{store.Asc("deleted")}, []string{"r1", "r5", "r3", "r2", "r4"}},
		{[]store.Order{store.Desc("deleted")}, []string{"r2", "r4", "r3", "r1", "r5"}},
		// An explicit id term replaces the implicit one.
		{[]store.Order{store.Asc("flag"), store.Desc("id")}, []string{"r5", "r4", "r2", "r3", "r1"}},
	}
	for _, tc := range cases {
		by, err := rowColumns.Comparer(tc.order, rowID)
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Clone(rows)
		slices.SortFunc(got, by)
		ids := make([]string, len(got))
		for i, r := range got {
			ids[i] = r.ID
		}
		if diff := cmp.Diff(tc.want, ids); diff != "" {
			t.Errorf("%v: (-want +got)\n%s", tc.order, diff)
		}
	}
}

func TestColumnsUnknownField(t *testing.T) {
	_, err := rowColumns.Comparer([]store.Order{store.Asc("name"), store.Asc("nope")}, rowID)
	var ve *store.ValidationError
	if !errors.Is(err, store.ErrInvalid) || !errors.As(err, &ve) || ve.Field != "order" || err.Error() != "invalid order: Order field nope is not valid" {
		t.Fatalf("unknown field: %v", err)
	}
	checked := store.ListOptions{Order: []store.Order{store.Asc("nope")}}.Check(rowColumns)
	if checked == nil || checked.Error() != err.Error() {
		t.Fatalf("Check and Comparer disagree: %v, %v", checked, err)
	}
}

func TestColumnsDeclaration(t *testing.T) {
	if diff := cmp.Diff([]string{"id", "name", "flag", "at", "deleted"}, rowColumns.Names()); diff != "" {
		t.Error(diff)
	}
	for name, want := range map[string]store.ColumnKind{"id": store.TextColumn, "flag": store.BoolColumn, "at": store.TimeColumn, "deleted": store.TimeColumn, "nope": 0} {
		if got := rowColumns.Kind(name); got != want {
			t.Errorf("Kind(%q) = %v, want %v", name, got, want)
		}
		if rowColumns.Has(name) != (want != 0) {
			t.Errorf("Has(%q)", name)
		}
	}
	if rowColumns.Has("") || (store.Columns[row]{}).Has("id") {
		t.Error("Has of a missing column")
	}
	for name, cols := range map[string][]store.Column[row]{
		"twice":   {store.Text("id", rowID), store.Text("id", rowID)},
		"unnamed": {store.Text("", rowID)},
		"zero":    {{}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewColumns did not panic", name)
				}
			}()
			store.NewColumns(cols...)
		}()
	}
}
