package group_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store/memory"
)

func ExampleService_IsMember() {
	ctx := context.Background()
	st := memory.New()
	addresses, _ := address.NewService(st)
	customers, _ := customer.NewService(st, addresses)
	groups, _ := group.NewService(st)
	c, _ := customers.Create(ctx, customer.CreateParams{Email: "ada@example.com"})
	vip, _ := groups.Create(ctx, group.CreateParams{Name: "VIP"})
	wholesale, _ := groups.Create(ctx, group.CreateParams{Name: "Wholesale"})
	_, _ = groups.Add(ctx, group.Pair{CustomerID: c.ID, GroupID: vip.ID})

	// A group matches by id or by name.
	ok, _ := groups.IsMember(ctx, c.ID, group.Match{Names: []string{"VIP", "Partners"}})
	fmt.Println(ok)
	ok, _ = groups.IsMember(ctx, c.ID, group.Match{IDs: []string{wholesale.ID}})
	fmt.Println(ok)

	// A soft-deleted group no longer counts.
	_, _ = groups.SoftDelete(ctx, vip.ID)
	ok, _ = groups.IsMember(ctx, c.ID, group.Match{IDs: []string{vip.ID}})
	fmt.Println(ok)

	_, err := groups.IsMember(ctx, c.ID, group.Match{})
	fmt.Println(errors.Is(err, group.ErrInvalid), err)
	// Output:
	// true
	// false
	// false
	// true invalid match: give at least one group id or name
}

func ExampleService_GetOrCreate() {
	ctx := context.Background()
	groups, _ := group.NewService(memory.New())

	first, created, _ := groups.GetOrCreate(ctx, "Newsletter")
	fmt.Println(first.Name, created)
	again, created, _ := groups.GetOrCreate(ctx, " Newsletter ")
	fmt.Println(again.ID == first.ID, created)
	// Output:
	// Newsletter true
	// true false
}
