package store

// CountMode says how a list counts its matches ([ListOptions.Count]) and
// what kind of number a [Count] holds.
type CountMode int

const (
	// CountExact counts every match, as Medusa does: the default.
	CountExact CountMode = iota
	// CountEstimated takes the database's estimate, which costs the same
	// whatever the number of matches: the planner's estimate of the rows a
	// filtered list matches, or the table's row estimate for an unfiltered
	// one. A backend that can count exactly at no extra cost (the memory
	// backend) counts exactly and says so ([Count.Kind] CountExact).
	CountEstimated
	// CountCapped counts up to [ListOptions.CountCap] matches. A Count of
	// this kind says the cap was hit: more than N rows match. A count that
	// stays under the cap is exact (Kind CountExact).
	CountCapped
)

// String returns "exact", "estimated" or "capped".
func (m CountMode) String() string {
	switch m {
	case CountExact:
		return "exact"
	case CountEstimated:
		return "estimated"
	case CountCapped:
		return "capped"
	}
	return "CountMode(?)"
}

// ParseCountMode returns the mode that [CountMode.String] names.
func ParseCountMode(s string) (CountMode, error) {
	for _, m := range []CountMode{CountExact, CountEstimated, CountCapped} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, Invalid("count", "must be exact, estimated or capped, got %q", s)
}

func (m CountMode) check(limit int) error {
	switch {
	case m < CountExact || m > CountCapped:
		return Invalid("count", "unknown count mode %d", int(m))
	case m == CountCapped && limit <= 0:
		return Invalid("count_cap", "must be positive with a capped count, got %d", limit)
	case m != CountCapped && limit != 0:
		return Invalid("count_cap", "is only for a capped count")
	}
	return nil
}

// Count is the number of rows a list matches, and its kind: exact,
// estimated, or capped (more than N rows match).
type Count struct {
	N    int
	Kind CountMode
}

// Capped returns the count of n matches counted up to limit (n may be
// limit+1 when the count stopped there): exact under the limit, else
// limit of kind CountCapped.
func Capped(n, limit int) Count {
	if n > limit {
		return Count{N: limit, Kind: CountCapped}
	}
	return Count{N: n}
}

// Page is a page of a list with its count and the cursors of the pages
// around it, as the services' ListPage methods return it.
type Page[T any] struct {
	// Items are the rows of the page, in the list's order.
	Items []*T
	// Count is how many rows the list matches, ignoring paging, in the
	// kind of count asked for.
	Count Count
	// Next is the cursor of the page after this one ([ListOptions.After]):
	// "" when no row follows the page, or when the page is empty. Prev is
	// the cursor of the page before it ([ListOptions.Before]): "" when the
	// page starts the list, or when it is empty. Following Next from the
	// first page, or Prev from the last, visits every row once.
	Next, Prev string
}
