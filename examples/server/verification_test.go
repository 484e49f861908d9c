package main

import (
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

func TestVerificationOptions(t *testing.T) {
	if opts, err := verificationOptions(" "); err != nil || opts != nil {
		t.Fatalf("unset: %v %v", opts, err)
	}
	for _, bad := range []string{`[]`, `{"vcustomer": [{"auth_provider": "emailpass"}]}`, `{"vcustomer": [{"provider": "emailpass", "entity_type": "email"}]}`, `{`} {
		opts, err := verificationOptions(bad)
		if err == nil {
			st := memory.New()
			tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("server-test-secret-0123456789abcdef")})
			_, err = auth.NewService(st, tokens, opts...)
		}
		if err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	opts, err := verificationOptions(`{"vcustomer": [{"auth_provider": "emailpass", "entity_type": "email"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("server-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.NewService(st, tokens, append(opts, auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))))...)
	if err != nil {
		t.Fatal(err)
	}
	in := emailpass.Credentials("ada@example.com", "supersecret")
	if _, err := svc.Register(t.Context(), emailpass.ID, in.ForActor("vcustomer")); err != nil {
		t.Fatal(err)
	}
	for actor, gated := range map[string]bool{"vcustomer": true, "customer": false, "user": false} {
		l, err := svc.Login(t.Context(), actor, emailpass.ID, in)
		if err != nil {
			t.Fatalf("%s: %v", actor, err)
		}
		if l.VerificationRequired != gated {
			t.Errorf("%s: verification required %v, want %v", actor, l.VerificationRequired, gated)
		}
	}
}
