package account_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// Sign up in one call: the identity, its registered customer, the link
// between them and the customer's token, all or nothing.
func ExampleService_SignUp() {
	ctx := context.Background()
	st := memory.New()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdefghij")})
	if err != nil {
		panic(err)
	}
	// Cheap hashing for the example; the default is Medusa's scrypt.
	authSvc, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))))
	if err != nil {
		panic(err)
	}
	addresses, err := address.NewService(st)
	if err != nil {
		panic(err)
	}
	customers, err := customer.NewService(st, addresses)
	if err != nil {
		panic(err)
	}
	accounts, err := account.NewService(st, authSvc, customers, account.WithSessions(st))
	if err != nil {
		panic(err)
	}

	out, err := accounts.SignUp(ctx, emailpass.ID, emailpass.Credentials("Ada@Example.com", "correct horse"),
		customer.CreateParams{FirstName: "Ada"})
	if err != nil {
		panic(err)
	}
	claims, _ := authSvc.Verify(ctx, out.Token)
	fmt.Println(out.Customer.Email, out.Customer.HasAccount, claims.ActorID == out.Customer.ID)

	// A second sign-up with the email fails and leaves nothing behind.
	_, err = accounts.SignUp(ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "another horse"), customer.CreateParams{})
	fmt.Println(err)
	// The customer's email is the one the identity registered with.
	_, err = accounts.SignUp(ctx, emailpass.ID, emailpass.Credentials("bob@example.com", "correct horse"),
		customer.CreateParams{Email: "mallory@example.com"})
	fmt.Println(errors.Is(err, account.ErrEmailMismatch))
	// Output:
	// ada@example.com true true
	// Identity with email already exists
	// true
}
