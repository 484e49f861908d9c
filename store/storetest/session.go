package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

// sessionStore returns the store as a session.Store; a backend without
// one (it is optional) skips these tests, saying so.
func (e *env) sessionStore() session.Store {
	e.t.Helper()
	ss, ok := e.st.(session.Store)
	if !ok {
		e.t.Skip("the backend implements no session.Store (optional)")
	}
	return ss
}

var sessionTests = []test{
	{"Sessions/DeleteSessionsOf", func(e *env) {
		ss := e.sessionStore()
		putSessions(e, ss)
		e.must(ss.DeleteSessionsOf(e.ctx, "authid_a"))
		for _, id := range []string{"a1", "a2"} {
			_, err := ss.GetSession(e.ctx, id, time.Now())
			e.wantErr(err, session.ErrNotFound)
		}
		_, err := ss.GetSession(e.ctx, "b1", time.Now())
		e.must(err)
	}},
	{"Sessions/DeleteSessionsOfActorTypes", func(e *env) {
		ss := e.sessionStore()
		exp := time.Now().Add(time.Hour)
		for _, s := range []*session.Session{
			{ID: "c", AuthIdentityID: "authid_a", ActorType: "customer", ExpiresAt: exp},
			{ID: "u", AuthIdentityID: "authid_a", ActorType: "user", ExpiresAt: exp},
			{ID: "v", AuthIdentityID: "authid_a", ActorType: "vendor", ExpiresAt: exp},
			{ID: "other", AuthIdentityID: "authid_b", ActorType: "customer", ExpiresAt: exp},
		} {
			e.must(ss.PutSession(e.ctx, s))
		}
		e.must(ss.DeleteSessionsOf(e.ctx, "authid_a", "customer", "vendor"))
		for id, want := range map[string]bool{"c": false, "u": true, "v": false, "other": true} {
			_, err := ss.GetSession(e.ctx, id, time.Now())
			if got := err == nil; got != want {
				e.t.Fatalf("session %s live = %v, want %v (err %v)", id, got, want, err)
			}
		}
	}},
	{"Sessions/DeleteSessionsOfUndoneWithUnit", func(e *env) {
		ss := e.sessionStore()
		putSessions(e, ss)
		boom := errors.New("boom")
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			if err := ss.DeleteSessionsOf(ctx, "authid_a"); err != nil {
				return err
			}
			// The unit sees its own delete.
			if _, err := ss.GetSession(ctx, "a1", time.Now()); !errors.Is(err, session.ErrNotFound) {
				return fmt.Errorf("inside the unit: %v, want session.ErrNotFound", err)
			}
			return boom
		})
		e.wantErr(err, boom)
		for _, id := range []string{"a1", "a2", "b1"} {
			_, err := ss.GetSession(e.ctx, id, time.Now())
			e.must(err)
		}
	}},
	{"Sessions/DeleteSessionsOfCommittedWithUnit", func(e *env) {
		ss := e.sessionStore()
		putSessions(e, ss)
		e.must(e.st.InTx(e.ctx, func(ctx context.Context) error {
			return ss.DeleteSessionsOf(ctx, "authid_a")
		}))
		for _, id := range []string{"a1", "a2"} {
			_, err := ss.GetSession(e.ctx, id, time.Now())
			e.wantErr(err, session.ErrNotFound, store.ErrNotFound)
		}
		_, err := ss.GetSession(e.ctx, "b1", time.Now())
		e.must(err)
	}},
	{"Sessions/RoundTrip", func(e *env) { sessionRoundTrip(e.t, e.sessionStore()) }},
	{"Sessions/UndoneWithUnit", func(e *env) {
		ss := e.sessionStore()
		boom := errors.New("boom")
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			if err := ss.PutSession(ctx, &session.Session{ID: "h", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				return err
			}
			return boom
		})
		e.wantErr(err, boom)
		_, err = ss.GetSession(e.ctx, "h", time.Now())
		e.wantErr(err, session.ErrNotFound)
	}},
}

// putSessions stores a1 and a2 of authid_a and b1 of authid_b.
func putSessions(e *env, ss session.Store) {
	e.t.Helper()
	exp := time.Now().Add(time.Hour)
	for _, s := range []*session.Session{{ID: "a1", AuthIdentityID: "authid_a", ExpiresAt: exp}, {ID: "a2", AuthIdentityID: "authid_a", ExpiresAt: exp}, {ID: "b1", AuthIdentityID: "authid_b", ExpiresAt: exp}} {
		e.must(ss.PutSession(e.ctx, s))
	}
}

func sessionRoundTrip(t *testing.T, st session.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	s := &session.Session{
		ID: "hash-1", AuthIdentityID: "authid_1", ActorType: "customer", ActorID: "cus_1",
		Claims: auth.Claims{ActorID: "cus_1", ActorType: "customer", AuthIdentityID: "authid_1",
			AppMetadata: map[string]any{"customer_id": "cus_1"}, UserMetadata: map[string]any{},
			MFAEnabled: true, MFAChallengeCompletedAt: &auth.ISOTime{Time: now.Truncate(time.Millisecond)}},
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if err := st.PutSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetSession(ctx, "hash-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if got.ActorID != "cus_1" || got.Claims.AppMetadata["customer_id"] != "cus_1" || !got.ExpiresAt.Equal(s.ExpiresAt) || got.AuthIdentityID != "authid_1" {
		t.Fatalf("got %+v", got)
	}
	// The MFA claims a session is opened with are kept.
	if c := got.Claims; !c.MFAEnabled || c.MFAChallengeCompletedAt == nil || !c.MFAChallengeCompletedAt.Equal(now.Truncate(time.Millisecond)) {
		t.Fatalf("MFA claims %+v", c)
	}
	got.Claims.AppMetadata["customer_id"] = "changed"
	if again, _ := st.GetSession(ctx, "hash-1", now); again.Claims.AppMetadata["customer_id"] != "cus_1" {
		t.Fatal("the store shares its session with callers")
	}
	if _, err := st.GetSession(ctx, "hash-1", now.Add(2*time.Hour)); !errors.Is(err, session.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := st.GetSession(ctx, "nope", now); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := st.DeleteSession(ctx, "hash-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSession(ctx, "hash-1", now); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := st.DeleteSession(ctx, "hash-1"); err != nil {
		t.Fatalf("deleting a missing session: %v", err)
	}
	if err := st.PutSession(ctx, &session.Session{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty id: %v", err)
	}
}
