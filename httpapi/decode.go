package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/store"
)

// kind is the JSON type a body field must have.
type kind int

const (
	kString  kind = iota // string; null allowed (nullish)
	kBool                // boolean; null not allowed
	kRecord              // object; null allowed
	kStrings             // array of strings
	kAny                 // anything (not validated)
)

func (k kind) String() string {
	switch k {
	case kString:
		return "string"
	case kBool:
		return "boolean"
	case kRecord:
		return "record"
	case kStrings:
		return "array"
	}
	return "any"
}

// field describes one accepted body field.
type field struct {
	name     string
	kind     kind
	required bool
	email    bool
	notNull  bool // a kString that may be absent but not null
}

// body is a decoded, validated request body: only the fields of the
// schema, each of its kind (nil values are JSON nulls).
type body map[string]any

// has reports whether the body holds name (null included).
func (b body) has(name string) bool { _, ok := b[name]; return ok }

// str returns a string field, "" when missing or null.
func (b body) str(name string) string { s, _ := b[name].(string); return s }

// strPtr returns nil when the field is missing, a pointer to "" for null.
func (b body) strPtr(name string) *string {
	v, ok := b[name]
	if !ok {
		return nil
	}
	s, _ := v.(string)
	return &s
}

func (b body) boolPtr(name string) *bool {
	v, ok := b[name].(bool)
	if !ok {
		return nil
	}
	return &v
}

func (b body) record(name string) map[string]any { m, _ := b[name].(map[string]any); return m }

// null reports whether the body holds name as an explicit null (which
// clears the field, as in Medusa).
func (b body) null(name string) bool { v, ok := b[name]; return ok && v == nil }

func (b body) strings(name string) []string { s, _ := b[name].([]string); return s }

// drainFactor bounds how much of a body over the limit is read and
// discarded before the 413 is answered: up to drainFactor × the limit.
const drainFactor = 16

// readJSON reads r's body as a JSON object, limited to the API's maximum.
// An empty body is an empty object.
func (a *API) readJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if r.ContentLength > a.maxBody {
		return nil, a.tooLarge(w, r)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, a.maxBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			// A host's own http.MaxBytesReader, tighter than ours.
			return nil, errTooLarge()
		}
		return nil, invalidData("Could not read the request body")
	}
	if int64(len(data)) > a.maxBody {
		return nil, a.tooLarge(w, r)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	// Only JSON is read: a form or text/plain body (which a page on
	// another site can send without a preflight) is refused.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, newError(http.StatusUnsupportedMediaType, typeInvalidData, "Content-Type must be application/json")
	}
	if !utf8.Valid(data) {
		// encoding/json would turn the bad bytes into U+FFFD silently.
		return nil, invalidData("Invalid request: the body must be valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidData("Invalid JSON in request body")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidData("Invalid JSON in request body")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalidData("Invalid request: Expected type: 'object' for field 'body', got: '%s'", received(v))
	}
	// Sorted, so that a body with several faults always gets the same
	// answer.
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e := m[k]
		field := k
		if !text.Valid(k) {
			field = "body"
		}
		var ve *store.ValidationError
		if err := text.Value(field, e); errors.As(err, &ve) {
			return nil, invalidData("Invalid request: Field '%s' %s", ve.Field, ve.Reason)
		}
		if field != k {
			return nil, invalidData("Invalid request: Field 'body' has a key that %s", text.Problem(k))
		}
		if !finiteNumbers(e) {
			return nil, invalidData("Invalid request: Field '%s' has a number out of range", k)
		}
	}
	return m, nil
}

// finiteNumbers reports whether every number in v is a finite float64:
// one that is not (1e400) would become ±Inf, which JSON cannot encode, so
// it could be neither stored nor answered.
func finiteNumbers(v any) bool {
	switch t := v.(type) {
	case json.Number:
		f, _ := t.Float64() // an underflow reads as 0, which is fine
		return !math.IsInf(f, 0)
	case map[string]any:
		for _, e := range t {
			if !finiteNumbers(e) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if !finiteNumbers(e) {
				return false
			}
		}
	}
	return true
}

func errTooLarge() *apiError {
	return newError(http.StatusRequestEntityTooLarge, typeInvalidData, "request entity too large")
}

// tooLarge prepares the 413 of a body over the limit so that the client
// can read it: a client that is still sending when the server closes the
// connection gets a reset instead of the answer. So the rest of the body is
// read and discarded, up to drainFactor × the limit, and the answer closes
// the connection (Connection: close) once it is written. A body declared
// longer than that is not read at all (its connection is cut), nor is
// one whose client waits for "100 Continue" (it never sends it).
func (a *API) tooLarge(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Connection", "close")
	drain := drainFactor * a.maxBody
	waiting := strings.EqualFold(r.Header.Get("Expect"), "100-continue")
	if !waiting && r.ContentLength <= drain {
		_, _ = io.CopyN(io.Discard, r.Body, drain)
	}
	return errTooLarge()
}

// checkInput refuses, before any route runs, what no route accepts: a NUL
// byte or invalid UTF-8 in the path, a query parameter's name or value;
// a fields parameter of more than MaxFields names; a limit over the
// maximum ([Config.MaxLimit]).
func (a *API) checkInput(r *http.Request) error {
	if reason := text.Problem(r.URL.Path); reason != "" {
		return invalidData("Invalid request: the path %s", reason)
	}
	q := r.URL.Query()
	keys := slices.Sorted(maps.Keys(q))
	for _, k := range keys {
		if reason := text.Problem(k); reason != "" {
			return invalidData("Invalid request: a query parameter name %s", reason)
		}
		for _, v := range q[k] {
			if reason := text.Problem(v); reason != "" {
				return invalidData("Invalid request: Field '%s' %s", k, reason)
			}
		}
	}
	for _, v := range q["fields"] {
		if countFields(v, MaxFields) > MaxFields {
			return invalidData("Invalid request: Field 'fields' must have at most %d names", MaxFields)
		}
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > a.maxLimit {
		return invalidData("Invalid request: Number must be less than or equal to %d for field 'limit'", a.maxLimit)
	}
	return nil
}

// decode reads and validates a strict body against fields, with Medusa's
// (zod's) messages: unknown keys, required fields and wrong types, the
// first three issues joined by "; ".
func (a *API) decode(w http.ResponseWriter, r *http.Request, fields ...field) (body, error) {
	raw, err := a.readJSON(w, r)
	if err != nil {
		return nil, err
	}
	return validate(raw, fields)
}

func validate(raw map[string]any, fields []field) (body, error) {
	out := body{}
	var issues []string
	var unknown []string
	for k := range raw {
		if !slices.ContainsFunc(fields, func(f field) bool { return f.name == k }) {
			unknown = append(unknown, k)
		}
	}
	for _, f := range fields {
		v, ok := raw[f.name]
		if !ok {
			if f.required {
				issues = append(issues, fmt.Sprintf("Field '%s' is required", f.name))
			}
			continue
		}
		cv, msg := convert(f, v)
		if msg != "" {
			issues = append(issues, msg)
			continue
		}
		out[f.name] = cv
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		issues = append(issues, fmt.Sprintf("Unrecognized fields: '%s'", strings.Join(unknown, ", ")))
	}
	if len(issues) > 0 {
		if len(issues) > 3 {
			issues = issues[:3]
		}
		return nil, invalidData("Invalid request: %s", strings.Join(issues, "; "))
	}
	return out, nil
}

func convert(f field, v any) (any, string) {
	wrong := func() (any, string) {
		return nil, fmt.Sprintf("Expected type: '%s' for field '%s', got: '%s'", f.kind, f.name, received(v))
	}
	switch f.kind {
	case kAny:
		return v, ""
	case kString:
		if v == nil {
			if f.required || f.notNull {
				return wrong()
			}
			return nil, ""
		}
		s, ok := v.(string)
		if !ok {
			return wrong()
		}
		if f.email && !looksLikeEmail(s) {
			return nil, "Invalid email"
		}
		return s, ""
	case kBool:
		b, ok := v.(bool)
		if !ok {
			return wrong()
		}
		return b, ""
	case kRecord:
		if v == nil {
			return nil, ""
		}
		m, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		return numbersOut(m).(map[string]any), ""
	case kStrings:
		arr, ok := v.([]any)
		if !ok {
			return wrong()
		}
		out := make([]string, 0, len(arr))
		for i, e := range arr {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Sprintf("Expected type: 'string' for field '%s, %d', got: '%s'", f.name, i, received(e))
			}
			out = append(out, s)
		}
		return out, ""
	}
	return wrong()
}

// numbersOut turns json.Numbers into float64 (or int64 when integral), so
// metadata round-trips as plain JSON values.
func numbersOut(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = numbersOut(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = numbersOut(e)
		}
		return t
	}
	return v
}

// received renders a JSON value as zod's messages quote it.
func received(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprint(v)
}

func looksLikeEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n") && strings.Contains(s[at:], ".")
}
