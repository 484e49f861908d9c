package provider_test

import (
	"testing"

	"github.com/clientele/clientele/provider"
)

func TestInputForActor(t *testing.T) {
	in := provider.Input{ActorType: "user", Binding: "b", Body: map[string]any{"email": "a@b.c"}}
	out := in.ForActor("customer")
	if out.ActorType != "customer" || out.Binding != "b" || out.Body["email"] != "a@b.c" {
		t.Errorf("ForActor = %+v", out)
	}
	if in.ActorType != "user" {
		t.Errorf("ForActor changed its receiver: %+v", in)
	}
}
