package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
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

func (b body) strings(name string) []string { s, _ := b[name].([]string); return s }

// readJSON reads r's body as a JSON object, limited to the API's maximum.
// An empty body is an empty object.
func (a *API) readJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newError(http.StatusRequestEntityTooLarge, typeInvalidData, "request entity too large")
		}
		return nil, invalidData("Could not read the request body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	// Only JSON is read: a form or text/plain body (which a page on
	// another site can send without a preflight) is refused.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, newError(http.StatusUnsupportedMediaType, typeInvalidData, "Content-Type must be application/json")
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
	return m, nil
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
			if f.required {
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
