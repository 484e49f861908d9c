package memory_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

// The in-memory store implements every domain store; build each service
// on the same value. It is the store of tests, examples and quick starts.
func Example() {
	ctx := context.Background()
	st := memory.New()
	addresses, err := address.NewService(st)
	if err != nil {
		log.Fatal(err)
	}
	customers, err := customer.NewService(st, addresses)
	if err != nil {
		log.Fatal(err)
	}
	c, err := customers.Create(ctx, customer.CreateParams{
		Email:     "Ada@Example.com",
		Addresses: []address.CreateParams{{CountryCode: "GB", PostalCode: "SW1Y 4JH", IsDefaultShipping: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	got, err := customers.Retrieve(ctx, c.ID, store.FindOptions{Relations: []string{customer.RelAddresses}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Email, got.Addresses[0].CountryCode, got.Addresses[0].IsDefaultShipping)
	// Output: ada@example.com gb true
}

// A unit of work is all or nothing on the memory store too: writers are
// serialised and the changes apply only when fn returns nil.
func ExampleStore_InTx() {
	ctx := context.Background()
	st := memory.New()
	addresses, _ := address.NewService(st)
	customers, _ := customer.NewService(st, addresses)
	err := st.InTx(ctx, func(ctx context.Context) error {
		if _, err := customers.Create(ctx, customer.CreateParams{Email: "a@example.com"}); err != nil {
			return err
		}
		_, err := customers.Create(ctx, customer.CreateParams{Email: "A@example.com"}) // the same email
		return err
	})
	_, n, _ := customers.ListAndCount(ctx, customer.Filter{}, store.ListOptions{})
	fmt.Println(err != nil, n)
	// Output: true 0
}
