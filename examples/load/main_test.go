package main

import (
	"reflect"
	"testing"

	"github.com/clientele/clientele/internal/load"
)

func TestParseLoads(t *testing.T) {
	got, err := parseLoads("me:32, admin_list:16,login:8")
	want := []load.Load{{Name: "me", Concurrency: 32}, {Name: "admin_list", Concurrency: 16}, {Name: "login", Concurrency: 8}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseLoads = %v, %v", got, err)
	}
	// Names are checked by load.Run; the syntax here.
	for _, bad := range []string{"", "me", "me:x", "me:32,", "me:32:1"} {
		if got, err := parseLoads(bad); err == nil {
			t.Errorf("parseLoads(%q) = %v", bad, got)
		}
	}
}
