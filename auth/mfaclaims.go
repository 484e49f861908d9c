package auth

import (
	"encoding/json"
	"errors"
	"time"
)

// ISOTime is a time written in JSON as JavaScript's Date.toISOString
// writes it: UTC, with milliseconds ("2026-01-02T15:04:05.123Z"), the form
// of Medusa's mfa_challenge_completed_at claim. It reads any RFC 3339
// time whose UTC form has a four-digit year (0001 to 9999), the range
// toISOString's layout can write back.
type ISOTime struct{ time.Time }

// isoLayout is toISOString's layout.
const isoLayout = "2006-01-02T15:04:05.000Z"

// MarshalJSON writes t as toISOString does.
func (t ISOTime) MarshalJSON() ([]byte, error) {
	if !isoYear(t.Time) {
		return nil, errors.New("auth: a time claim is outside the years 0001 to 9999")
	}
	return json.Marshal(t.UTC().Format(isoLayout))
}

// UnmarshalJSON reads an RFC 3339 string.
func (t *ISOTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("auth: a time claim is not a string")
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return errors.New("auth: a time claim is not an RFC 3339 time")
	}
	if !isoYear(v) {
		// "0000-01-01T00:00:00+01:00" is year -1 in UTC: it would be
		// written back as a time no reader parses.
		return errors.New("auth: a time claim is outside the years 0001 to 9999")
	}
	t.Time = v.UTC()
	return nil
}

// isoYear reports whether t's UTC year has four digits and is not 0.
func isoYear(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}
