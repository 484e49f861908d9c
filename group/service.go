package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/clientele/clientele/event"
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

// Event names emitted by the service. Group events carry {"id": group id};
// membership events carry {"id": group id, "customer_ids": [...]}.
const (
	EventCreated          = "customer_group.created"
	EventUpdated          = "customer_group.updated"
	EventDeleted          = "customer_group.deleted"
	EventRestored         = "customer_group.restored"
	EventCustomersAdded   = "customer_group.customers_added"
	EventCustomersRemoved = "customer_group.customers_removed"
)

// Option configures a Service.
type Option func(*config)

type config struct {
	svcopt.Common
	search text.Search
}

// WithEventSink sends the service's events to sink.
func WithEventSink(sink event.Sink) Option { return func(c *config) { c.Sink = sink } }

// WithLogger sets the logger for failures that are not returned to the
// caller (a failing event sink). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.Logger = l } }

// WithClock sets the clock used for timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.Now = now } }

// WithSearchLimits bounds Filter.Q: at most maxWords words and maxBytes
// bytes, else a list fails with a *store.ValidationError naming "q" before
// it reaches the store. The defaults are 8 words and 256 bytes; 0 keeps a
// default, a negative value removes that bound.
func WithSearchLimits(maxWords, maxBytes int) Option {
	return func(c *config) { c.search = text.Search{MaxWords: maxWords, MaxBytes: maxBytes} }
}

// Service manages customer groups and their members. It is safe for
// concurrent use.
type Service struct {
	st     Store
	events emit.Emitter
	now    func() time.Time
	search text.Search
}

// NewService returns a Service on st.
func NewService(st Store, opts ...Option) (*Service, error) {
	if st == nil {
		return nil, errors.New("group: NewService needs a store")
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	return &Service{st: st, events: c.Emitter(), now: c.Clock(), search: c.search}, nil
}

var dom = errs.Domain{Entity: "CustomerGroup", NotFound: ErrNotFound, Conflict: ErrConflict, Invalid: ErrInvalid}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func nameTaken(name string) error {
	return &store.ConflictError{Entity: "Customer group", Fields: [][2]string{{"name", name}}, Err: ErrConflict}
}

// Create adds a group.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Group, error) {
	out, err := s.create(ctx, []CreateParams{p}, false)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// CreateMany adds several groups, all or none.
func (s *Service) CreateMany(ctx context.Context, ps []CreateParams) ([]*Group, error) {
	return s.create(ctx, ps, true)
}

func (s *Service) create(ctx context.Context, ps []CreateParams, batch bool) ([]*Group, error) {
	if len(ps) == 0 {
		return []*Group{}, nil
	}
	now := s.clock()
	groups := make([]*Group, len(ps))
	names := make([]string, len(ps))
	seen := map[string]bool{}
	for i, p := range ps {
		prefix := ""
		if batch {
			prefix = fmt.Sprintf("[%d].", i)
		}
		if err := text.Fields(prefix, p); err != nil {
			return nil, dom.Classify(err)
		}
		name := strings.TrimSpace(p.Name)
		if name == "" {
			return nil, dom.Public(prefix+"name", "Field 'name' is required")
		}
		if seen[name] {
			return nil, nameTaken(name)
		}
		seen[name] = true
		m, err := meta.Normalize(prefix+"metadata", p.Metadata)
		if err != nil {
			return nil, dom.Classify(err)
		}
		groups[i] = &Group{ID: id.New(id.Group), Name: name, Metadata: m, CreatedBy: p.CreatedBy, CreatedAt: now, UpdatedAt: now}
		names[i] = name
	}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkNames(ctx, names, nil); err != nil {
			return err
		}
		if err := s.st.InsertGroups(ctx, groups); err != nil {
			return dom.Classify(err)
		}
		if err := s.events.Emit(ctx, event.Each(EventCreated, keys(groups)...)...); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return groups, nil
}

// checkNames fails when a live group other than those in except has one of
// names.
func (s *Service) checkNames(ctx context.Context, names []string, except map[string]bool) error {
	taken, err := s.st.ListGroups(ctx, Filter{Names: names}, store.ListOptions{})
	if err != nil {
		return err
	}
	for _, g := range taken {
		if !except[g.ID] {
			return nameTaken(g.Name)
		}
	}
	return nil
}

// Retrieve returns the group with id.
func (s *Service) Retrieve(ctx context.Context, id string, opts store.FindOptions) (*Group, error) {
	if id == "" {
		return nil, dom.Invalidf("id", "customerGroup - id must be defined")
	}
	if err := text.Check("id", id); err != nil {
		return nil, dom.Classify(err)
	}
	if err := store.CheckRelations(opts.Relations); err != nil {
		return nil, dom.Classify(err)
	}
	found, err := s.st.ListGroups(ctx, Filter{IDs: []string{id}}, store.ListOptions{WithDeleted: opts.WithDeleted})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, dom.Missing(id)
	}
	return found[0], nil
}

// List returns the groups matching f. A customer's groups are
// List(ctx, Filter{CustomerIDs: []string{id}}, …).
func (s *Service) List(ctx context.Context, f Filter, opts store.ListOptions) ([]*Group, error) {
	if err := checkList(opts); err != nil {
		return nil, err
	}
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	return s.st.ListGroups(ctx, f, opts)
}

// ListAndCount returns a page of the groups matching f and how many match
// in all.
func (s *Service) ListAndCount(ctx context.Context, f Filter, opts store.ListOptions) ([]*Group, int, error) {
	if err := checkList(opts); err != nil {
		return nil, 0, err
	}
	if err := s.checkFilter(f); err != nil {
		return nil, 0, err
	}
	list, err := s.st.ListGroups(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	n, err := page.Total(len(list), opts, func() (int, error) { return s.st.CountGroups(ctx, f, opts) })
	if err != nil {
		return nil, 0, err
	}
	return list, n, nil
}

// ListPage returns a page of the groups matching f, with how many match in
// all and the cursors of the pages before and after it (see
// [store.ListOptions] and [store.Page]). It always counts exactly.
func (s *Service) ListPage(ctx context.Context, f Filter, opts store.ListOptions) (*store.Page[Group], error) {
	if err := checkList(opts); err != nil {
		return nil, err
	}
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	return page.Build(Sortable, groupID, opts, page.ListAndCount(
		func(o store.ListOptions) ([]*Group, error) { return s.st.ListGroups(ctx, f, o) },
		func() (int, error) { return s.st.CountGroups(ctx, f, opts) },
	))
}

func groupID(g *Group) string { return g.ID }

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

func checkList(opts store.ListOptions) error {
	if err := opts.Check(Sortable); err != nil {
		return dom.Classify(err)
	}
	return dom.Classify(store.CheckRelations(opts.Relations))
}

// Update changes the group with id.
func (s *Service) Update(ctx context.Context, id string, p UpdateParams) (*Group, error) {
	out, err := s.update(ctx, Filter{IDs: []string{id}}, []string{id}, p)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// UpdateMany changes the groups with ids; every id must exist.
func (s *Service) UpdateMany(ctx context.Context, ids []string, p UpdateParams) ([]*Group, error) {
	return s.update(ctx, Filter{IDs: ids}, ids, p)
}

// UpdateWhere changes every group matching f.
func (s *Service) UpdateWhere(ctx context.Context, f Filter, p UpdateParams) ([]*Group, error) {
	return s.update(ctx, f, nil, p)
}

func (s *Service) update(ctx context.Context, f Filter, ids []string, p UpdateParams) ([]*Group, error) {
	ids = set.Dedupe(ids)
	if ids != nil && len(ids) == 0 {
		return []*Group{}, nil
	}
	if err := s.checkFilter(f); err != nil {
		return nil, err
	}
	if err := text.Fields("", p); err != nil {
		return nil, dom.Classify(err)
	}
	var name string
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
		if name == "" {
			return nil, dom.Invalidf("name", "must not be empty")
		}
	}
	if _, err := meta.Normalize("metadata", p.Metadata); err != nil {
		return nil, dom.Classify(err)
	}
	var out []*Group
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListGroups(ctx, f, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if ids != nil && len(found) != len(ids) {
			return dom.Missing(set.Missing(ids, keys(found))...)
		}
		if len(found) == 0 {
			out = []*Group{}
			return nil
		}
		now := s.clock()
		mine := map[string]bool{}
		for _, g := range found {
			mine[g.ID] = true
			if p.Name != nil {
				g.Name = name
			}
			if g.Metadata, err = meta.Merge("metadata", meta.Base(g.Metadata, p.ClearMetadata), p.Metadata); err != nil {
				return dom.Classify(err)
			}
			g.UpdatedAt = now
		}
		if p.Name != nil {
			if len(found) > 1 {
				return nameTaken(name)
			}
			if err := s.checkNames(ctx, []string{name}, mine); err != nil {
				return err
			}
		}
		if err := s.st.UpdateGroups(ctx, found); err != nil {
			return dom.Classify(err)
		}
		if err := s.events.Emit(ctx, event.Each(EventUpdated, keys(found)...)...); err != nil {
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

// Delete deletes groups and their memberships for good. Unknown ids are
// ignored.
func (s *Service) Delete(ctx context.Context, ids ...string) error {
	return s.deleteWhere(ctx, Filter{IDs: set.Dedupe(ids)}, len(ids) == 0)
}

// DeleteWhere deletes every group matching f (soft-deleted ones included)
// for good.
func (s *Service) DeleteWhere(ctx context.Context, f Filter) error {
	return s.deleteWhere(ctx, f, false)
}

func (s *Service) deleteWhere(ctx context.Context, f Filter, none bool) error {
	if none {
		return nil
	}
	if err := s.checkFilter(f); err != nil {
		return err
	}
	return s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListGroups(ctx, f, store.ListOptions{WithDeleted: true, Lock: true})
		if err != nil || len(found) == 0 {
			return err
		}
		if err := s.st.DeleteGroups(ctx, keys(found)); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, event.Each(EventDeleted, keys(found)...)...); err != nil {
			return err
		}
		return nil
	})
}

// SoftDelete marks groups deleted and returns the ids it changed. Their
// memberships stay, so a restore brings them back; while deleted, a group
// is left out of customers' groups. Unknown and already deleted ids are
// ignored.
func (s *Service) SoftDelete(ctx context.Context, ids ...string) ([]string, error) {
	return s.setDeleted(ctx, set.Dedupe(ids), true)
}

// Restore undoes SoftDelete and returns the ids it changed. It fails with
// ErrConflict when a live group has taken the name meanwhile.
func (s *Service) Restore(ctx context.Context, ids ...string) ([]string, error) {
	return s.setDeleted(ctx, set.Dedupe(ids), false)
}

func (s *Service) setDeleted(ctx context.Context, ids []string, del bool) ([]string, error) {
	if len(ids) == 0 {
		return []string{}, nil
	}
	if err := text.Fields("ids", ids); err != nil {
		return nil, dom.Classify(err)
	}
	changed := []string{}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListGroups(ctx, Filter{IDs: ids}, store.ListOptions{WithDeleted: true, Lock: true})
		if err != nil {
			return err
		}
		now := s.clock()
		var todo []*Group
		var names []string
		for _, g := range found {
			if (g.DeletedAt == nil) != del {
				continue
			}
			if del {
				g.DeletedAt = &now
			} else {
				g.DeletedAt = nil
				names = append(names, g.Name)
			}
			g.UpdatedAt = now
			todo = append(todo, g)
		}
		if len(todo) == 0 {
			return nil
		}
		if len(names) > 0 {
			if err := s.checkNames(ctx, names, nil); err != nil {
				return err
			}
			if dup := firstDup(names); dup != "" {
				return nameTaken(dup)
			}
		}
		if err := s.st.UpdateGroups(ctx, todo); err != nil {
			return dom.Classify(err)
		}
		changed = keys(todo)
		name := EventDeleted
		if !del {
			name = EventRestored
		}
		if err := s.events.Emit(ctx, event.Each(name, changed...)...); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// Add makes each pair's customer a member of its group and returns the
// membership ids, one per pair. Adding an existing membership is a no-op
// that returns its id. The customers and groups must exist and be live;
// otherwise nothing is added and the error names the missing ids.
func (s *Service) Add(ctx context.Context, pairs ...Pair) ([]string, error) {
	if len(pairs) == 0 {
		return []string{}, nil
	}
	for i, p := range pairs {
		if p.CustomerID == "" || p.GroupID == "" {
			return nil, dom.Invalidf(fmt.Sprintf("[%d]", i), "customer_id and customer_group_id are required")
		}
		if err := text.Fields(fmt.Sprintf("[%d]", i), p); err != nil {
			return nil, dom.Classify(err)
		}
	}
	customers := set.Keys(pairs, func(p Pair) string { return p.CustomerID })
	groups := set.Keys(pairs, func(p Pair) string { return p.GroupID })
	out := make([]string, len(pairs))
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		// Locking the groups serialises concurrent adds to one group, so
		// an existing membership is always seen and never duplicated.
		found, err := s.st.ListGroups(ctx, Filter{IDs: groups}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if len(found) != len(groups) {
			return dom.Missing(set.Missing(groups, keys(found))...)
		}
		live, err := s.st.LockCustomers(ctx, customers)
		if err != nil {
			return err
		}
		if len(live) != len(customers) {
			return &store.NotFoundError{Entity: "Customer", IDs: set.Missing(customers, live), Err: ErrNotFound}
		}
		existing, err := s.st.ListMemberships(ctx, customers, groups)
		if err != nil {
			return err
		}
		have := map[Pair]string{}
		for _, m := range existing {
			p := Pair{m.CustomerID, m.GroupID}
			if _, ok := have[p]; !ok {
				have[p] = m.ID
			}
		}
		now := s.clock()
		var add []*Membership
		added := map[string][]string{}
		for i, p := range pairs {
			if mid, ok := have[p]; ok {
				out[i] = mid
				continue
			}
			m := &Membership{ID: id.New(id.GroupMembership), CustomerID: p.CustomerID, GroupID: p.GroupID, CreatedAt: now, UpdatedAt: now}
			have[p] = m.ID
			out[i] = m.ID
			add = append(add, m)
			added[p.GroupID] = append(added[p.GroupID], p.CustomerID)
		}
		if len(add) == 0 {
			return nil
		}
		if err := s.st.InsertMemberships(ctx, add); err != nil {
			return err
		}
		if err := s.emitMembers(ctx, EventCustomersAdded, groups, added); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Remove ends each pair's membership (every duplicate row of it too). Pairs
// that are not memberships are ignored.
func (s *Service) Remove(ctx context.Context, pairs ...Pair) error {
	if len(pairs) == 0 {
		return nil
	}
	if err := text.Fields("", pairs); err != nil {
		return dom.Classify(err)
	}
	customers := set.Keys(pairs, func(p Pair) string { return p.CustomerID })
	groups := set.Keys(pairs, func(p Pair) string { return p.GroupID })
	return s.st.InTx(ctx, func(ctx context.Context) error {
		// Lock the groups, as Add does, so that concurrent changes of one
		// group's members run one after another and each reports only
		// what it changed.
		if _, err := s.st.ListGroups(ctx, Filter{IDs: groups}, store.ListOptions{WithDeleted: true, Lock: true}); err != nil {
			return err
		}
		existing, err := s.st.ListMemberships(ctx, customers, groups)
		if err != nil {
			return err
		}
		want := map[Pair]bool{}
		for _, p := range pairs {
			want[p] = true
		}
		removed := map[string][]string{}
		var del []Pair
		for _, m := range existing {
			p := Pair{m.CustomerID, m.GroupID}
			if want[p] {
				want[p] = false
				removed[p.GroupID] = append(removed[p.GroupID], p.CustomerID)
				del = append(del, p)
			}
		}
		if len(del) == 0 {
			return nil
		}
		if err := s.st.DeleteMemberships(ctx, del); err != nil {
			return err
		}
		if err := s.emitMembers(ctx, EventCustomersRemoved, groups, removed); err != nil {
			return err
		}
		return nil
	})
}

func (s *Service) emitMembers(ctx context.Context, name string, groups []string, byGroup map[string][]string) error {
	var events []event.Event
	for _, g := range groups {
		if cs := byGroup[g]; len(cs) > 0 {
			events = append(events, event.Event{Name: name, Data: map[string]any{"id": g, "customer_ids": cs}})
		}
	}
	return s.events.Emit(ctx, events...)
}

func keys(groups []*Group) []string {
	return set.Keys(groups, func(g *Group) string { return g.ID })
}

func firstDup(names []string) string {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}
