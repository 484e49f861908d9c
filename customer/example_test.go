package customer_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

// newCustomers returns a customer service on a new in-memory store.
func newCustomers() *customer.Service {
	st := memory.New()
	addresses, err := address.NewService(st)
	if err != nil {
		panic(err)
	}
	customers, err := customer.NewService(st, addresses)
	if err != nil {
		panic(err)
	}
	return customers
}

func Example() {
	ctx := context.Background()
	customers := newCustomers()

	c, err := customers.Create(ctx, customer.CreateParams{
		FirstName: "Ada", LastName: "Lovelace", Email: "Ada@Example.com",
		Addresses: []address.CreateParams{{City: "London", CountryCode: "GB", PostalCode: "SW1Y 4JH", IsDefaultShipping: true}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Email, c.Addresses[0].CountryCode)

	found, n, _ := customers.ListAndCount(ctx, customer.Filter{Q: "ada love"}, store.ListOptions{Take: 20})
	fmt.Println(n, found[0].FirstName)

	_, err = customers.Create(ctx, customer.CreateParams{Email: "ADA@example.com"})
	fmt.Println(errors.Is(err, customer.ErrConflict), err)
	// Output:
	// ada@example.com gb
	// 1 Ada
	// true Customer with email: ada@example.com, has_account: false, already exists.
}

func ExampleService_Update_metadata() {
	ctx := context.Background()
	customers := newCustomers()
	c, _ := customers.Create(ctx, customer.CreateParams{Metadata: map[string]any{"tier": "gold", "newsletter": true}})

	// Keys merge one by one; an empty string removes a key.
	c, _ = customers.Update(ctx, c.ID, customer.UpdateParams{Metadata: map[string]any{"tier": "", "locale": "da"}})
	fmt.Println(c.Metadata)
	// Output: map[locale:da newsletter:true]
}

func ExampleService_Retrieve_notFound() {
	_, err := newCustomers().Retrieve(context.Background(), "cus_missing", store.FindOptions{})
	var nf *store.NotFoundError
	fmt.Println(errors.Is(err, customer.ErrNotFound), errors.As(err, &nf), nf.IDs)
	// Output: true true [cus_missing]
}

// Filters carry Medusa's operators as typed values: email[$ilike],
// first_name[$ne], created_at[$gte] and $or become fields of a Filter.
func ExampleFilter() {
	ctx := context.Background()
	customers := newCustomers()
	for _, p := range []customer.CreateParams{
		{FirstName: "Ada", Email: "ada@example.com"},
		{FirstName: "Grace", Email: "grace@navy.mil"},
		{FirstName: "Linus", Email: "linus@example.org"},
	} {
		if _, err := customers.Create(ctx, p); err != nil {
			panic(err)
		}
	}
	list, _ := customers.List(ctx, customer.Filter{
		Email:     store.ILike("%@EXAMPLE.%"),
		FirstName: store.Ne("Linus"),
		Or:        []customer.Filter{{CreatedAt: store.TimeFilter{Gte: time.Now().Add(-time.Hour)}}},
	}, store.ListOptions{})
	for _, c := range list {
		fmt.Println(c.FirstName)
	}
	_, err := customers.List(ctx, customer.Filter{FirstName: store.Like(`Ada\`)}, store.ListOptions{})
	fmt.Println(err)
	// Output:
	// Ada
	// invalid first_name: pattern must not end with the escape character \
}
