// Package text checks the strings that clients send before they reach a
// backend: no NUL byte (PostgreSQL refuses it in text and jsonb, the
// memory backend would store it), valid UTF-8 (PostgreSQL refuses invalid
// sequences), and search queries of a bounded size.
package text

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/clientele/clientele/store"
)

// Check returns a *store.ValidationError naming field when s holds a NUL
// byte or is not valid UTF-8, else nil.
func Check(field, s string) error {
	if reason := Problem(s); reason != "" {
		return store.Invalid(field, "%s", reason)
	}
	return nil
}

// Problem returns why s is refused ("must not contain a NUL byte", "must
// be valid UTF-8"), or "" when it is fine.
func Problem(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "must not contain a NUL byte"
	}
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	return ""
}

// Valid reports whether s has no NUL byte and is valid UTF-8.
func Valid(s string) bool { return Problem(s) == "" }

// Value checks every string in v, a JSON-like value (metadata: maps with
// string keys, slices, strings, numbers, booleans), keys included. A key
// or value at fault is named field.key (field[i] in arrays).
func Value(field string, v any) error {
	switch t := v.(type) {
	case string:
		return Check(field, t)
	case map[string]any:
		for k, e := range t {
			if err := Check(field, k); err != nil {
				return err
			}
			if err := Value(field+"."+k, e); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := Value(fmt.Sprintf("%s[%d]", field, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// Fields checks every string reachable from v, a struct or a pointer to
// one (a service's CreateParams, UpdateParams or Filter): string, *string
// and []string fields, metadata maps, nested structs and slices of them.
// A field at fault is named as clients name it: prefix + the snake_case
// of its Go name ("FirstName" is first_name, "Address1" address_1,
// "CustomerIDs" customer_ids), with [i] for slice elements; a nested
// struct of package store (a StringFilter) keeps its parent's name.
func Fields(prefix string, v any) error {
	f := walk(reflect.ValueOf(v), prefix == "")
	if f == nil {
		return nil
	}
	name := prefix
	for i := len(f.path) - 1; i >= 0; i-- {
		seg := f.path[i]
		if name != "" && !strings.HasPrefix(seg, "[") && !strings.HasSuffix(name, ".") {
			name += "."
		}
		name += seg
	}
	return store.Invalid(name, "%s", f.reason)
}

// failure is a string at fault: its path, innermost segment first (built
// only on failure, so that valid input costs no allocation for names).
type failure struct {
	path   []string
	reason string
}

func (f *failure) in(seg string) *failure {
	if seg != "" {
		f.path = append(f.path, seg)
	}
	return f
}

// walk checks v; top says that v is the value given to Fields, whose
// nested store structs are not inlined.
func walk(v reflect.Value, top bool) *failure {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walk(v.Elem(), top)
	case reflect.String:
		if r := Problem(v.String()); r != "" {
			return &failure{reason: r}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if f := walk(v.Index(i), false); f != nil {
				return f.in(fmt.Sprintf("[%d]", i))
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil
		}
		if m, ok := v.Interface().(map[string]any); ok {
			return valueFailure(m)
		}
		for _, k := range v.MapKeys() {
			if r := Problem(k.String()); r != "" {
				return &failure{reason: r}
			}
			if f := walk(v.MapIndex(k), false); f != nil {
				return f.in(k.String())
			}
		}
	case reflect.Struct:
		inline := v.Type().PkgPath() == storePkg && !top
		for _, fi := range fieldsOf(v.Type()) {
			if f := walk(v.Field(fi.index), false); f != nil {
				if inline {
					return f
				}
				return f.in(fi.name)
			}
		}
	}
	return nil
}

// valueFailure is Value's walk, for metadata inside a struct.
func valueFailure(v any) *failure {
	switch t := v.(type) {
	case string:
		if r := Problem(t); r != "" {
			return &failure{reason: r}
		}
	case map[string]any:
		for k, e := range t {
			if r := Problem(k); r != "" {
				return &failure{reason: r}
			}
			if f := valueFailure(e); f != nil {
				return f.in(k)
			}
		}
	case []any:
		for i, e := range t {
			if f := valueFailure(e); f != nil {
				return f.in(fmt.Sprintf("[%d]", i))
			}
		}
	}
	return nil
}

type fieldInfo struct {
	index int
	name  string
}

var fieldCache sync.Map // reflect.Type → []fieldInfo

// fieldsOf returns the exported fields of struct type t and their
// snake_case names.
func fieldsOf(t reflect.Type) []fieldInfo {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]fieldInfo)
	}
	var fs []fieldInfo
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			fs = append(fs, fieldInfo{index: i, name: snake(f.Name)})
		}
	}
	fieldCache.Store(t, fs)
	return fs
}

var storePkg = reflect.TypeFor[store.StringFilter]().PkgPath()

// snake turns a Go field name into snake_case: a run of capitals is one
// word ("IDs" is ids), a digit run starts a word ("Address1" is
// address_1).
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if i > 0 {
			prev := rs[i-1]
			switch {
			case unicode.IsUpper(r) && !unicode.IsUpper(prev):
				b.WriteByte('_')
			case unicode.IsDigit(r) && !unicode.IsDigit(prev):
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Default search bounds: what a q may hold before a backend plans it.
const (
	DefaultMaxWords = 8
	DefaultMaxBytes = 256
)

// Search bounds a search query: at most MaxWords words (store.Words) and
// MaxBytes bytes. A zero field takes its default; a negative one removes
// that bound.
type Search struct {
	MaxWords int
	MaxBytes int
}

// Check returns a *store.ValidationError naming field when q exceeds the
// bounds, holds a NUL byte or is not valid UTF-8.
func (b Search) Check(field, q string) error {
	if err := Check(field, q); err != nil {
		return err
	}
	maxBytes, maxWords := b.MaxBytes, b.MaxWords
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxWords == 0 {
		maxWords = DefaultMaxWords
	}
	if maxBytes > 0 && len(q) > maxBytes {
		return store.Invalid(field, "must be at most %d bytes long, got %d", maxBytes, len(q))
	}
	if maxWords > 0 {
		if n := len(store.Words(q)); n > maxWords {
			return store.Invalid(field, "must have at most %d words, got %d", maxWords, n)
		}
	}
	return nil
}
