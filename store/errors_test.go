package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/clientele/clientele/store"
)

type secretErr struct{}

func (secretErr) Error() string { return "dial tcp 10.0.0.1:5432: connection refused" }

type emptyPublic struct{ error }

func (emptyPublic) PublicMessage() string { return "" }
func (e emptyPublic) Unwrap() error       { return e.error }

func TestPublicMessage(t *testing.T) {
	sentinel := store.Sentinel("Customer with this email already has an account", store.ErrConflict)
	kind := store.Kind("customer", store.ErrNotFound)
	tests := []struct {
		name string
		err  error
		want string
		ok   bool
	}{
		{"nil", nil, "", false},
		{"plain", errors.New("boom"), "", false},
		{"kind sentinel", kind, "", false},
		{"kind wrapped", fmt.Errorf("load: %w", kind), "", false},
		{"sentinel", sentinel, "Customer with this email already has an account", true},
		{"sentinel wrapped", fmt.Errorf("create: %w", sentinel), "Customer with this email already has an account", true},
		{"validation default", store.Invalid("email", "is required"), "invalid email: is required", true},
		{"validation without field", &store.ValidationError{Reason: "bad"}, "bad", true},
		{"validation message", &store.ValidationError{Field: "email", Reason: "missing", Message: "Email is required to create a customer"}, "Email is required to create a customer", true},
		{"validation empty", &store.ValidationError{}, "", false},
		{"not found", &store.NotFoundError{Entity: "Customer", IDs: []string{"cus_1"}, Err: kind}, "Customer with id: cus_1 was not found", true},
		{"conflict", &store.ConflictError{Entity: "Customer group", Fields: [][2]string{{"name", "VIP"}}}, "Customer group with name: VIP, already exists.", true},
		{"joined: first public wins", errors.Join(secretErr{}, store.Invalid("a", "x"), store.Invalid("b", "y")), "invalid a: x", true},
		{"joined: none", errors.Join(secretErr{}, kind), "", false},
		{"empty public message is skipped", emptyPublic{sentinel}, "Customer with this email already has an account", true},
		{"outer wins", &store.ValidationError{Field: "f", Reason: "outer", Err: sentinel}, "invalid f: outer", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := store.PublicMessage(tc.err)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("PublicMessage = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestValidationErrorText(t *testing.T) {
	tests := []struct {
		err  *store.ValidationError
		want string
	}{
		{&store.ValidationError{Field: "email", Reason: "is required"}, "invalid email: is required"},
		{&store.ValidationError{Field: "email", Message: "Email is required"}, "invalid email: Email is required"},
		{&store.ValidationError{Reason: "bad input", Message: "Bad"}, "bad input"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func ExamplePublicMessage() {
	err := fmt.Errorf("sign up: %w", &store.ValidationError{
		Field: "email", Reason: "empty", Message: "Email is required to create a customer",
	})
	msg, ok := store.PublicMessage(err)
	fmt.Println(msg, ok)

	_, ok = store.PublicMessage(fmt.Errorf("query: %w", errors.New("connection refused")))
	fmt.Println(ok)
	// Output:
	// Email is required to create a customer true
	// false
}
