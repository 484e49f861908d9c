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

type cursorRow struct {
	id, name string
	ok       bool
	at       time.Time
	gone     *time.Time
}

var cursorColumns = store.NewColumns(
	store.Text("id", func(r *cursorRow) string { return r.id }),
	store.Text("name", func(r *cursorRow) string { return r.name }),
	store.Bool("ok", func(r *cursorRow) bool { return r.ok }),
	store.Time("at", func(r *cursorRow) time.Time { return r.at }),
	store.NullTime("gone", func(r *cursorRow) *time.Time { return r.gone }),
)

func cursorRowID(r *cursorRow) string { return r.id }

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	order := []store.Order{store.Desc("name"), store.Asc("ok"), store.Asc("at"), store.Desc("gone")}
	for _, r := range []*cursorRow{
		{id: "r1", name: "Ölfass", ok: true, at: at, gone: &at},
		{id: "r2", at: at}, // NULL name and gone
	} {
		c := cursorColumns.Cursor(order, cursorRowID, r)
		if strings.ContainsAny(c, "+/=") {
			t.Errorf("cursor %q is not unpadded base64url", c)
		}
		seek, err := store.ListOptions{Order: order, After: c}.Seek(cursorColumns)
		if err != nil {
			t.Fatal(err)
		}
		var name, gone any
		if r.name != "" {
			name = r.name
		}
		if r.gone != nil {
			gone = r.gone.UTC()
		}
		want := &store.Seek{Keys: []store.SeekKey{
			{Order: order[0], Kind: store.TextColumn, Value: name},
			{Order: order[1], Kind: store.BoolColumn, Value: r.ok},
			{Order: order[2], Kind: store.TimeColumn, Value: at.UTC()},
			{Order: order[3], Kind: store.TimeColumn, Value: gone},
			{Order: store.Asc("id"), Kind: store.TextColumn, Value: r.id},
		}}
		if diff := cmp.Diff(want, seek); diff != "" {
			t.Errorf("seek (-want +got)\n%s", diff)
		}
		// The row itself is not past its own cursor.
		if cursorColumns.Beyond(seek, cursorRowID)(r) {
			t.Errorf("row %s is past its own cursor", r.id)
		}
	}
	if seek, err := (store.ListOptions{}).Seek(cursorColumns); seek != nil || err != nil {
		t.Errorf("no cursor: %v, %v", seek, err)
	}
}

func TestCursorRefused(t *testing.T) {
	good := cursorColumns.Cursor(nil, cursorRowID, &cursorRow{id: "r1"})
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
		{"null bool", store.ListOptions{Order: []store.Order{store.Asc("ok")}, After: enc(`{"o":["ok","id"],"k":[null,"r"]}`)}, "after", "not a cursor of this list"},
		{"bad time", store.ListOptions{Order: []store.Order{store.Asc("at")}, After: enc(`{"o":["at","id"],"k":["2026-13-01","r"]}`)}, "after", "not a cursor of this list"},
		{"empty text", store.ListOptions{After: enc(`{"o":["id"],"k":[""]}`)}, "after", "not a cursor of this list"},
		{"both", store.ListOptions{After: good, Before: good}, "before", "cannot be used with after"},
		{"skip", store.ListOptions{Before: good, Skip: 2}, "skip", "must be 0 with a cursor, got 2"},
		{"cap without capped", store.ListOptions{CountCap: 3}, "count_cap", "is only for a capped count"},
		{"capped without cap", store.ListOptions{Count: store.CountCapped}, "count_cap", "must be positive with a capped count, got 0"},
		{"unknown mode", store.ListOptions{Count: -1}, "count", "unknown count mode -1"},
	} {
		err := tc.opts.Check(cursorColumns)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || ve.Reason != tc.reason || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want %s: %s", tc.name, err, tc.field, tc.reason)
		}
	}
}

func TestBeyondOrdersNulls(t *testing.T) {
	rows := []*cursorRow{{id: "a", name: "x"}, {id: "b"}, {id: "c", name: "y"}, {id: "d"}}
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
		var at *cursorRow
		for _, r := range rows {
			if r.id == tc.cursor {
				at = r
			}
		}
		c := cursorColumns.Cursor(tc.order, cursorRowID, at)
		opts := store.ListOptions{Order: tc.order, After: c}
		if tc.before {
			opts = store.ListOptions{Order: tc.order, Before: c}
		}
		seek, err := opts.Seek(cursorColumns)
		if err != nil {
			t.Fatal(err)
		}
		by, _ := cursorColumns.Comparer(tc.order, cursorRowID)
		keep := cursorColumns.Beyond(seek, cursorRowID)
		var got strings.Builder
		sorted := append([]*cursorRow(nil), rows...)
		sortByCmp(sorted, by)
		for _, r := range sorted {
			if keep(r) {
				got.WriteString(r.id)
			}
		}
		if got.String() != sortedIDs(tc.want, sorted) {
			t.Errorf("%v before=%v cursor %s: got %s, want %s", tc.order, tc.before, tc.cursor, got.String(), tc.want)
		}
	}
}

func sortByCmp(rs []*cursorRow, by func(a, b *cursorRow) int) {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if by(rs[j], rs[i]) < 0 {
				rs[i], rs[j] = rs[j], rs[i]
			}
		}
	}
}

// sortedIDs returns the ids of want in the order of sorted.
func sortedIDs(want string, sorted []*cursorRow) string {
	var b strings.Builder
	for _, r := range sorted {
		if strings.Contains(want, r.id) {
			b.WriteString(r.id)
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
