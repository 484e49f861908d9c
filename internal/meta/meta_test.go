package meta

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/store"
)

func TestNormalize(t *testing.T) {
	got, err := Normalize("metadata", map[string]any{"n": 1, "list": []int{1, 2}, "obj": map[string]int{"a": 1}, "null": nil})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"n": 1.0, "list": []any{1.0, 2.0}, "obj": map[string]any{"a": 1.0}, "null": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	if got, err := Normalize("metadata", nil); got != nil || err != nil {
		t.Fatalf("nil: %v %v", got, err)
	}
	for name, m := range map[string]map[string]any{
		"func":  {"f": func() {}},
		"nan":   {"x": math.Inf(1)},
		"chan":  {"c": make(chan int)},
		"large": {"s": strings.Repeat("x", MaxSize)},
	} {
		_, err := Normalize("metadata", m)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != "metadata" {
			t.Errorf("%s: %v, want a validation error", name, err)
		}
	}
}

func TestMerge(t *testing.T) {
	base := map[string]any{"foo": "bar", "bar": "bar", "baz": "baz", "nested": map[string]any{"a": 1.0}}
	got, err := Merge("metadata", base, map[string]any{"foo": "", "bar": "bar2", "baz2": "baz2", "nested": map[string]any{"b": 2.0}, "absent": "", "null": nil})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"bar": "bar2", "baz": "baz", "baz2": "baz2", "nested": map[string]any{"b": 2.0}, "null": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	if base["foo"] != "bar" {
		t.Fatal("Merge changed its base")
	}
	if got, _ := Merge("metadata", base, nil); len(got) != 4 {
		t.Fatal("an empty patch must leave the base")
	}
	if got, _ := Merge("metadata", nil, map[string]any{"a": ""}); len(got) != 0 {
		t.Fatalf("deleting from nothing: %v", got)
	}
}

func TestClone(t *testing.T) {
	m := map[string]any{"a": map[string]any{"b": []any{1.0, map[string]any{"c": "d"}}}}
	c := Clone(m)
	c["a"].(map[string]any)["b"].([]any)[1].(map[string]any)["c"] = "changed"
	if m["a"].(map[string]any)["b"].([]any)[1].(map[string]any)["c"] != "d" {
		t.Fatal("Clone is shallow")
	}
}
