package store_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/store"
)

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	order := []store.Order{store.Desc("name"), store.Asc("flag"), store.Asc("at"), store.Desc("deleted")}
	for _, r := range []*row{
		{ID: "r1", Name: "Ölfass", Flag: true, At: at, Deleted: &at},
		{ID: "r2", At: at}, // NULL name and gone
	} {
		c := rowColumns.Cursor(order, rowID, r)
		if strings.ContainsAny(c, "+/=") {
			t.Errorf("cursor %q is not unpadded base64url", c)
		}
		seek, err := store.ListOptions{Order: order, After: c}.Seek(rowColumns)
		if err != nil {
			t.Fatal(err)
		}
		var name, gone any
		if r.Name != "" {
			name = r.Name
		}
		if r.Deleted != nil {
			gone = r.Deleted.UTC()
		}
		want := &store.Seek{Keys: []store.SeekKey{
			{Order: order[0], Kind: store.TextColumn, Value: name},
			{Order: order[1], Kind: store.BoolColumn, Value: r.Flag},
			{Order: order[2], Kind: store.TimeColumn, Value: at.UTC()},
			{Order: order[3], Kind: store.TimeColumn, Value: gone},
			{Order: store.Asc("id"), Kind: store.TextColumn, Value: r.ID},
		}}
		if diff := cmp.Diff(want, seek); diff != "" {
			t.Errorf("seek (-want +got)\n%s", diff)
		}
		// The row itself is not past its own cursor.
		if rowColumns.Beyond(seek, rowID)(r) {
			t.Errorf("row %s is past its own cursor", r.ID)
		}
	}
	if seek, err := (store.ListOptions{}).Seek(rowColumns); seek != nil || err != nil {
		t.Errorf("no cursor: %v, %v", seek, err)
	}
}

func TestCursorRefused(t *testing.T) {
	good := rowColumns.Cursor(nil, rowID, &row{ID: "r1"})
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name   string
		opts   store.ListOptions
		field  string
		reason string
	}{
		{"other order", store.ListOptions{Order: []store.Order{store.Asc("name")}, After: good}, "after", "the cursor was made for another order"},
		{"not base64", store.ListOptions{Before: "a b"}, "before", "not a cursor of this list"},
		{"padded", store.ListOptions{After: good + "=="}, "after", "not a cursor of this list"},
		{"too long", store.ListOptions{After: strings.Repeat("A", 9000)}, "after", "not a cursor of this list"},
		{"not json", store.ListOptions{After: enc("nope")}, "after", "not a cursor of this list"},
		{"trailing", store.ListOptions{After: enc(`{"o":["id"],"k":["r"]} {}`)}, "after", "not a cursor of this list"},
		{"unknown field", store.ListOptions{After: enc(`{"o":["id"],"k":["r"],"x":1}`)}, "after", "not a cursor of this list"},
		{"lengths", store.ListOptions{After: enc(`{"o":["id"],"k":[]}`)}, "after", "not a cursor of this list"},
		{"renamed key", store.ListOptions{After: enc(`{"o":["-id"],"k":["r"]}`)}, "after", "the cursor was made for another order"},
		{"number", store.ListOptions{After: enc(`{"o":["id"],"k":[5]}`)}, "after", "not a cursor of this list"},
		{"null bool", store.ListOptions{Order: []store.Order{store.Asc("flag")}, After: enc(`{"o":["flag","id"],"k":[null,"r"]}`)}, "after", "not a cursor of this list"},
		{"bad time", store.ListOptions{Order: []store.Order{store.Asc("at")}, After: enc(`{"o":["at","id"],"k":["2026-13-01","r"]}`)}, "after", "not a cursor of this list"},
		{"empty text", store.ListOptions{After: enc(`{"o":["id"],"k":[""]}`)}, "after", "not a cursor of this list"},
		{"both", store.ListOptions{After: good, Before: good}, "before", "cannot be used with after"},
		{"skip", store.ListOptions{Before: good, Skip: 2}, "skip", "must be 0 with a cursor, got 2"},
		{"cap without capped", store.ListOptions{CountCap: 3}, "count_cap", "is only for a capped count"},
		{"capped without cap", store.ListOptions{Count: store.CountCapped}, "count_cap", "must be positive with a capped count, got 0"},
		{"unknown mode", store.ListOptions{Count: -1}, "count", "unknown count mode -1"},
	} {
		err := tc.opts.Check(rowColumns)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || ve.Reason != tc.reason || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want %s: %s", tc.name, err, tc.field, tc.reason)
		}
	}
}

func TestBeyondOrdersNulls(t *testing.T) {
	rows := []*row{{ID: "a", Name: "x"}, {ID: "b"}, {ID: "c", Name: "y"}, {ID: "d"}}
	for _, tc := range []struct {
		order        []store.Order
		before       bool
		cursor, want string
	}{
		{[]store.Order{store.Asc("name")}, false, "a", "cbd"},  // x y NULL NULL
		{[]store.Order{store.Asc("name")}, false, "b", "d"},    // NULLs last, by id
		{[]store.Order{store.Desc("name")}, false, "b", "dca"}, // NULLs first
		{[]store.Order{store.Desc("name")}, true, "c", "bd"},
		{[]store.Order{store.Asc("name")}, true, "d", "acb"},
	} {
		var at *row
		for _, r := range rows {
			if r.ID == tc.cursor {
				at = r
			}
		}
		c := rowColumns.Cursor(tc.order, rowID, at)
		opts := store.ListOptions{Order: tc.order, After: c}
		if tc.before {
			opts = store.ListOptions{Order: tc.order, Before: c}
		}
		seek, err := opts.Seek(rowColumns)
		if err != nil {
			t.Fatal(err)
		}
		by, _ := rowColumns.Comparer(tc.order, rowID)
		keep := rowColumns.Beyond(seek, rowID)
		var got strings.Builder
		sorted := append([]*row(nil), rows...)
		sortByCmp(sorted, by)
		for _, r := range sorted {
			if keep(r) {
				got.WriteString(r.ID)
			}
		}
		if got.String() != sortedIDs(tc.want, sorted) {
			t.Errorf("%v before=%v cursor %s: got %s, want %s", tc.order, tc.before, tc.cursor, got.String(), tc.want)
		}
	}
}

func sortByCmp(rs []*row, by func(a, b *row) int) {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if by(rs[j], rs[i]) < 0 {
				rs[i], rs[j] = rs[j], rs[i]
			}
		}
	}
}

// sortedIDs returns the ids of want in the order of sorted.
func sortedIDs(want string, sorted []*row) string {
	var b strings.Builder
	for _, r := range sorted {
		if strings.Contains(want, r.ID) {
			b.WriteString(r.ID)
		}
	}
	return b.String()
}

func TestCountModes(t *testing.T) {
	for _, m := range []store.CountMode{store.CountExact, store.CountEstimated, store.CountCapped} {
		got, err := store.ParseCountMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseCountMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := store.ParseCountMode("Exact"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ParseCountMode(Exact): %v", err)
	}
	for _, tc := range []struct {
		n, limit int
		want     store.Count
	}{
		{0, 5, store.Count{}},
		{5, 5, store.Count{N: 5}},
		{6, 5, store.Count{N: 5, Kind: store.CountCapped}},
	} {
		if got := store.Capped(tc.n, tc.limit); got != tc.want {
			t.Errorf("Capped(%d, %d) = %+v, want %+v", tc.n, tc.limit, got, tc.want)
		}
	}
}
