package customer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/email"
	"github.com/clientele/clientele/internal/emit"
	"github.com/clientele/clientele/internal/errs"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/page"
	"github.com/clientele/clientele/internal/set"
	"github.com/clientele/clientele/internal/svcopt"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/store"
)

// Event names emitted by the service, each with data {"id": customer id}.
const (
	EventCreated  = "customer.created"
	EventUpdated  = "customer.updated"
	EventDeleted  = "customer.deleted"
	EventRestored = "customer.restored"
)

// Option configures a Service.
type Option func(*config)

type config struct {
	svcopt.Common
	search text.Search
}

// WithEventSink sends the service's events to sink. The events of nested
// addresses are the address service's: they go to its sink.
func WithEventSink(sink event.Sink) Option { return func(c *config) { c.Sink = sink } }

// WithLogger sets the logger for failures that are not returned to the
// caller (a failing event sink). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.Logger = l } }

// WithClock sets the clock used for timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.Now = now } }

// WithSearchLimits bounds Filter.Q: at most maxWords words and maxBytes
// bytes, else a list fails with a *store.ValidationError naming "q" before
// it reaches the store. The defaults are 8 words and 256 bytes; 0 keeps a
// default, a negative value removes that bound. Every word of q is one more
// condition for the backend to plan and evaluate on every row (on
// PostgreSQL, a thousand words cost seconds of planning), so keep them
// small on anything a client can reach.
func WithSearchLimits(maxWords, maxBytes int) Option {
	return func(c *config) { c.search = text.Search{MaxWords: maxWords, MaxBytes: maxBytes} }
}

// Service manages customers. It is safe for concurrent use.
type Service struct {
	st     Store
	addr   *address.Service
	events emit.Emitter
	now    func() time.Time
	search text.Search
}

// NewService returns a Service on st. addresses is the host's address
// service on the same store: it creates the addresses nested in new
// customers, with its own options (postal-code check, event sink) and in
// the customer's unit of work.
func NewService(st Store, addresses *address.Service, opts ...Option) (*Service, error) {
	if st == nil || addresses == nil {
		return nil, errors.New("customer: NewService needs a store and an address service")
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	return &Service{st: st, addr: addresses, events: c.Emitter(), now: c.Clock(), search: c.search}, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

var dom = errs.Domain{Entity: "Customer", NotFound: ErrNotFound, Conflict: ErrConflict, Invalid: ErrInvalid}

func emailTaken(email string, hasAccount bool) error {
	return &store.ConflictError{
		Entity: "Customer",
		Fields: [][2]string{{"email", email}, {"has_account", strconv.FormatBool(hasAccount)}},
		Err:    ErrConflict,
	}
}

// Create adds a customer, with its nested addresses, in one unit of work.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Customer, error) {
	out, err := s.create(ctx, []CreateParams{p}, false)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// CreateMany adds several customers, all or none.
func (s *Service) CreateMany(ctx context.Context, ps []CreateParams) ([]*Customer, error) {
	return s.create(ctx, ps, true)
}

type emailKey struct {
	email   string
	account bool
}

func (s *Service) create(ctx context.Context, ps []CreateParams, batch bool) ([]*Customer, error) {
	if len(ps) == 0 {
		return []*Customer{}, nil
	}
	now := s.clock()
	cs := make([]*Customer, len(ps))
	var addrs []address.CreateParams
	var addrOwner []int // index into cs for each of addrs
	var addrIdx []int   // index inside its customer's Addresses
	seen := map[emailKey]bool{}
	var emails []string
	for i, p := range ps {
		prefix := ""
		if batch {
			prefix = fmt.Sprintf("[%d].", i)
		}
		c, err := build(p, prefix, now)
		if err != nil {
			return nil, err
		}
		if em := c.Email; em != "" {
			k := emailKey{em, p.HasAccount}
			if seen[k] {
				return nil, emailTaken(em, p.HasAccount)
			}
			seen[k] = true
			emails = append(emails, em)
		}
		for j, a := range p.Addresses {
			a.CustomerID = c.ID
			addrs = append(addrs, a)
			addrOwner = append(addrOwner, i)
			addrIdx = append(addrIdx, j)
		}
		cs[i] = c
	}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkEmails(ctx, emails, seen, nil); err != nil {
			return err
		}
		if err := s.st.InsertCustomers(ctx, cs); err != nil {
			return dom.Classify(err)
		}
		if err := s.events.Emit(ctx, event.Each(EventCreated, ids(cs)...)...); err != nil {
			return err
		}
		if len(addrs) > 0 {
			created, err := s.addr.CreateForCustomers(ctx, addrs, func(k int) string {
				if batch {
					return fmt.Sprintf("[%d].addresses[%d].", addrOwner[k], addrIdx[k])
				}
				return fmt.Sprintf("addresses[%d].", addrIdx[k])
			})
			if err != nil {
				return asCustomerError(err)
			}
			for k, a := range created {
				c := cs[addrOwner[k]]
				c.Addresses = append(c.Addresses, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// build validates p, the customer's own fields (not its addresses), and
// returns the customer to insert, with its id and timestamps (now) set.
// Field names in errors start with prefix.
func build(p CreateParams, prefix string, now time.Time) (*Customer, error) {
	if err := text.Fields(prefix, p); err != nil {
		return nil, dom.Classify(err)
	}
	em, err := email.Normalize(prefix+"email", p.Email)
	if err != nil {
		return nil, dom.Classify(err)
	}
	m, err := meta.Normalize(prefix+"metadata", p.Metadata)
	if err != nil {
		return nil, dom.Classify(err)
	}
	return &Customer{
		ID: id.New(id.Customer), CompanyName: p.CompanyName, FirstName: p.FirstName,
		LastName: p.LastName, Email: em, Phone: p.Phone, HasAccount: p.HasAccount,
		Metadata: m, CreatedBy: p.CreatedBy, CreatedAt: now, UpdatedAt: now,
		Addresses: []*address.Address{},
	}, nil
}

// asCustomerError makes an address validation error of a nested address
// match ErrInvalid of this package too.
func asCustomerError(err error) error {
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		return &store.ValidationError{Field: ve.Field, Reason: ve.Reason, Message: ve.Message, Err: errors.Join(ErrInvalid, ve.Err)}
	}
	return err
}

// checkEmails fails when a live customer outside except already uses one of
// emails (case-insensitively) with the has_account value wanted for it.
func (s *Service) checkEmails(ctx context.Context, emails []string, want map[emailKey]bool, except map[string]bool) error {
	var taken error
	err := s.eachHolder(ctx, emails, func(c *Customer) bool {
		if !except[c.ID] && want[emailKey{strings.ToLower(c.Email), c.HasAccount}] {
			taken = emailTaken(c.Email, c.HasAccount)
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	return taken
}

// eachHolder calls fn with each live customer whose email is one of emails
// (lower-case), compared case-insensitively, until fn returns false. It
// asks the store store.MaxFilterValues emails at a time.
func (s *Service) eachHolder(ctx context.Context, emails []string, fn func(*Customer) bool) error {
	for chunk := range slices.Chunk(emails, store.MaxFilterValues) {
		found, err := s.st.ListCustomers(ctx, Filter{Emails: chunk}, store.ListOptions{})
		if err != nil {
			return err
		}
		for _, c := range found {
			if !fn(c) {
				return nil
			}
		}
	}
	return nil
}

// Retrieve returns the customer with id. opts.Relations may name
// RelAddresses and RelGroups.
func (s *Service) Retrieve(ctx context.Context, id string, opts store.FindOptions) (*Customer, error) {
	if id == "" {
		return nil, dom.Invalidf("id", "customer - id must be defined")
	}
	if err := text.Check("id", id); err != nil {
		return nil, dom.Classify(err)
	}
	lo := store.ListOptions{Relations: opts.Relations, WithDeleted: opts.WithDeleted}
	if err := checkList(lo); err != nil {
		return nil, err
	}
	found, err := s.st.ListCustomers(ctx, Filter{IDs: []string{id}}, lo)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, dom.Missing(id)
	}
	if err := s.load(ctx, found, lo); err != nil {
		return nil, err
	}
	return found[0], nil
}

// List returns the customers matching f. A group's customers are
// List(ctx, Filter{GroupIDs: []string{id}}, …).
func (s *Service) List(ctx context.Context, f Filter, opts store.ListOptions) ([]*Customer, error) {
	if err := checkList(opts); err != nil {
		return nil, err
	}
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	list, err := s.st.ListCustomers(ctx, normalizeFilter(f), opts)
	if err != nil {
		return nil, err
	}
	return list, s.load(ctx, list, opts)
}

// ListAndCount returns a page of the customers matching f and how many
// match in all.
func (s *Service) ListAndCount(ctx context.Context, f Filter, opts store.ListOptions) ([]*Customer, int, error) {
	if err := checkList(opts); err != nil {
		return nil, 0, err
	}
	if err := s.checkFilter(f); err != nil {
		return nil, 0, err
	}
	f = normalizeFilter(f)
	list, n, err := s.listAndCount(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	if err := s.load(ctx, list, opts); err != nil {
		return nil, 0, err
	}
	return list, n, nil
}

// ListPage returns a page of the customers matching f, with how many match
// in all (counted as opts.Count asks) and the cursors of the pages before
// and after it. opts pages by Skip or by a cursor (After or Before) of an
// earlier page of the same order; see [store.ListOptions] and
// [store.Page]. Unlike ListAndCount, it can count cheaply on large tables
// ([store.CountEstimated], [store.CountCapped]).
func (s *Service) ListPage(ctx context.Context, f Filter, opts store.ListOptions) (*store.Page[Customer], error) {
	if err := checkList(opts); err != nil {
		return nil, err
	}
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	f = normalizeFilter(f)
	p, err := page.Build(Sortable, customerID, opts, func(o store.ListOptions) ([]*Customer, store.Count, error) {
		if pg, ok := s.st.(Pager); ok {
			return pg.PageCustomers(ctx, f, o)
		}
		list, n, err := s.listAndCount(ctx, f, o)
		return list, store.Count{N: n}, err
	})
	if err != nil {
		return nil, err
	}
	return p, s.load(ctx, p.Items, opts)
}

func customerID(c *Customer) string { return c.ID }

// listAndCount lists a page and counts all matches: in one call when the
// store is a ListCounter, else with a count only when the page does not
// tell the total already.
func (s *Service) listAndCount(ctx context.Context, f Filter, opts store.ListOptions) ([]*Customer, int, error) {
	if lc, ok := s.st.(ListCounter); ok {
		return lc.ListAndCountCustomers(ctx, f, opts)
	}
	list, n, err := page.ListAndCount(
		func(o store.ListOptions) ([]*Customer, error) { return s.st.ListCustomers(ctx, f, o) },
		func() (int, error) { return s.st.CountCustomers(ctx, f, opts) },
	)(opts)
	return list, n.N, err
}

func checkList(opts store.ListOptions) error {
	if err := opts.Check(Sortable); err != nil {
		return dom.Classify(err)
	}
	return dom.Classify(store.CheckRelations(opts.Relations, RelAddresses, RelGroups))
}

// checkFilter refuses a filter with a NUL byte or invalid UTF-8 in any of
// its strings, a q over the search limits, or one that Filter.Check
// refuses.
func (s *Service) checkFilter(f Filter) error {
	if err := text.Fields("", f); err != nil {
		return dom.Classify(err)
	}
	if err := s.search.Check("q", f.Q); err != nil {
		return dom.Classify(err)
	}
	return dom.Classify(f.Check())
}

func normalizeFilter(f Filter) Filter {
	if f.Emails != nil {
		es := make([]string, len(f.Emails))
		for i, e := range f.Emails {
			es[i] = strings.ToLower(strings.TrimSpace(e))
		}
		f.Emails = es
	}
	return f
}

// load fills the relations named in opts.
func (s *Service) load(ctx context.Context, cs []*Customer, opts store.ListOptions) error {
	if len(cs) == 0 {
		return nil
	}
	cids := ids(cs)
	if store.HasRelation(opts.Relations, RelAddresses) {
		addrs, err := s.st.ListAddresses(ctx, address.Filter{CustomerIDs: cids}, store.ListOptions{WithDeleted: opts.WithDeleted})
		if err != nil {
			return err
		}
		by := map[string][]*address.Address{}
		for _, a := range addrs {
			by[a.CustomerID] = append(by[a.CustomerID], a)
		}
		for _, c := range cs {
			c.Addresses = by[c.ID]
			if c.Addresses == nil {
				c.Addresses = []*address.Address{}
			}
		}
	}
	if store.HasRelation(opts.Relations, RelGroups) {
		ms, err := s.st.ListMemberships(ctx, cids, nil)
		if err != nil {
			return err
		}
		gids := set.Keys(ms, func(m *group.Membership) string { return m.GroupID })
		groups, err := s.st.ListGroups(ctx, group.Filter{IDs: gids}, store.ListOptions{})
		if err != nil {
			return err
		}
		byID := make(map[string]*group.Group, len(groups))
		for _, g := range groups {
			byID[g.ID] = g
		}
		// Medusa databases may hold duplicate memberships: one group once.
		type pair struct{ c, g string }
		seen := map[pair]bool{}
		by := map[string][]*group.Group{}
		for _, m := range ms {
			g := byID[m.GroupID]
			p := pair{m.CustomerID, m.GroupID}
			if g == nil || seen[p] {
				continue
			}
			seen[p] = true
			cp := *g
			by[m.CustomerID] = append(by[m.CustomerID], &cp)
		}
		for _, c := range cs {
			c.Groups = by[c.ID]
			if c.Groups == nil {
				c.Groups = []*group.Group{}
			}
		}
	}
	return nil
}

// Update changes the customer with id.
func (s *Service) Update(ctx context.Context, id string, p UpdateParams) (*Customer, error) {
	out, err := s.update(ctx, Filter{IDs: []string{id}}, []string{id}, p)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// UpdateMany changes the customers with ids; every id must name a live
// customer, or nothing changes.
func (s *Service) UpdateMany(ctx context.Context, ids []string, p UpdateParams) ([]*Customer, error) {
	return s.update(ctx, Filter{IDs: ids}, ids, p)
}

// UpdateWhere changes every live customer matching f; none matching is not
// an error.
func (s *Service) UpdateWhere(ctx context.Context, f Filter, p UpdateParams) ([]*Customer, error) {
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	return s.update(ctx, normalizeFilter(f), nil, p)
}

func (s *Service) update(ctx context.Context, f Filter, want []string, p UpdateParams) ([]*Customer, error) {
	want = set.Dedupe(want)
	if want != nil && len(want) == 0 {
		return []*Customer{}, nil
	}
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	if err := text.Fields("", p); err != nil {
		return nil, dom.Classify(err)
	}
	var newEmail string
	if p.Email != nil {
		var err error
		if newEmail, err = email.Normalize("email", *p.Email); err != nil {
			return nil, dom.Classify(err)
		}
	}
	if _, err := meta.Normalize("metadata", p.Metadata); err != nil {
		return nil, dom.Classify(err)
	}
	var out []*Customer
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListCustomers(ctx, f, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if want != nil && len(found) != len(want) {
			return dom.Missing(set.Missing(want, ids(found))...)
		}
		if len(found) == 0 {
			out = []*Customer{}
			return nil
		}
		now := s.clock()
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		for _, c := range found {
			set(&c.CompanyName, p.CompanyName)
			set(&c.FirstName, p.FirstName)
			set(&c.LastName, p.LastName)
			set(&c.Phone, p.Phone)
			if p.Email != nil {
				c.Email = newEmail
			}
			if c.Metadata, err = meta.Merge("metadata", meta.Base(c.Metadata, p.ClearMetadata), p.Metadata); err != nil {
				return dom.Classify(err)
			}
			c.UpdatedAt = now
		}
		if p.Email != nil && newEmail != "" {
			wanted := map[emailKey]bool{}
			mine := map[string]bool{}
			for _, c := range found {
				k := emailKey{newEmail, c.HasAccount}
				if wanted[k] {
					return emailTaken(newEmail, c.HasAccount)
				}
				wanted[k] = true
				mine[c.ID] = true
			}
			if err := s.checkEmails(ctx, []string{newEmail}, wanted, mine); err != nil {
				return err
			}
		}
		if err := s.st.UpdateCustomers(ctx, found); err != nil {
			return dom.Classify(err)
		}
		if err := s.events.Emit(ctx, event.Each(EventUpdated, ids(found)...)...); err != nil {
			return err
		}
		out = found
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete deletes customers for good, with their addresses and group
// memberships. Unknown ids are ignored.
func (s *Service) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.deleteWhere(ctx, Filter{IDs: set.Dedupe(ids)})
}

// DeleteWhere deletes every customer matching f (soft-deleted ones
// included) for good.
func (s *Service) DeleteWhere(ctx context.Context, f Filter) error {
	if err := s.checkFilter(f); err != nil {
		return err
	}
	return s.deleteWhere(ctx, normalizeFilter(f))
}

func (s *Service) deleteWhere(ctx context.Context, f Filter) error {
	if err := s.checkFilter(f); err != nil {
		return err
	}
	return s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListCustomers(ctx, f, store.ListOptions{WithDeleted: true, Lock: true})
		if err != nil || len(found) == 0 {
			return err
		}
		if err := s.st.DeleteCustomers(ctx, ids(found)); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, event.Each(EventDeleted, ids(found)...)...); err != nil {
			return err
		}
		return nil
	})
}

// Deleted reports what a SoftDelete or Restore changed.
type Deleted struct {
	CustomerIDs []string
	AddressIDs  []string
}

// SoftDelete marks customers deleted, with their live addresses. Their
// group memberships stay, so Restore brings everything back. Unknown and
// already deleted ids are ignored.
func (s *Service) SoftDelete(ctx context.Context, ids ...string) (Deleted, error) {
	return s.setDeleted(ctx, set.Dedupe(ids), true)
}

// Restore undoes SoftDelete, addresses included. It fails with ErrConflict,
// restoring nothing, when a live customer has taken the email (with the
// same has_account) meanwhile.
func (s *Service) Restore(ctx context.Context, ids ...string) (Deleted, error) {
	return s.setDeleted(ctx, set.Dedupe(ids), false)
}

func (s *Service) setDeleted(ctx context.Context, want []string, del bool) (Deleted, error) {
	res := Deleted{CustomerIDs: []string{}, AddressIDs: []string{}}
	if len(want) == 0 {
		return res, nil
	}
	if err := text.Fields("ids", want); err != nil {
		return res, dom.Classify(err)
	}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListCustomers(ctx, Filter{IDs: want}, store.ListOptions{WithDeleted: true, Lock: true})
		if err != nil {
			return err
		}
		now := s.clock()
		var todo []*Customer
		wanted := map[emailKey]bool{}
		var emails []string
		for _, c := range found {
			if (c.DeletedAt == nil) != del {
				continue
			}
			if del {
				c.DeletedAt = &now
			} else {
				c.DeletedAt = nil
				if c.Email != "" {
					k := emailKey{strings.ToLower(c.Email), c.HasAccount}
					if wanted[k] {
						return emailTaken(c.Email, c.HasAccount)
					}
					wanted[k] = true
					emails = append(emails, k.email)
				}
			}
			c.UpdatedAt = now
			todo = append(todo, c)
		}
		if len(todo) == 0 {
			return nil
		}
		if err := s.checkEmails(ctx, emails, wanted, nil); err != nil {
			return err
		}
		cids := ids(todo)
		addrs, err := s.st.ListAddresses(ctx, address.Filter{CustomerIDs: cids}, store.ListOptions{WithDeleted: true})
		if err != nil {
			return err
		}
		var changed []*address.Address
		for _, a := range addrs {
			if (a.DeletedAt == nil) != del {
				continue
			}
			if del {
				a.DeletedAt = &now
			} else {
				a.DeletedAt = nil
			}
			a.UpdatedAt = now
			changed = append(changed, a)
		}
		if err := s.st.UpdateCustomers(ctx, todo); err != nil {
			return dom.Classify(err)
		}
		if len(changed) > 0 {
			if err := s.st.UpdateAddresses(ctx, changed); err != nil {
				return err
			}
		}
		res.CustomerIDs = cids
		res.AddressIDs = set.Keys(changed, func(a *address.Address) string { return a.ID })
		name := EventDeleted
		if !del {
			name = EventRestored
		}
		if err := s.events.Emit(ctx, event.Each(name, cids...)...); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return Deleted{}, err
	}
	return res, nil
}

func ids(cs []*Customer) []string {
	return set.Keys(cs, func(c *Customer) string { return c.ID })
}
