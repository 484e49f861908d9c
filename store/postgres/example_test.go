package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store/postgres"
)

// Open a database (Medusa's, or an empty one), create the tables that are
// missing, and build the services on it. The store implements every
// domain store, so each service takes the same value.
func Example() {
	ctx := context.Background()
	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	addresses, err := address.NewService(st)
	if err != nil {
		log.Fatal(err)
	}
	customers, err := customer.NewService(st, addresses)
	if err != nil {
		log.Fatal(err)
	}
	groups, err := group.NewService(st)
	if err != nil {
		log.Fatal(err)
	}

	c, err := customers.Create(ctx, customer.CreateParams{Email: "ada@example.com", FirstName: "Ada"})
	if err != nil {
		log.Fatal(err)
	}
	vip, _, err := groups.GetOrCreate(ctx, "VIP")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := groups.Add(ctx, group.Pair{CustomerID: c.ID, GroupID: vip.ID}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ID)
}

// A unit of work spans every store call made with its context: on
// PostgreSQL it is one transaction, and the services join it.
func ExampleStore_InTx() {
	ctx := context.Background()
	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	addresses, _ := address.NewService(st)
	customers, _ := customer.NewService(st, addresses)
	err = st.InTx(ctx, func(ctx context.Context) error {
		if _, err := customers.Create(ctx, customer.CreateParams{Email: "a@example.com"}); err != nil {
			return err
		}
		_, err := customers.Create(ctx, customer.CreateParams{Email: "b@example.com"})
		return err // an error here keeps neither customer
	})
	if err != nil {
		log.Fatal(err)
	}
}
