package httpapi

import (
	"strings"
	"testing"
)

// show renders a parsed query value compactly: "a", [a b], {k:v}.
func show(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case *qsObject:
		parts := make([]string, len(t.keys))
		for i, k := range t.keys {
			parts[i] = k + ":" + show(t.vals[k])
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return "?"
}

func TestParseQueryAsQS(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", "{}"},
		{"a=1", "{a:1}"},
		{"a=1&a=2", "{a:[1 2]}"},
		{"a", "{a:}"},
		{"a=", "{a:}"},
		{"a[]=x", "{a:[x]}"},
		{"a[]=x,y", "{a:[x y]}"},
		{"a=x,y", "{a:x,y}"},
		{"a[0]=x,y", "{a:[x y]}"},
		{"a[0]=x&a[1]=y,z", "{a:[x y,z]}"},
		{"a[1]=y&a[0]=x", "{a:[x y]}"},
		{"a[$ilike]=%25x%25", "{a:{$ilike:%x%}}"},
		{"a%5B%24in%5D%5B0%5D=b", "{a:{$in:[b]}}"},
		{"a[$in][0]=x,y", "{a:{$in:[x,y]}}"},
		{"a[$in][]=x&a[$in][]=y", "{a:{$in:[x y]}}"},
		{"%24or%5B0%5D%5Bemail%5D=x&%24or%5B1%5D%5Bid%5D=y", "{$or:[{email:x} {id:y}]}"},
		{"groups.name=g&groups[id]=i", "{groups:{name:g id:i}}"},
		{"groups.name[0]=g,h", "{groups:{name:[g h]}}"},
		{"a+b=c+d", "{a b:c d}"},
		{"a=%zz", "{a:%zz}"},
		{"a[b]=1&a=2", "{a:{b:1 2:true}}"},
		{"a[b][c][d][e][f][g][h]=1", "{a:{b:{c:{d:{e:{f:{[g][h]:1}}}}}}}"},
		{"a[b=1", "{a[b:1}"},
		{"=x&&b=1", "{b:1}"},
		{"a[22]=x&a[0]=y", "{a:[y x]}"},
	} {
		o, err := parseQuery(tc.raw)
		if err != nil {
			t.Errorf("%q: %v", tc.raw, err)
			continue
		}
		if got := show(o); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.raw, got, tc.want)
		}
	}
	for _, raw := range []string{"a.b.c=1", "a=1&a.b=2", "a.b=2&a=1"} {
		if _, err := parseQuery(raw); err == nil {
			t.Errorf("%q: no error", raw)
		}
	}
}
