package storetest

import (
	"time"

	"github.com/clientele/clientele/session"
)

var sessionListTests = []test{
	{"Sessions/ListSessionsOf", func(e *env) {
		ss := e.sessionStore()
		sl, ok := ss.(session.Lister)
		if !ok {
			e.t.Skip("the session store implements no session.Lister (optional)")
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, s := range []*session.Session{
			{ID: "a2", AuthIdentityID: "authid_a", ActorType: "customer", CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)},
			{ID: "a1", AuthIdentityID: "authid_a", ActorType: "customer", CreatedAt: now.Add(-2 * time.Minute), ExpiresAt: now.Add(time.Hour)},
			{ID: "a3", AuthIdentityID: "authid_a", CreatedAt: now.Add(-3 * time.Minute), ExpiresAt: now.Add(-time.Second)},
			{ID: "a4", AuthIdentityID: "authid_a", CreatedAt: now, ExpiresAt: now.Add(time.Hour), IdleExpiresAt: now.Add(-time.Second)},
			{ID: "b1", AuthIdentityID: "authid_b", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		} {
			e.must(ss.PutSession(e.ctx, s))
		}
		got, err := sl.ListSessionsOf(e.ctx, "authid_a", now)
		e.must(err)
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		e.same([]string{"a1", "a2"}, ids)
		e.same("customer", got[0].ActorType)
		none, err := sl.ListSessionsOf(e.ctx, "authid_none", now)
		e.must(err)
		e.same(0, len(none))
	}},
}
