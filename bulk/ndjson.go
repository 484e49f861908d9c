package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/clientele/clientele/store"
)

// MaxLineBytes is the longest line DecodeNDJSON decodes; a longer line is
// a bad record.
const MaxLineBytes = 1 << 20

// DecodeNDJSON returns a Source of the JSON objects in r, one per line
// (NDJSON, also known as JSON Lines), each decoded into a T and numbered
// with its line.
//
// The format: UTF-8 text, lines ended by "\n" or "\r\n" (the last one may
// have no end), an optional byte order mark at the start. Every line that
// is not blank holds exactly one JSON object; blank lines are skipped
// (they are not records, but they count in the line numbers). Fields are
// those of T's JSON names; a field T does not have is an error, so that
// nothing of the source is silently dropped.
//
// A line that does not decode (not JSON, not an object, a field of the
// wrong type, an unknown field, more than MaxLineBytes) is a record with
// Err set, a *store.ValidationError naming the field when there is one;
// the import reports it and goes on reading. An error of r itself ends
// the source with that error.
func DecodeNDJSON[T any](r io.Reader) Source[T] {
	return func(yield func(Record[T], error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		var long []byte // a line longer than br's buffer, gathered
		line := 0
		for {
			chunk, err := br.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				if len(long) <= MaxLineBytes {
					long = append(long, chunk...)
				}
				continue
			}
			if err != nil && !errors.Is(err, io.EOF) {
				yield(Record[T]{Line: line + 1}, fmt.Errorf("bulk: read line %d: %w", line+1, err))
				return
			}
			if len(chunk) == 0 && long == nil && err != nil {
				return // end of input after a line end
			}
			line++
			text := chunk
			if long != nil {
				text = append(long, chunk...)
				long = nil
			}
			if line == 1 {
				text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
			}
			text = bytes.TrimRight(text, "\r\n")
			if len(bytes.TrimSpace(text)) > 0 {
				rec := Record[T]{Line: line}
				if len(text) > MaxLineBytes {
					rec.Err = &store.ValidationError{Reason: fmt.Sprintf("line is longer than %d bytes", MaxLineBytes), Err: store.ErrInvalid}
				} else {
					rec.Err = decodeLine(text, &rec.Value)
				}
				if !yield(rec, nil) {
					return
				}
			}
			if err != nil { // io.EOF after a last line without its end
				return
			}
		}
	}
}

// decodeLine decodes one JSON object, and nothing else, into v.
func decodeLine(text []byte, v any) error {
	if t := bytes.TrimSpace(text); len(t) == 0 || t[0] != '{' {
		return &store.ValidationError{Reason: "line is not a JSON object", Err: store.ErrInvalid}
	}
	d := json.NewDecoder(bytes.NewReader(text))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return &store.ValidationError{Reason: "line holds more than one JSON value", Err: store.ErrInvalid}
	}
	return nil
}

// jsonError turns an error of encoding/json into a validation error that
// names the field in the format's names and not the Go types.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return &store.ValidationError{Field: te.Field, Reason: fmt.Sprintf("must be %s, not a JSON %s", jsonKind(te.Type), te.Value), Err: store.ErrInvalid}
	case errors.As(err, &se):
		return &store.ValidationError{Reason: fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: ")), Err: store.ErrInvalid}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &store.ValidationError{Reason: "invalid JSON: unexpected end of line", Err: store.ErrInvalid}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return &store.ValidationError{Field: strings.Trim(name, `"`), Reason: "is not a field of the format", Err: store.ErrInvalid}
	}
	return &store.ValidationError{Reason: "invalid JSON: " + msg, Err: store.ErrInvalid}
}

// jsonKind names the JSON value that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another value"
}
