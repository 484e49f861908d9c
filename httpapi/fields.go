package httpapi

import (
	"slices"
	"strings"
)

// MaxFields is the most names a fields parameter may hold; more is a 400
// (see checkInput).
const MaxFields = 100

// selection is a parsed fields parameter: the keys of the entity to
// answer and the relations to answer with it.
type selection struct {
	keys []string
	rels []relSel
}

// relSel is one relation of a selection: every field of its entities
// ("*rel" or "rel.*"), or only some of them ("rel.key", one level deep).
type relSel struct {
	name string
	all  bool
	keys []string
}

// fieldToken is one name of a fields parameter.
type fieldToken struct {
	op   byte   // '+' adds, '-' removes, 0: a bare name
	star bool   // "*rel" or "rel.*": the whole relation
	path string // the name without its modifier and star
}

// lexField reads one comma-separated name; false for an empty one.
func lexField(tok string) (fieldToken, bool) {
	var t fieldToken
	if strings.HasPrefix(tok, " ") {
		// An unencoded "+" arrives as a space: "?fields=+email".
		t.op = '+'
	}
	tok = strings.TrimSpace(tok)
	if tok != "" && (tok[0] == '+' || tok[0] == '-') {
		t.op = tok[0]
		tok = strings.TrimSpace(tok[1:])
	}
	if s, ok := strings.CutPrefix(tok, "*"); ok {
		t.star, tok = true, s
	}
	if s, ok := strings.CutSuffix(tok, ".*"); ok {
		t.star, tok = true, s
	}
	t.path = tok
	return t, tok != ""
}

// parseFields applies Medusa's fields syntax to the defaults (the keys
// defaults and the whole relations defaultRels):
//
//   - "+f" (or " f") adds f and "-f" removes it; a bare "f" anywhere in
//     the list makes the list replace the defaults instead of changing
//     them (as in Medusa, the "+" names of such a list are kept);
//   - "*rel" and "rel.*" answer every field of a relation, "rel.key" only
//     key of it (one level deep), "-rel" drops the relation and "-rel.key"
//     one of its keys (not from a whole relation);
//   - a bare relation name, a deeper path and unknown names answer nothing;
//   - id is always answered.
//
// relations are the relations the route may answer; any other is refused
// silently. It runs in time linear in len(raw).
func parseFields(raw string, defaults, defaultRels, relations []string) selection {
	replace := false
	for s := range strings.SplitSeq(raw, ",") {
		if t, ok := lexField(s); ok && t.op == 0 && !t.star {
			replace = true
			break
		}
	}
	var keys ordered
	var rels relSet
	if replace {
		keys = newOrdered(nil)
	} else {
		keys = newOrdered(defaults)
		for _, r := range defaultRels {
			rels.get(r).all = true
		}
	}
	for s := range strings.SplitSeq(raw, ",") {
		t, ok := lexField(s)
		if !ok {
			continue
		}
		base, sub, dotted := strings.Cut(t.path, ".")
		isRel := slices.Contains(relations, base)
		switch {
		case t.op == '-' && isRel && !dotted:
			rels.remove(base)
		case t.op == '-' && isRel:
			if r := rels.find(base); r != nil {
				r.keys.remove(sub)
			}
		case t.op == '-' && !dotted:
			keys.remove(t.path)
		case t.op == '-':
			// a sub-field of something that is not a relation
		case isRel && t.star && !dotted:
			rels.get(base).all = true
		case isRel && !t.star && dotted && !strings.Contains(sub, "."):
			rels.get(base).keys.add(sub)
		case isRel, t.star, dotted:
			// a bare relation name (Medusa answers nothing for it either),
			// a nested relation, a relation the route does not allow
		default:
			keys.add(t.path)
		}
	}
	out := selection{keys: keys.list()}
	if !slices.Contains(out.keys, "id") {
		out.keys = append([]string{"id"}, out.keys...)
	}
	for _, r := range rels {
		if r.all {
			out.rels = append(out.rels, relSel{name: r.name, all: true})
		} else if ks := r.keys.list(); len(ks) > 0 {
			out.rels = append(out.rels, relSel{name: r.name, keys: ks})
		}
	}
	return out
}

// relState is a relation while a fields parameter is parsed.
type relState struct {
	name string
	all  bool
	keys ordered
}

// relSet holds the relations of a selection being parsed, in the order
// they were first asked for. A route has a handful of relations, so it is
// searched in place.
type relSet []*relState

func (s relSet) find(name string) *relState {
	for _, r := range s {
		if r.name == name {
			return r
		}
	}
	return nil
}

func (s *relSet) get(name string) *relState {
	if r := s.find(name); r != nil {
		return r
	}
	r := &relState{name: name, keys: newOrdered(nil)}
	*s = append(*s, r)
	return r
}

func (s *relSet) remove(name string) {
	*s = slices.DeleteFunc(*s, func(r *relState) bool { return r.name == name })
}

// ordered is a set of names that remembers the order they were added in:
// a name added again after its removal goes last. Small sets (the usual
// case) are searched in place; past indexAfter names an index keeps every
// operation O(1).
type ordered struct {
	names []string
	live  []bool
	at    map[string]int // index in names of each live name, once indexed
}

const indexAfter = 64

func newOrdered(init []string) ordered {
	o := ordered{names: make([]string, 0, len(init)+4), live: make([]bool, 0, len(init)+4)}
	for _, n := range init {
		o.add(n)
	}
	return o
}

// find returns the index of the live entry of n, or -1.
func (o *ordered) find(n string) int {
	if o.at != nil {
		if i, ok := o.at[n]; ok {
			return i
		}
		return -1
	}
	for i, m := range o.names {
		if o.live[i] && m == n {
			return i
		}
	}
	return -1
}

func (o *ordered) add(n string) {
	if o.find(n) >= 0 {
		return
	}
	if o.at == nil && len(o.names) >= indexAfter {
		o.at = make(map[string]int, 2*indexAfter)
		for i, m := range o.names {
			if o.live[i] {
				o.at[m] = i
			}
		}
	}
	if o.at != nil {
		o.at[n] = len(o.names)
	}
	o.names = append(o.names, n)
	o.live = append(o.live, true)
}

func (o *ordered) remove(n string) {
	if i := o.find(n); i >= 0 {
		o.live[i] = false
		if o.at != nil {
			delete(o.at, n)
		}
	}
}

func (o *ordered) list() []string {
	out := make([]string, 0, len(o.names))
	for i, n := range o.names {
		if o.live[i] {
			out = append(out, n)
		}
	}
	return out
}

// countFields counts the names of a fields parameter, stopping past limit.
func countFields(raw string, limit int) int {
	n := 0
	for tok := range strings.SplitSeq(raw, ",") {
		if strings.TrimSpace(tok) != "" {
			if n++; n > limit {
				break
			}
		}
	}
	return n
}

// rel returns the relation name of s.
func (s selection) rel(name string) (relSel, bool) {
	for _, r := range s.rels {
		if r.name == name {
			return r, true
		}
	}
	return relSel{}, false
}

// relNames lists the relations to load.
func (s selection) relNames() []string {
	out := make([]string, len(s.rels))
	for i, r := range s.rels {
		out[i] = r.name
	}
	return out
}

// only keeps the keys in allowed (and id): what a caller may ask for of an
// entity, whatever fields names.
func (s selection) only(allowed []string) selection {
	s.keys = slices.DeleteFunc(slices.Clone(s.keys), func(k string) bool { return k != "id" && !slices.Contains(allowed, k) })
	return s
}

// fields returns the keys to answer of each entity of the relation: all,
// or the keys asked for, with id first when withID is set (Medusa answers
// the id of a customer of a group always, of an address or a group only
// when asked for).
func (r relSel) fields(all []string, withID bool) []string {
	if r.all {
		return all
	}
	if withID && !slices.Contains(r.keys, "id") {
		return append([]string{"id"}, r.keys...)
	}
	return r.keys
}
