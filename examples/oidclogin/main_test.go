package main

import (
	"context"
	"testing"
)

// TestSelftest runs the demo's self-test: the whole redirect flow against
// the fake provider, a replayed callback and a callback from another
// browser.
func TestSelftest(t *testing.T) {
	t.Setenv("OIDC_ISSUER", "")
	t.Setenv("OIDC_CALLBACK_URL", "")
	if err := runSelftest(context.Background()); err != nil {
		t.Fatal(err)
	}
}
