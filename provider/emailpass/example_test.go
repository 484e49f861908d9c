package emailpass_test

import (
	"context"
	"fmt"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

func ExampleCredentials() {
	ctx := context.Background()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-example-secret-32b")})
	if err != nil {
		panic(err)
	}
	// Cheap scrypt parameters keep the example fast; production uses the
	// default, Medusa's.
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))))
	if err != nil {
		panic(err)
	}

	reg, err := svc.Register(ctx, emailpass.ID, emailpass.Credentials("Ada@Example.com", "correct horse battery").ForActor("customer"))
	if err != nil {
		panic(err)
	}
	fmt.Println("registered", reg.AuthIdentity.ProviderIdentities[0].EntityID)

	_, err = svc.Authenticate(ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "wrong horse battery").ForActor("customer"))
	fmt.Println(err)

	res, err := svc.Authenticate(ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse battery").ForActor("customer"))
	fmt.Println(err, res.AuthIdentity.ID == reg.AuthIdentity.ID)
	// Output:
	// registered ada@example.com
	// Invalid email or password
	// <nil> true
}
