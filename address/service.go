package address

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/emit"
	"github.com/clientele/clientele/internal/errs"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/page"
	"github.com/clientele/clientele/internal/set"
	"github.com/clientele/clientele/internal/svcopt"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/store"
)

// Event names emitted by the service, each with data {"id": address id,
// "customer_id": owner}.
const (
	EventCreated = "customer_address.created"
	EventUpdated = "customer_address.updated"
	EventDeleted = "customer_address.deleted"
)

// Option configures a Service.
type Option func(*config)

type config struct {
	svcopt.Common
	checkPostal     bool
	requireComplete bool
	search          text.Search
}

// WithEventSink sends the service's events to sink.
func WithEventSink(sink event.Sink) Option { return func(c *config) { c.Sink = sink } }

// WithLogger sets the logger for failures that are not returned to the
// caller (a failing event sink). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.Logger = l } }

// WithClock sets the clock used for timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.Now = now } }

// WithPostalCodeCheck turns the postal-code format check on (the default)
// or off.
func WithPostalCodeCheck(on bool) Option { return func(c *config) { c.checkPostal = on } }

// WithSearchLimits bounds Filter.Q: at most maxWords words and maxBytes
// bytes, else a list fails with a *store.ValidationError naming "q" before
// it reaches the store. The defaults are 8 words and 256 bytes; 0 keeps a
// default, a negative value removes that bound. Every word of q is one more
// condition over nine columns for the backend to plan and evaluate, so keep
// them small on anything a client can reach.
func WithSearchLimits(maxWords, maxBytes int) Option {
	return func(c *config) { c.search = text.Search{MaxWords: maxWords, MaxBytes: maxBytes} }
}

// Service manages customer addresses. It is safe for concurrent use.
type Service struct {
	st              Store
	events          emit.Emitter
	now             func() time.Time
	checkPostal     bool
	requireComplete bool // WithRequireComplete
	search          text.Search
}

// NewService returns a Service on st.
func NewService(st Store, opts ...Option) (*Service, error) {
	if st == nil {
		return nil, errors.New("address: NewService needs a store")
	}
	c := config{checkPostal: true}
	for _, o := range opts {
		o(&c)
	}
	return &Service{st: st, events: c.Emitter(), now: c.Clock(), checkPostal: c.checkPostal, requireComplete: c.requireComplete, search: c.search}, nil
}

var dom = errs.Domain{Entity: "CustomerAddress", NotFound: ErrNotFound, Conflict: ErrConflict, Invalid: ErrInvalid}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Create adds one address. When it is a default, the customer's previous
// default of that kind stops being one, in the same unit of work.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Address, error) {
	out, err := s.create(ctx, []CreateParams{p}, "")
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// CreateMany adds several addresses, all or none. Two new defaults of one
// kind for the same customer in one call are a validation error.
func (s *Service) CreateMany(ctx context.Context, ps []CreateParams) ([]*Address, error) {
	return s.create(ctx, ps, "[%d].")
}

// CreateForCustomers is CreateMany for addresses nested in customers being
// created in the same unit of work; field names in errors are prefixed by
// fieldPrefix(i), where i indexes ps.
func (s *Service) CreateForCustomers(ctx context.Context, ps []CreateParams, fieldPrefix func(i int) string) ([]*Address, error) {
	return s.createWith(ctx, ps, fieldPrefix)
}

func (s *Service) create(ctx context.Context, ps []CreateParams, format string) ([]*Address, error) {
	prefix := func(int) string { return "" }
	if format != "" {
		prefix = func(i int) string { return fmt.Sprintf(format, i) }
	}
	return s.createWith(ctx, ps, prefix)
}

func (s *Service) createWith(ctx context.Context, ps []CreateParams, prefix func(int) string) ([]*Address, error) {
	if len(ps) == 0 {
		return []*Address{}, nil
	}
	now := s.clock()
	addrs, err := s.prepare(ps, now, prefix)
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		customers := set.Keys(addrs, func(a *Address) string { return a.CustomerID })
		if err := s.lockCustomers(ctx, customers); err != nil {
			return err
		}
		if err := s.clearDefaults(ctx, addrs, now); err != nil {
			return err
		}
		if err := s.st.InsertAddresses(ctx, addrs); err != nil {
			return dom.Classify(err)
		}
		if err := s.emit(ctx, EventCreated, addrs); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return addrs, nil
}

func (s *Service) lockCustomers(ctx context.Context, ids []string) error {
	live, err := s.st.LockCustomers(ctx, ids)
	if err != nil {
		return err
	}
	if len(live) == len(ids) {
		return nil
	}
	return &store.NotFoundError{Entity: "Customer", IDs: set.Missing(ids, live), Err: ErrNotFound}
}

// clearDefaults makes the current defaults of the customers that addrs make
// a new default of stop being defaults. addrs themselves are skipped.
func (s *Service) clearDefaults(ctx context.Context, addrs []*Address, now time.Time) error {
	var ship, bill []string
	for _, a := range addrs {
		if a.IsDefaultShipping {
			ship = append(ship, a.CustomerID)
		}
		if a.IsDefaultBilling {
			bill = append(bill, a.CustomerID)
		}
	}
	if len(ship)+len(bill) == 0 {
		return nil
	}
	yes := true
	var olds []*Address
	if len(ship) > 0 {
		found, err := s.st.ListAddresses(ctx, Filter{CustomerIDs: ship, IsDefaultShipping: &yes}, store.ListOptions{WithDeleted: true})
		if err != nil {
			return err
		}
		olds = append(olds, found...)
	}
	if len(bill) > 0 {
		found, err := s.st.ListAddresses(ctx, Filter{CustomerIDs: bill, IsDefaultBilling: &yes}, store.ListOptions{WithDeleted: true})
		if err != nil {
			return err
		}
		olds = append(olds, found...)
	}
	mine := map[string]bool{}
	for _, a := range addrs {
		mine[a.ID] = true
	}
	changed := map[string]*Address{}
	var order []*Address
	for _, o := range olds {
		if mine[o.ID] {
			continue
		}
		c := changed[o.ID]
		if c == nil {
			c = o
			changed[o.ID] = c
			order = append(order, c)
		}
		if slices.Contains(ship, o.CustomerID) && o.IsDefaultShipping {
			c.IsDefaultShipping = false
		}
		if slices.Contains(bill, o.CustomerID) && o.IsDefaultBilling {
			c.IsDefaultBilling = false
		}
		c.UpdatedAt = now
	}
	if len(order) == 0 {
		return nil
	}
	if err := s.st.UpdateAddresses(ctx, order); err != nil {
		return dom.Classify(err)
	}
	if err := s.emit(ctx, EventUpdated, order); err != nil {
		return err
	}
	return nil
}

func (s *Service) build(p CreateParams, prefix string) (*Address, error) {
	if err := text.Fields(prefix, p); err != nil {
		return nil, dom.Classify(err)
	}
	if strings.TrimSpace(p.CustomerID) == "" {
		return nil, dom.Invalidf(prefix+"customer_id", "is required")
	}
	a := &Address{
		CustomerID: strings.TrimSpace(p.CustomerID), AddressName: p.AddressName,
		IsDefaultShipping: p.IsDefaultShipping, IsDefaultBilling: p.IsDefaultBilling,
		Company: p.Company, FirstName: p.FirstName, LastName: p.LastName,
		Address1: p.Address1, Address2: p.Address2, City: p.City,
		CountryCode: p.CountryCode, Province: p.Province, PostalCode: p.PostalCode, Phone: p.Phone,
	}
	var err error
	if a.Metadata, err = meta.Normalize(prefix+"metadata", p.Metadata); err != nil {
		return nil, dom.Classify(err)
	}
	if err := s.check(a, prefix); err != nil {
		return nil, err
	}
	if s.requireComplete {
		if err := s.complete(a, prefix); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// check validates and normalises the country code and postal code of a.
func (s *Service) check(a *Address, prefix string) error {
	a.PostalCode = strings.TrimSpace(a.PostalCode)
	if a.CountryCode == "" {
		return nil
	}
	cc, ok := normalizeCountry(a.CountryCode)
	if !ok {
		return dom.Invalidf(prefix+"country_code", "%q is not an ISO 3166-1 alpha-2 country code", a.CountryCode)
	}
	a.CountryCode = cc
	if s.checkPostal && a.PostalCode != "" && !postalCodeFits(cc, a.PostalCode) {
		return dom.Invalidf(prefix+"postal_code", "%q is not a valid postal code for %s", a.PostalCode, strings.ToUpper(cc))
	}
	return nil
}

// Retrieve returns the address with id.
func (s *Service) Retrieve(ctx context.Context, id string, opts store.FindOptions) (*Address, error) {
	if id == "" {
		return nil, dom.Invalidf("id", "customerAddress - id must be defined")
	}
	if err := text.Check("id", id); err != nil {
		return nil, dom.Classify(err)
	}
	if err := store.CheckRelations(opts.Relations); err != nil {
		return nil, dom.Classify(err)
	}
	found, err := s.st.ListAddresses(ctx, Filter{IDs: []string{id}}, store.ListOptions{WithDeleted: opts.WithDeleted})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, dom.Missing(id)
	}
	return found[0], nil
}

// List returns the addresses matching f.
func (s *Service) List(ctx context.Context, f Filter, opts store.ListOptions) ([]*Address, error) {
	if err := s.checkList(&f, opts); err != nil {
		return nil, err
	}
	return s.st.ListAddresses(ctx, f, opts)
}

// ListAndCount returns a page of the addresses matching f and how many
// match in all.
func (s *Service) ListAndCount(ctx context.Context, f Filter, opts store.ListOptions) ([]*Address, int, error) {
	if err := s.checkList(&f, opts); err != nil {
		return nil, 0, err
	}
	list, err := s.st.ListAddresses(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	n, err := page.Total(len(list), opts, func() (int, error) { return s.st.CountAddresses(ctx, f, opts) })
	if err != nil {
		return nil, 0, err
	}
	return list, n, nil
}

// ListPage returns a page of the addresses matching f, with how many match
// in all and the cursors of the pages before and after it (see
// [store.ListOptions] and [store.Page]). It always counts exactly.
func (s *Service) ListPage(ctx context.Context, f Filter, opts store.ListOptions) (*store.Page[Address], error) {
	if err := s.checkList(&f, opts); err != nil {
		return nil, err
	}
	return page.Build(Sortable, addressID, opts, page.ListAndCount(
		func(o store.ListOptions) ([]*Address, error) { return s.st.ListAddresses(ctx, f, o) },
		func() (int, error) { return s.st.CountAddresses(ctx, f, opts) },
	))
}

func (s *Service) checkList(f *Filter, opts store.ListOptions) error {
	if err := opts.Check(Sortable); err != nil {
		return dom.Classify(err)
	}
	if err := store.CheckRelations(opts.Relations); err != nil {
		return dom.Classify(err)
	}
	if err := s.checkFilter(*f); err != nil {
		return err
	}
	for i, c := range f.CountryCodes {
		if i == 0 {
			f.CountryCodes = slices.Clone(f.CountryCodes)
		}
		f.CountryCodes[i] = strings.ToLower(strings.TrimSpace(c))
	}
	return nil
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

// Update changes the address with id.
func (s *Service) Update(ctx context.Context, id string, p UpdateParams) (*Address, error) {
	out, err := s.update(ctx, Filter{IDs: []string{id}}, []string{id}, p)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// UpdateMany changes the addresses with ids; every id must exist.
func (s *Service) UpdateMany(ctx context.Context, ids []string, p UpdateParams) ([]*Address, error) {
	return s.update(ctx, Filter{IDs: ids}, ids, p)
}

// UpdateWhere changes every address matching f; none matching is not an
// error.
func (s *Service) UpdateWhere(ctx context.Context, f Filter, p UpdateParams) ([]*Address, error) {
	if err := s.checkList(&f, store.ListOptions{}); err != nil {
		return nil, err
	}
	return s.update(ctx, f, nil, p)
}

func (s *Service) update(ctx context.Context, f Filter, ids []string, p UpdateParams) ([]*Address, error) {
	ids = set.Dedupe(ids)
	if ids != nil && len(ids) == 0 {
		return []*Address{}, nil
	}
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	if err := text.Fields("", p); err != nil {
		return nil, dom.Classify(err)
	}
	if _, err := meta.Normalize("metadata", p.Metadata); err != nil {
		return nil, dom.Classify(err)
	}
	var out []*Address
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		now := s.clock()
		found, err := s.st.ListAddresses(ctx, f, store.ListOptions{})
		if err != nil {
			return err
		}
		if ids != nil && len(found) != len(ids) {
			return dom.Missing(set.Missing(ids, set.Keys(found, addressID))...)
		}
		if len(found) == 0 {
			out = []*Address{}
			return nil
		}
		customers := set.Keys(found, func(a *Address) string { return a.CustomerID })
		if err := s.lockCustomers(ctx, customers); err != nil {
			return err
		}
		// Re-read under the customers' locks: a concurrent default change
		// may have committed since the first read.
		if found, err = s.st.ListAddresses(ctx, Filter{IDs: set.Keys(found, addressID)}, store.ListOptions{}); err != nil {
			return err
		}
		// An address deleted meanwhile is as missing as one never made.
		if ids != nil && len(found) != len(ids) {
			return dom.Missing(set.Missing(ids, set.Keys(found, addressID))...)
		}
		if len(found) == 0 {
			out = []*Address{}
			return nil
		}
		for _, a := range found {
			if err := s.apply(a, p); err != nil {
				return err
			}
			a.UpdatedAt = now
		}
		newDefaults := make([]*Address, 0, len(found))
		if (p.IsDefaultShipping != nil && *p.IsDefaultShipping) || (p.IsDefaultBilling != nil && *p.IsDefaultBilling) {
			per := map[string]int{}
			for _, a := range found {
				per[a.CustomerID]++
				if per[a.CustomerID] > 1 {
					return dom.Invalidf("is_default", "the update would make several addresses of customer %s its default", a.CustomerID)
				}
			}
			newDefaults = found
		}
		// Only the flags being set to true are cleared elsewhere.
		if len(newDefaults) > 0 {
			probe := make([]*Address, len(newDefaults))
			for i, a := range newDefaults {
				c := *a
				c.IsDefaultShipping = p.IsDefaultShipping != nil && *p.IsDefaultShipping
				c.IsDefaultBilling = p.IsDefaultBilling != nil && *p.IsDefaultBilling
				probe[i] = &c
			}
			if err := s.clearDefaults(ctx, probe, now); err != nil {
				return err
			}
		}
		if err := s.st.UpdateAddresses(ctx, found); err != nil {
			return dom.Classify(err)
		}
		if err := s.emit(ctx, EventUpdated, found); err != nil {
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

func (s *Service) apply(a *Address, p UpdateParams) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.AddressName, p.AddressName)
	set(&a.Company, p.Company)
	set(&a.FirstName, p.FirstName)
	set(&a.LastName, p.LastName)
	set(&a.Address1, p.Address1)
	set(&a.Address2, p.Address2)
	set(&a.City, p.City)
	set(&a.CountryCode, p.CountryCode)
	set(&a.Province, p.Province)
	set(&a.PostalCode, p.PostalCode)
	set(&a.Phone, p.Phone)
	if p.IsDefaultShipping != nil {
		a.IsDefaultShipping = *p.IsDefaultShipping
	}
	if p.IsDefaultBilling != nil {
		a.IsDefaultBilling = *p.IsDefaultBilling
	}
	if p.CountryCode != nil || p.PostalCode != nil {
		if err := s.check(a, ""); err != nil {
			return err
		}
	}
	if s.requireComplete {
		if err := s.complete(a, ""); err != nil {
			return err
		}
	}
	m, err := meta.Merge("metadata", meta.Base(a.Metadata, p.ClearMetadata), p.Metadata)
	if err != nil {
		return dom.Classify(err)
	}
	a.Metadata = m
	return nil
}

// Delete deletes addresses for good. Unknown ids are ignored.
func (s *Service) Delete(ctx context.Context, ids ...string) error {
	ids = set.Dedupe(ids)
	if len(ids) == 0 {
		return nil
	}
	if err := text.Fields("ids", ids); err != nil {
		return dom.Classify(err)
	}
	return s.deleteWhere(ctx, Filter{IDs: ids})
}

func (s *Service) emit(ctx context.Context, name string, addrs []*Address) error {
	events := make([]event.Event, len(addrs))
	for i, a := range addrs {
		events[i] = event.Event{Name: name, Data: map[string]any{"id": a.ID, "customer_id": a.CustomerID}}
	}
	return s.events.Emit(ctx, events...)
}

func addressID(a *Address) string { return a.ID }
