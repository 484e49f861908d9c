package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
)

// encodingJSON is what writeJSON wrote before appendJSON: encoding/json's
// Encoder, HTML escaping on, with its newline.
func encodingJSON(t testing.TB, v any) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(v)
	return buf.Bytes(), err
}

// TestAppendJSONMatchesEncodingJSON: appendJSON writes every value as
// encoding/json does, byte for byte, and fails where it fails.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890123000, time.UTC)
	zone := time.FixedZone("", -(3*3600 + 30*60))
	tests := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"string", "ada@example.com"},
		{"empty string", ""},
		{"html", `<script>alert("x&y")</script>`},
		{"controls", "a\x00b\tc\nd\x1f"},
		{"backslash and quote", `C:\path "quoted"`},
		{"unicode", "Müller Ørsted 東京 🙂"},
		{"line separators", "a\u2028b\u2029c"},
		{"invalid utf-8", "a\xffb\xc3"},
		{"delete char", "a\x7fb"},
		{"bools", []any{true, false}},
		{"ints", []any{0, -1, math.MaxInt64, int64(math.MinInt64)}},
		{"floats", []any{0.0, math.Copysign(0, -1), 1.5, -2.25, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.125, 1e-300, -1e300, 0.1}},
		{"nan", math.NaN()},
		{"inf", []any{math.Inf(1)}},
		{"times", []any{at, at.In(zone), time.Time{}, at.Truncate(time.Second)}},
		{"time out of range", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"negative year", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"nil map", map[string]any(nil)},
		{"nil slice", []any(nil)},
		{"empty", []any{map[string]any{}, []any{}}},
		{"map", map[string]any{"z": 1, "a": "x", "<k>": nil, "é": true, "": []any{}, "A": at, "a\u2028": 2.5}},
		{"many keys", func() map[string]any {
			m := map[string]any{}
			for _, k := range []string{"id", "company_name", "first_name", "last_name", "email", "phone", "has_account", "metadata", "created_by", "created_at", "updated_at", "deleted_at", "addresses", "groups", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"} {
				m[k] = k
			}
			return m
		}()},
		{"nested", map[string]any{"customers": []any{map[string]any{"metadata": map[string]any{"tier": 1.0, "tags": []any{"a", nil}}}}, "count": 1}},
		{"other types", []any{[]string{"a", "<b>"}, map[string]string{"k": "v"}, &auth.Claims{ActorID: "cus_1"}, uint8(7), float32(0.1), json.RawMessage(` {"a" : 1} `), &at}},
		{"unsupported", map[string]any{"ch": make(chan int)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := encodingJSON(t, tt.v)
			got, err := appendJSON(nil, tt.v)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, encoding/json's %v", err, wantErr)
			}
			if err != nil {
				return
			}
			got = append(got, '\n')
			if !bytes.Equal(got, want) {
				t.Errorf("appendJSON:    %s\nencoding/json: %s", got, want)
			}
		})
	}
}

// FuzzAppendJSON compares appendJSON with encoding/json on strings (as
// values and as keys) and floats.
func FuzzAppendJSON(f *testing.F) {
	f.Add("ada", 1.5)
	f.Add("<&>\u2028\xff\x00", 1e-7)
	f.Add("Zoë", 1e21)
	f.Fuzz(func(t *testing.T, s string, x float64) {
		v := map[string]any{s: s, "x": x, "list": []any{s, x}}
		want, wantErr := encodingJSON(t, v)
		got, err := appendJSON(nil, v)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, encoding/json's %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(append(got, '\n'), want) {
			t.Errorf("appendJSON:    %s\nencoding/json: %s", got, want)
		}
	})
}

// TestWriteJSON: the headers, the status, the length of the body, and an
// empty body for a value that cannot be encoded.
func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusCreated, map[string]any{"b": 1, "a": "<x>"})
	want := "{\"a\":\"\\u003cx\\u003e\",\"b\":1}\n"
	if rec.Code != http.StatusCreated || rec.Body.String() != want {
		t.Errorf("got %d %q, want 201 %q", rec.Code, rec.Body, want)
	}
	for k, v := range map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff", "Content-Length": strconv.Itoa(len(want))} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	rec = httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, map[string]any{"x": math.Inf(1)})
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "" {
		t.Errorf("unencodable value: got %d %q, Content-Length %q", rec.Code, rec.Body, rec.Header().Get("Content-Length"))
	}
}

// BenchmarkWriteJSON compares the ways of rendering and encoding the page
// GET /admin/customers answers for twenty customers: customersJSON through
// appendJSON (what the route does), and renderCustomer's maps through
// appendJSON and through encoding/json (what it did).
func BenchmarkWriteJSON(b *testing.B) {
	c := benchCustomer(0)
	c.Metadata = map[string]any{"tier": "gold", "visits": 12.0}
	sel := parseFields("", adminCustomerFields, nil, customerRelations)
	customers := make([]*customer.Customer, 20)
	for i := range customers {
		customers[i] = c
	}
	pageOf := func(list any) map[string]any {
		return map[string]any{"customers": list, "count": 10000, "offset": 0, "limit": 20}
	}
	maps := func() map[string]any {
		out := make([]any, len(customers))
		for i, c := range customers {
			out[i] = renderCustomer(c, sel)
		}
		return pageOf(out)
	}
	var buf []byte
	var enc bytes.Buffer
	for _, bm := range []struct {
		name string
		run  func() error
	}{
		{"customersJSON", func() (err error) { buf, err = appendJSON(buf[:0], pageOf(customersJSON{customers, sel})); return err }},
		{"maps-appendJSON", func() (err error) { buf, err = appendJSON(buf[:0], maps()); return err }},
		{"maps-encoding-json", func() error { enc.Reset(); return json.NewEncoder(&enc).Encode(maps()) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bm.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
