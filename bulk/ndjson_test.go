package bulk_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/store"
)

type person struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

// decoded is one record as a test sees it.
type decoded struct {
	Line  int
	Value person
	Field string // of a bad line's validation error
	Bad   bool
}

func decodeAll(t *testing.T, r io.Reader) ([]decoded, error) {
	t.Helper()
	var out []decoded
	for rec, err := range bulk.DecodeNDJSON[person](r) {
		if err != nil {
			return out, err
		}
		d := decoded{Line: rec.Line, Value: rec.Value}
		if rec.Err != nil {
			d.Bad = true
			ve, ok := errors.AsType[*store.ValidationError](rec.Err)
			if !ok || !errors.Is(rec.Err, store.ErrInvalid) || ve.Reason == "" {
				t.Fatalf("line %d: error %v is not a validation error", rec.Line, rec.Err)
			}
			d.Field = ve.Field
			d.Value = person{}
		}
		out = append(out, d)
	}
	return out, nil
}

func TestDecodeNDJSON(t *testing.T) {
	long := `{"name": "` + strings.Repeat("a", 100_000) + `"}`
	tests := []struct {
		name  string
		input string
		want  []decoded
	}{
		{"Empty", "", nil},
		{"OneLineNoEnd", `{"name": "a", "age": 1}`, []decoded{{Line: 1, Value: person{"a", 1}}}},
		{"BlankLinesCount", "\n{\"name\": \"a\"}\n  \n\t\n{\"name\": \"b\"}\n", []decoded{
			{Line: 2, Value: person{Name: "a"}}, {Line: 5, Value: person{Name: "b"}},
		}},
		{"CRLFAndBOM", "\xef\xbb\xbf{\"name\": \"a\"}\r\n{\"name\": \"b\"}\r\n", []decoded{
			{Line: 1, Value: person{Name: "a"}}, {Line: 2, Value: person{Name: "b"}},
		}},
		{"LongLine", long + "\n{\"age\": 2}", []decoded{
			{Line: 1, Value: person{Name: strings.Repeat("a", 100_000)}}, {Line: 2, Value: person{Age: 2}},
		}},
		{"TooLong", `{"name": "` + strings.Repeat("a", bulk.MaxLineBytes) + "\"}\n{\"age\": 3}\n", []decoded{
			{Line: 1, Bad: true}, {Line: 2, Value: person{Age: 3}},
		}},
		{"BadLines", strings.Join([]string{
			`{"name": "a"`,      // cut short
			`{"name": 5}`,       // wrong type
			`{"nick": "x"}`,     // unknown field
			`[1, 2]`,            // not an object
			`"text"`,            // not an object
			`{"name": "a"} {}`,  // two values
			`{"name": "a"} xyz`, // trailing garbage
			`{"age": 4}`,
		}, "\n"), []decoded{
			{Line: 1, Bad: true}, {Line: 2, Bad: true, Field: "name"}, {Line: 3, Bad: true, Field: "nick"},
			{Line: 4, Bad: true}, {Line: 5, Bad: true}, {Line: 6, Bad: true}, {Line: 7, Bad: true},
			{Line: 8, Value: person{Age: 4}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time too, so that lines span the reader's reads.
			for _, r := range []io.Reader{strings.NewReader(tc.input), iotest.OneByteReader(strings.NewReader(tc.input))} {
				got, err := decodeAll(t, r)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Fatalf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDecodeNDJSONReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("{\"age\": 1}\n{\"age\": 2}\n{\"ag"), iotest.ErrReader(boom))
	got, err := decodeAll(t, r)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the reader's", err)
	}
	if len(got) != 2 {
		t.Fatalf("records before the error: %v", got)
	}
}

func TestDecodeNDJSONStopsEarly(t *testing.T) {
	n := 0
	for range bulk.DecodeNDJSON[person](strings.NewReader("{}\n{}\n{}\n")) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("%d records", n)
	}
}

func TestRecords(t *testing.T) {
	var lines []int
	for rec, err := range bulk.Records([]string{"a", "b", "c"}) {
		if err != nil || rec.Err != nil {
			t.Fatal(err, rec.Err)
		}
		lines = append(lines, rec.Line)
		if rec.Value == "b" {
			break
		}
	}
	if diff := cmp.Diff([]int{1, 2}, lines); diff != "" {
		t.Fatal(diff)
	}
}

func TestOptionsCheck(t *testing.T) {
	for size, ok := range map[int]bool{-1: false, 0: true, 1: true, bulk.MaxBatchSize: true, bulk.MaxBatchSize + 1: false} {
		if err := (bulk.Options{BatchSize: size}).Check(); (err == nil) != ok {
			t.Errorf("batch size %d: %v", size, err)
		}
	}
}

func TestErrors(t *testing.T) {
	re := bulk.RowError{Line: 7, Field: "email", Reason: "is not an email address", Err: store.ErrInvalid}
	if re.Error() != "line 7: email: is not an email address" || !errors.Is(re, store.ErrInvalid) {
		t.Fatalf("%v", re)
	}
	var err error = &bulk.RejectedError{Count: 3, First: re}
	if !errors.Is(err, bulk.ErrRejected) || err.Error() != "bulk: 3 records rejected; first: line 7: email: is not an email address" {
		t.Fatalf("%v", err)
	}
	dup := &bulk.DuplicateError{Field: "email", Value: "a@b.c", FirstLine: 2, Err: store.ErrConflict}
	if dup.Error() != `email "a@b.c" is also on line 2` || !errors.Is(dup, store.ErrConflict) {
		t.Fatalf("%v", dup)
	}
}

func ExampleDecodeNDJSON() {
	src := bulk.DecodeNDJSON[person](strings.NewReader(`{"name": "Ada", "age": 36}

{"name": "Grace", "age": "old"}
`))
	for rec, err := range src {
		if err != nil {
			fmt.Println("read:", err)
			return
		}
		if rec.Err != nil {
			fmt.Printf("line %d: %v\n", rec.Line, rec.Err)
			continue
		}
		fmt.Printf("line %d: %+v\n", rec.Line, rec.Value)
	}
	// Output:
	// line 1: {Name:Ada Age:36}
	// line 3: invalid age: must be a number, not a JSON string
}
