package group

import (
	"context"
	"time"

	"github.com/clientele/clientele/internal/errs"
	"github.com/clientele/clientele/internal/page"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/store"
)

// MembershipFilter selects memberships, the rows of the pivot between
// customers and groups (Medusa's FilterableCustomerGroupCustomerProps).
// Zero fields do not filter; a nil slice does not filter, an empty one
// matches nothing.
type MembershipFilter struct {
	IDs         []string
	CustomerIDs []string
	GroupIDs    []string
	CreatedBy   store.StringFilter
	CreatedAt   store.TimeFilter
	UpdatedAt   store.TimeFilter
}

// MembershipSortable declares the columns a membership list may be ordered
// by, and the field of Membership each one holds. Both backends sort by
// it.
var MembershipSortable = store.NewColumns(
	store.Text("id", func(m *Membership) string { return m.ID }),
	store.Text("customer_id", func(m *Membership) string { return m.CustomerID }),
	store.Text("customer_group_id", func(m *Membership) string { return m.GroupID }),
	store.Text("created_by", func(m *Membership) string { return m.CreatedBy }),
	store.Time("created_at", func(m *Membership) time.Time { return m.CreatedAt }),
	store.Time("updated_at", func(m *Membership) time.Time { return m.UpdatedAt }),
	store.NullTime("deleted_at", func(m *Membership) *time.Time { return m.DeletedAt }),
)

var memberDom = errs.Domain{Entity: "CustomerGroupCustomer", NotFound: ErrNotFound, Conflict: ErrConflict, Invalid: ErrInvalid}

// RetrieveMembership returns the membership with id (Medusa's
// retrieveCustomerGroupCustomer): a soft-deleted one only with
// opts.WithDeleted.
func (s *Service) RetrieveMembership(ctx context.Context, id string, opts store.FindOptions) (*Membership, error) {
	if id == "" {
		return nil, memberDom.Invalidf("id", "customerGroupCustomer - id must be defined")
	}
	if err := text.Check("id", id); err != nil {
		return nil, memberDom.Classify(err)
	}
	if err := store.CheckRelations(opts.Relations); err != nil {
		return nil, memberDom.Classify(err)
	}
	found, err := s.st.FindMemberships(ctx, MembershipFilter{IDs: []string{id}}, store.ListOptions{WithDeleted: opts.WithDeleted})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, memberDom.Missing(id)
	}
	return found[0], nil
}

// ListMemberships returns the memberships matching f (Medusa's
// listCustomerGroupCustomers), in id order unless opts orders them. Every
// pivot row is one membership: duplicate rows that a Medusa database may
// hold are listed as they are, and the memberships of soft-deleted
// customers and groups are listed too (their rows stay so that a restore
// brings them back), as in Medusa.
func (s *Service) ListMemberships(ctx context.Context, f MembershipFilter, opts store.ListOptions) ([]*Membership, error) {
	if err := checkMembershipList(f, opts); err != nil {
		return nil, err
	}
	return s.st.FindMemberships(ctx, f, opts)
}

// ListAndCountMemberships returns a page of the memberships matching f and
// how many match in all (Medusa's listAndCountCustomerGroupCustomers).
func (s *Service) ListAndCountMemberships(ctx context.Context, f MembershipFilter, opts store.ListOptions) ([]*Membership, int, error) {
	if err := checkMembershipList(f, opts); err != nil {
		return nil, 0, err
	}
	list, err := s.st.FindMemberships(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	n, err := page.Total(len(list), opts, func() (int, error) { return s.st.CountMemberships(ctx, f, opts) })
	if err != nil {
		return nil, 0, err
	}
	return list, n, nil
}

// ListPageMemberships returns a page of the memberships matching f, with
// how many match in all and the cursors of the pages before and after it
// (see [store.ListOptions] and [store.Page]). It always counts exactly.
func (s *Service) ListPageMemberships(ctx context.Context, f MembershipFilter, opts store.ListOptions) (*store.Page[Membership], error) {
	if err := checkMembershipList(f, opts); err != nil {
		return nil, err
	}
	return page.Build(MembershipSortable, func(m *Membership) string { return m.ID }, opts, page.ListAndCount(
		func(o store.ListOptions) ([]*Membership, error) { return s.st.FindMemberships(ctx, f, o) },
		func() (int, error) { return s.st.CountMemberships(ctx, f, opts) },
	))
}

func checkMembershipList(f MembershipFilter, opts store.ListOptions) error {
	if err := opts.Check(MembershipSortable); err != nil {
		return memberDom.Classify(err)
	}
	if err := store.CheckRelations(opts.Relations); err != nil {
		return memberDom.Classify(err)
	}
	return memberDom.Classify(text.Fields("", f))
}
