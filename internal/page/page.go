// Package page helps the services' list-and-count methods.
package page

import "github.com/clientele/clientele/store"

// Total returns how many rows match in all, given the n rows of a page
// listed with opts: n itself when the page holds every match (it skips
// none, and it has no limit or fewer rows than its limit), else what
// count returns.
func Total(n int, opts store.ListOptions, count func() (int, error)) (int, error) {
	if opts.Skip <= 0 && (opts.Take <= 0 || n < opts.Take) {
		return n, nil
	}
	return count()
}
