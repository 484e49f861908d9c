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
		{"+phone,-first_name", "id,email,phone", "addresses"},
		{"*groups", "id,email,first_name", "addresses,groups"},
		{"groups.*,-*addresses", "id,email,first_name", "groups"},
		{"-addresses", "id,email,first_name", ""},
	}
	for _, tc := range tests {
		s := parseFields(tc.raw, defaults, []string{"addresses"}, rels)
		if strings.Join(s.keys, ",") != tc.keys || strings.Join(s.rels, ",") != tc.rels {
			t.Errorf("%q: keys %v rels %v", tc.raw, s.keys, s.rels)
		}
	}
}
