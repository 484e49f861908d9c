package auth_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// Log in with one call: the identity proved and its token. A token's
// actor_id is empty until the identity has a customer (see
// account.Service.SignUp for sign-up in one call).
func ExampleService_Login() {
	ctx := context.Background()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdefghij")})
	if err != nil {
		panic(err)
	}
	// Cheap hashing for the example; the default is Medusa's scrypt.
	hasher := emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1})
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(emailpass.New(hasher)))
	if err != nil {
		panic(err)
	}
	if _, err := svc.Register(ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse")); err != nil {
		panic(err)
	}

	l, err := svc.Login(ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("Ada@Example.com", "correct horse"))
	if err != nil {
		panic(err)
	}
	claims, err := svc.Verify(ctx, l.Token)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.ActorType, claims.AuthIdentityID == l.Identity.ID, claims.ActorID == "")

	_, err = svc.Login(ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "wrong horse"))
	fmt.Println(errors.Is(err, auth.ErrUnauthorized), err)
	// Output:
	// customer true true
	// true Invalid email or password
}

// Token applies the login's rules: an actor type restricted to other
// providers gets no token through this one.
func ExampleService_Token() {
	ctx := context.Background()
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdefghij")})
	svc, _ := auth.NewService(memory.New(), tokens,
		auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))),
		auth.WithActorProviders(auth.ActorUser, "admin-sso"))
	res, _ := svc.Register(ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse"))

	_, err := svc.Token(res.AuthIdentity, auth.ActorUser, emailpass.ID)
	fmt.Println(errors.Is(err, auth.ErrNotAllowed), err)
	_, err = svc.Token(res.AuthIdentity, "", emailpass.ID)
	fmt.Println(errors.Is(err, auth.ErrInvalid), err)
	// Output:
	// true The actor type user is not allowed to use the auth provider emailpass
	// true invalid actor_type: is required
}
