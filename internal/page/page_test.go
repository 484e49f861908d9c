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
