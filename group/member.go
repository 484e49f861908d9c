package group

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clientele/clientele/internal/set"
	"github.com/clientele/clientele/store"
)

// IsMember reports whether the customer belongs to at least one group that
// m matches: a group whose id is in m.IDs or whose name is in m.Names.
// Soft-deleted groups and soft-deleted memberships do not count, and a
// soft-deleted or unknown customer is no member (false, no error): a
// soft-deleted customer keeps its memberships only so that a restore brings
// them back.
//
// Names are trimmed, as [Service.Create] trims them. IsMember fails with
// ErrInvalid when customerID is empty, when m has neither ids nor names, or
// when one of them is empty. On PostgreSQL it is one indexed query.
func (s *Service) IsMember(ctx context.Context, customerID string, m Match) (bool, error) {
	if strings.TrimSpace(customerID) == "" {
		return false, &store.ValidationError{Field: "customer_id", Reason: "must not be empty", Err: ErrInvalid}
	}
	m, err := normalizeMatch(m)
	if err != nil {
		return false, err
	}
	return s.st.HasMembership(ctx, customerID, m)
}

// normalizeMatch checks m, trims its names and removes duplicates.
func normalizeMatch(m Match) (Match, error) {
	if len(m.IDs) == 0 && len(m.Names) == 0 {
		return Match{}, &store.ValidationError{Field: "match", Reason: "give at least one group id or name", Err: ErrInvalid}
	}
	out := Match{IDs: []string{}, Names: []string{}}
	for i, id := range m.IDs {
		if strings.TrimSpace(id) == "" {
			return Match{}, &store.ValidationError{Field: fmt.Sprintf("ids[%d]", i), Reason: "must not be empty", Err: ErrInvalid}
		}
		out.IDs = append(out.IDs, id)
	}
	for i, name := range m.Names {
		name = strings.TrimSpace(name)
		if name == "" {
			return Match{}, &store.ValidationError{Field: fmt.Sprintf("names[%d]", i), Reason: "must not be empty", Err: ErrInvalid}
		}
		out.Names = append(out.Names, name)
	}
	out.IDs, out.Names = set.Dedupe(out.IDs), set.Dedupe(out.Names)
	return out, nil
}

// getOrCreateAttempts bounds how often GetOrCreate reads again after losing
// a race: a second attempt is needed only when the group that won was
// deleted or renamed before it could be read.
const getOrCreateAttempts = 3

// GetOrCreate returns the live group named name, or creates it (and emits
// customer_group.created) when no live group has that name; created tells
// which. The name is trimmed and must not be empty, as for
// [Service.Create]. A soft-deleted group with the name does not count: a
// new group is created beside it, as Medusa's unique index on the names of
// live groups allows.
//
// Concurrent calls for one name create exactly one group and all return
// it: a call that loses the race to create it reads the winner's group.
// Inside a caller's unit of work on PostgreSQL, a call that loses the race
// at the unique index fails with ErrConflict instead, because the failed
// insert aborts the transaction; running the unit again returns the group.
func (s *Service) GetOrCreate(ctx context.Context, name string) (g *Group, created bool, err error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, false, dom.Public("name", "Field 'name' is required")
	}
	inUnit := store.UnitFrom(ctx) != nil
	var conflict error
	for attempt := 1; ; attempt++ {
		g, err := s.byName(ctx, name)
		if err != nil {
			if conflict != nil && inUnit {
				// The failed insert aborted the caller's transaction.
				return nil, false, conflict
			}
			return nil, false, err
		}
		if g != nil {
			return g, false, nil
		}
		g, err = s.Create(ctx, CreateParams{Name: name})
		if err == nil {
			return g, true, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == getOrCreateAttempts {
			return nil, false, err
		}
		// Another caller created the group between the read and the
		// insert: read it.
		conflict = err
	}
}

// byName returns the live group named name, or nil.
func (s *Service) byName(ctx context.Context, name string) (*Group, error) {
	found, err := s.st.ListGroups(ctx, Filter{Names: []string{name}}, store.ListOptions{})
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return found[0], nil
}
