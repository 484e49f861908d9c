package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

// A migration imports customers, then their logins linked to them: the
// first import tells the id each customer got (Options.Written), so the
// second sets each identity's CustomerID without looking a customer up.
func ExampleOptions_written() {
	ctx := context.Background()
	st := memory.New()
	addresses, err := address.NewService(st)
	if err != nil {
		panic(err)
	}
	customers, err := customer.NewService(st, addresses)
	if err != nil {
		panic(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdefghij")})
	if err != nil {
		panic(err)
	}
	// Cheap hashing for the example; the default is Medusa's scrypt.
	cheap := emailpass.Scrypt{LogN: 4, R: 8, P: 1}
	logins, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(cheap))))
	if err != nil {
		panic(err)
	}

	// The customers, from NDJSON (a file, in a real migration).
	src := customer.DecodeNDJSON(strings.NewReader(
		`{"email": "Ada@Example.com", "first_name": "Ada", "has_account": true}
{"email": "grace@example.com", "first_name": "Grace", "has_account": true}
{"email": "not an email"}
{"email": "alan@example.com", "first_name": "Alan", "has_account": true}
`))
	customerOf := map[string]string{} // email → customer id
	rep, err := customers.Import(ctx, src, customer.ImportOptions{Options: bulk.Options{
		BatchSize: 2, ContinueOnError: true,
		Written: func(ws []bulk.Written) {
			for _, w := range ws {
				fmt.Printf("line %d: %s written\n", w.Line, w.Key)
				customerOf[w.Key] = w.ID
			}
		},
	}})
	if err != nil && !errors.Is(err, bulk.ErrRejected) {
		panic(err)
	}
	fmt.Println(rep.Imported, "imported;", rep.Errors[0])

	// Their logins, with the hashes they had. Alan's batch was refused
	// (line 3 is bad): his login is imported without a customer.
	hash, err := cheap.Hash([]byte("correct horse"))
	if err != nil {
		panic(err)
	}
	var identities []auth.PasswordIdentity
	for _, email := range []string{"ada@example.com", "grace@example.com", "alan@example.com"} {
		identities = append(identities, auth.PasswordIdentity{Email: email, PasswordHash: hash, CustomerID: customerOf[email]})
	}
	if _, err := logins.ImportPasswordIdentities(ctx, bulk.Records(identities), auth.PasswordImportOptions{}); err != nil {
		panic(err)
	}

	l, err := logins.Login(ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse"))
	if err != nil {
		panic(err)
	}
	ada, err := customers.Retrieve(ctx, l.Identity.AppMetadata["customer_id"].(string), store.FindOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("ada logs in as", ada.FirstName)
	l, err = logins.Login(ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("alan@example.com", "correct horse"))
	if err != nil {
		panic(err)
	}
	_, linked := l.Identity.AppMetadata["customer_id"]
	fmt.Println("alan has a customer:", linked)
	// Output:
	// line 1: ada@example.com written
	// line 2: grace@example.com written
	// 2 imported; line 3: email: Invalid email
	// ada logs in as Ada
	// alan has a customer: false
}
