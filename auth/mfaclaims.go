package auth

import (
	"encoding/json"
	"errors"
	"time"
)

// ISOTime is a time written in JSON as JavaScript's Date.toISOString
// writes it: UTC, with milliseconds ("2026-01-02T15:04:05.123Z"), the form
// of Medusa's mfa_challenge_completed_at claim. It reads any RFC 3339
// time.
type ISOTime struct{ time.Time }

// isoLayout is toISOString's layout.
const isoLayout = "2006-01-02T15:04:05.000Z"

// MarshalJSON writes t as toISOString does.
func (t ISOTime) MarshalJSON() ([]byte, error) {
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
	t.Time = v.UTC()
	return nil
}
