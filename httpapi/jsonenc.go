package httpapi

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The answers are maps and slices of the few types the renderers produce
// (render.go). appendJSON writes them as encoding/json does, byte for
// byte (keys sorted, HTML characters escaped, times in RFC 3339 with
// nanoseconds), without reflection: for a page of twenty customers'
// maps, about a fifth of the time encoding/json takes, and no allocation
// where it makes 649. Values that write themselves (jsonAppender, such as
// customersJSON) do. Any other type, and any value it does not write the
// same way on its own (a float in exponent form, a string to escape),
// goes through encoding/json.

// appendJSON appends the JSON encoding of v to b.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		// encoding/json writes floats in this range, and zero, as 'f'.
		if a := math.Abs(v); a == 0 || (a >= 1e-6 && a < 1e21) {
			return strconv.AppendFloat(b, v, 'f', -1, 64), nil
		}
	case time.Time:
		if y := v.Year(); y >= 0 && y <= 9999 {
			b = append(b, '"')
			b = v.AppendFormat(b, time.RFC3339Nano)
			return append(b, '"'), nil
		}
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendJSONObject(b, v)
	case jsonAppender:
		return v.appendJSON(b)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	raw, err := json.Marshal(v)
	return append(b, raw...), err
}

// appendJSONObject appends m with its keys in order.
func appendJSONObject(b []byte, m map[string]any) ([]byte, error) {
	var keysBuf [24]string
	keys := keysBuf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSONString(b, k); err != nil {
			return b, err
		}
		b = append(b, ':')
		if b, err = appendJSON(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONString appends s quoted. A string that needs no escape is
// copied; others go through encoding/json.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return appendMarshaled(b, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return appendMarshaled(b, s)
		}
		i += size
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

func appendMarshaled(b []byte, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	return append(b, raw...), err
}

// jsonBuffers holds the buffers of writeJSON.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledJSON is the largest buffer writeJSON returns to the pool, so
// that one large answer does not pin its memory.
const maxPooledJSON = 64 << 10
