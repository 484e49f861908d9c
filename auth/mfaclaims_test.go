package auth_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
)

func TestISOTimeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in, out string
	}{
		{`"2026-01-02T15:04:05.123456Z"`, `"2026-01-02T15:04:05.123Z"`},
		{`"2026-01-02T16:04:05+01:00"`, `"2026-01-02T15:04:05.000Z"`},
		{`"0001-01-01T01:00:00+01:00"`, `"0001-01-01T00:00:00.000Z"`},
		{`"9999-12-31T23:59:59.999Z"`, `"9999-12-31T23:59:59.999Z"`},
	} {
		var v auth.ISOTime
		if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
			t.Fatalf("Unmarshal(%s) = %v", tc.in, err)
		}
		b, err := json.Marshal(v)
		if err != nil || string(b) != tc.out {
			t.Fatalf("Marshal(Unmarshal(%s)) = %s, %v; want %s", tc.in, b, err, tc.out)
		}
	}
}

// A time whose UTC year falls outside 0001–9999 is refused both ways: its
// toISOString form could not be read back.
func TestISOTimeOutOfRange(t *testing.T) {
	for _, in := range []string{
		`"0000-01-01T00:00:00,000000000+01:00"`,
		`"0000-01-01T00:00:00+01:00"`,
		`"0000-06-01T00:00:00Z"`,
		`"9999-12-31T23:30:00-01:00"`,
		`"not a time"`,
		`12`,
	} {
		var v auth.ISOTime
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Fatalf("Unmarshal(%s) accepted %v", in, v.Time)
		}
	}
	for _, tm := range []time.Time{
		time.Date(0, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if b, err := json.Marshal(auth.ISOTime{Time: tm}); err == nil {
			t.Fatalf("Marshal(%v) = %s, want an error", tm, b)
		}
	}
}
