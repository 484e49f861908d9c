package memory

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clientele/clientele/store"
)

// TestSortAndPage: the page is the slice of the sorted rows, whether the
// rows are sorted whole or only the smallest are kept, duplicates
// included.
func TestSortAndPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	by := func(a, b *int) int { return cmp.Compare(*a, *b) }
	for _, n := range []int{0, 1, 7, 8, 100, 1000} {
		for _, opts := range []store.ListOptions{{}, {Take: 1}, {Take: 20}, {Skip: 5, Take: 20}, {Skip: 3}, {Skip: 120, Take: 5}, {Take: n}, {Skip: n, Take: 1}} {
			t.Run(fmt.Sprintf("%d rows skip %d take %d", n, opts.Skip, opts.Take), func(t *testing.T) {
				vals := make([]int, n)
				rows := make([]*int, n)
				for i := range vals {
					vals[i] = rng.IntN(n/2 + 1) // duplicates
					rows[i] = &vals[i]
				}
				want := slices.Sorted(slices.Values(vals))
				want = want[min(opts.Skip, len(want)):]
				if opts.Take > 0 && opts.Take < len(want) {
					want = want[:opts.Take]
				}
				var got []int
				for _, r := range sortAndPage(rows, opts, sorter[int]{cmp: by}) {
					got = append(got, *r)
				}
				if !slices.Equal(got, want) && len(got)+len(want) > 0 {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	}
}
