package httpapi

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPanicAnswersUnknownError(t *testing.T) {
	logs := &bytes.Buffer{}
	a := &API{log: slog.New(slog.NewTextHandler(logs, nil))}
	h := a.logRequests(a.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom at secret place")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/store/customers/me", nil))
	want := `{"code":"unknown_error","message":"An unknown error occurred.","type":"unknown_error"}`
	if rec.Code != 500 || strings.TrimSpace(rec.Body.String()) != want {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "status=500") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

func TestUnexpectedErrorIs500WithoutDetails(t *testing.T) {
	logs := &bytes.Buffer{}
	a := &API{log: slog.New(slog.NewTextHandler(logs, nil))}
	rec := httptest.NewRecorder()
	a.wrap(func(http.ResponseWriter, *http.Request) error {
		return errors.New("pq: connection refused to 10.0.0.1")
	}).ServeHTTP(rec, httptest.NewRequest("GET", "/admin/customers", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "10.0.0.1") {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "10.0.0.1") {
		t.Fatal("cause not logged")
	}
}

func TestParseFields(t *testing.T) {
	defaults := []string{"id", "email", "first_name"}
	rels := []string{"addresses", "groups"}
	tests := []struct {
		raw        string
		keys, rels string
	}{
		{"", "id,email,first_name", "addresses"},
		{"id,email", "id,email", ""},
		{"email", "id,email", ""},
		{"-id", "id,email,first_name", "addresses"},
		{"+phone,-first_name", "id,email,phone", "addresses"},
		{" phone", "id,email,first_name,phone", "addresses"},
		// A bare name anywhere replaces the defaults; + names stay.
		{"+phone,email", "id,phone,email", ""},
		{"*groups", "id,email,first_name", "addresses,groups"},
		{"groups.*,-*addresses", "id,email,first_name", "groups"},
		{"-addresses", "id,email,first_name", ""},
		// Relation sub-fields, one level deep.
		{"addresses.city", "id", "addresses(city)"},
		{"addresses.city,groups.name,addresses.id", "id", "addresses(city,id),groups(name)"},
		{"+groups.name", "id,email,first_name", "addresses,groups(name)"},
		{"+groups.name,+groups.id,-groups.name", "id,email,first_name", "addresses,groups(id)"},
		{"+groups.name,-groups.name", "id,email,first_name", "addresses"},
		{"+groups.name,-groups", "id,email,first_name", "addresses"},
		// A whole relation wins over its sub-fields; -sub does not cut it.
		{"*groups,groups.name", "id", "groups"},
		{"-addresses.city", "id,email,first_name", "addresses"},
		// Answer nothing: a bare relation name, deeper paths, sub-fields and
		// stars of what is not an allowed relation.
		{"addresses", "id", ""},
		{"groups.customers.email,+email.x,*email,orders.id", "id", ""},
		{"+orders.id,+*orders,-email.x", "id,email,first_name", "addresses"},
	}
	for _, tc := range tests {
		s := parseFields(tc.raw, defaults, []string{"addresses"}, rels)
		var got []string
		for _, r := range s.rels {
			if r.all {
				got = append(got, r.name)
			} else {
				got = append(got, r.name+"("+strings.Join(r.keys, ",")+")")
			}
		}
		if strings.Join(s.keys, ",") != tc.keys || strings.Join(got, ",") != tc.rels {
			t.Errorf("%q: keys %v rels %v, want %s and %s", tc.raw, s.keys, got, tc.keys, tc.rels)
		}
	}
}
