package page

import (
	"errors"
	"testing"

	"github.com/clientele/clientele/store"
)

func TestTotal(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		n       int
		opts    store.ListOptions
		counted bool
	}{
		{0, store.ListOptions{}, false},
		{7, store.ListOptions{}, false},
		{3, store.ListOptions{Take: 5}, false},
		{5, store.ListOptions{Take: 5}, true}, // a full page: there may be more
		{0, store.ListOptions{Skip: 1}, true}, // a page past the end says nothing
		{2, store.ListOptions{Skip: 4, Take: 5}, true},
		{2, store.ListOptions{After: "c"}, true}, // the rows before the cursor are not in the page
		{2, store.ListOptions{Before: "c", Take: 5}, true},
	} {
		calls := 0
		got, err := Total(tc.n, tc.opts, func() (int, error) { calls++; return 42, nil })
		if err != nil {
			t.Fatal(err)
		}
		want := tc.n
		if tc.counted {
			want = 42
		}
		if got != want || (calls == 1) != tc.counted {
			t.Errorf("Total(%d, %+v) = %d after %d counts, want %d", tc.n, tc.opts, got, calls, want)
		}
	}
	if _, err := Total(5, store.ListOptions{Take: 5}, func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("error %v", err)
	}
}

type item struct{ id string }

var itemColumns = store.NewColumns(store.Text("id", func(i *item) string { return i.id }))

func itemID(i *item) string { return i.id }

// listItems lists ids as a store does: past the cursor, then skip/take,
// the last rows for Before.
func listItems(ids []string) func(store.ListOptions) ([]*item, error) {
	return func(o store.ListOptions) ([]*item, error) {
		seek, err := o.Seek(itemColumns)
		if err != nil {
			return nil, err
		}
		var out []*item
		for _, id := range ids[min(o.Skip, len(ids)):] {
			if it := (&item{id}); seek == nil || itemColumns.Beyond(seek, itemID)(it) {
				out = append(out, it)
			}
		}
		if o.Take > 0 && len(out) > o.Take {
			if seek != nil && seek.Before {
				out = out[len(out)-o.Take:]
			} else {
				out = out[:o.Take]
			}
		}
		return out, nil
	}
}

func TestBuild(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	counts := 0
	list := ListAndCount(listItems(ids), func() (int, error) { counts++; return len(ids), nil })
	cursor := func(id string) string { return itemColumns.Cursor(nil, itemID, &item{id}) }
	for _, tc := range []struct {
		name       string
		opts       store.ListOptions
		items      string
		next, prev string // ids whose cursors Next and Prev are, "" for none
		counted    bool
	}{
		{"first page", store.ListOptions{Take: 2}, "ab", "b", "", true},
		{"all in one", store.ListOptions{Take: 5}, "abcde", "", "", false},
		{"no limit", store.ListOptions{}, "abcde", "", "", false},
		{"after", store.ListOptions{Take: 2, After: cursor("b")}, "cd", "d", "c", true},
		{"last page", store.ListOptions{Take: 2, After: cursor("c")}, "de", "", "d", true},
		{"after the end", store.ListOptions{Take: 2, After: cursor("e")}, "", "", "", true},
		{"before", store.ListOptions{Take: 2, Before: cursor("e")}, "cd", "d", "c", true},
		{"first by before", store.ListOptions{Take: 2, Before: cursor("c")}, "ab", "b", "", true},
		{"skip", store.ListOptions{Take: 2, Skip: 1}, "bc", "c", "b", true},
	} {
		counts = 0
		p, err := Build(itemColumns, itemID, tc.opts, list)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, it := range p.Items {
			got += it.id
		}
		want := func(id string) string {
			if id == "" {
				return ""
			}
			return cursor(id)
		}
		if got != tc.items || p.Next != want(tc.next) || p.Prev != want(tc.prev) || p.Count != (store.Count{N: 5}) || (counts == 1) != tc.counted {
			t.Errorf("%s: items %q next %q prev %q count %+v after %d counts", tc.name, got, p.Next, p.Prev, p.Count, counts)
		}
	}
	boom := errors.New("boom")
	if _, err := Build(itemColumns, itemID, store.ListOptions{Take: 1}, ListAndCount(listItems(ids), func() (int, error) { return 0, boom })); !errors.Is(err, boom) {
		t.Errorf("a failing count: %v", err)
	}
}
