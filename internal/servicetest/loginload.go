package servicetest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// The sizes of Load/LoginsAndPasswordChanges.
const (
	loadUsers   = 10   // identities that log in and change their passwords
	loadChanges = 6    // password changes per identity
	loadTags    = 8    // app_metadata keys written into each identity
	loadLogins  = 1000 // logins of the users, right and wrong
	loadWorkers = 1000 // goroutines that send them, one login each, all at once
	loadVictims = 2    // identities that only get wrong passwords
	loadGuesses = 200  // wrong passwords per victim, all at once
	loadFree    = 150  // failures the login rule lets through before the lock
)

// loadRule is the login rule of the load: the defaults' back-off, with
// room for the logins of the users so that only the victims are locked.
// A login reserves its attempt before the password check, so the 100
// logins of a user in flight at once count until they settle: the rule
// lets more than that through.
var loadRule = throttle.Rule{Limit: loadFree, Window: 24 * time.Hour, Backoff: time.Second, MaxBackoff: 15 * time.Minute}

func loadEmail(user int) string             { return fmt.Sprintf("user%d@example.com", user) }
func loadPassword(user, version int) string { return fmt.Sprintf("user %d password %d", user, version) }
func victimEmail(v int) string              { return fmt.Sprintf("victim%d@example.com", v) }

// problems collects what goroutines found wrong; the test reports it
// after they end.
type problems struct {
	mu   sync.Mutex
	list []string
}

func (p *problems) add(format string, args ...any) {
	p.mu.Lock()
	p.list = append(p.list, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

func (e *env) noProblems(p *problems) {
	e.t.Helper()
	if len(p.list) > 0 {
		n := min(len(p.list), 10)
		e.t.Fatalf("%d problems, the first %d:\n%s", len(p.list), n, strings.Join(p.list[:n], "\n"))
	}
}

// waitFor yields until done reaches n.
func waitFor(done *atomic.Int64, n int) {
	for done.Load() < int64(n) {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// hashOf reads the password hash the store holds for an emailpass
// identity; unlike storedPassword it can run outside the test's goroutine.
func (e *env) hashOf(entityID string) (string, error) {
	pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{entityID}, Providers: []string{emailpass.ID}}, store.ListOptions{})
	if err != nil || len(pis) != 1 {
		return "", fmt.Errorf("%d provider identities for %s: %v", len(pis), entityID, err)
	}
	s, _ := pis[0].ProviderMetadata["password"].(string)
	return s, nil
}

// guessAnswers counts the answers of n wrong-password logins on email at
// once through svc: "unauthorized" (a password check) or "limited".
func guessAnswers(e *env, svc *auth.Service, email string, n int, p *problems) map[string]int {
	var mu sync.Mutex
	out := map[string]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := svc.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(email, "a wrong password"))
			kind := ""
			switch {
			case errors.Is(err, throttle.ErrLimited):
				kind = "limited"
			case errors.Is(err, auth.ErrUnauthorized):
				kind = "unauthorized"
			default:
				p.add("a wrong password for %s answered %v", email, err)
				return
			}
			mu.Lock()
			out[kind]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

var loginLoadTests = []test{
	{"Load/LoginsAndPasswordChanges", func(e *env) {
		// 1,000 logins, right and wrong, run beside password changes
		// (ChangePassword and UpdateProvider), logins that rehash and
		// app_metadata writes on the same identities. No update may be
		// lost: a changed password never comes back, every key written
		// stays, the throttle counts every failure once.
		ts, ok := e.st.(throttle.Store)
		if !ok {
			e.t.Skip("the backend implements no throttle.Store (optional)")
		}
		e.clock.set(time.Now().UTC().Truncate(time.Second))
		lim := must(throttle.New(ts, throttle.Config{Now: e.clock.now, Login: loadRule}))(e.t)
		// Two services on one store whose emailpass hashes with other
		// scrypt costs: a right password through one rehashes what the
		// other stored, so rehashes of old hashes run all along.
		svcs := []*auth.Service{
			e.authWith(cheap, auth.WithThrottle(lim)),
			e.authWith(emailpass.Scrypt{LogN: 5, R: 8, P: 1}, auth.WithThrottle(lim)),
		}
		ids := make([]string, loadUsers)
		for u := range loadUsers {
			ids[u] = e.register(loadEmail(u), loadPassword(u, 0)).ID
		}
		for v := range loadVictims {
			e.register(victimEmail(v), "the right password")
		}

		var (
			wg   sync.WaitGroup
			bad  problems
			done atomic.Int64 // logins answered
			// version[u] is the password whose change returned; pending[u]
			// the one being set (equal when no change is under way).
			version, pending [loadUsers]atomic.Int32
			rehashed, busy   atomic.Int64
		)
		for u := range loadUsers {
			wg.Go(func() {
				for k := 1; k <= loadChanges; k++ {
					waitFor(&done, k*loadLogins/(loadChanges+1))
					pending[u].Store(int32(k))
					svc := svcs[k%2]
					var err error
					if k%2 == 1 {
						// A change that met rehashes of its password on
						// every attempt answers a conflict and writes
						// nothing: the user tries again.
						for range 20 {
							_, err = svc.ChangePassword(e.ctx, ids[u], emailpass.ID, loadPassword(u, k-1), loadPassword(u, k))
							if !errors.Is(err, auth.ErrConflict) {
								break
							}
							busy.Add(1)
						}
					} else {
						_, err = svc.UpdateProvider(e.ctx, emailpass.ID, map[string]any{"entity_id": loadEmail(u), "password": loadPassword(u, k)})
					}
					if err != nil {
						bad.add("user %d: change %d: %v", u, k, err)
						return
					}
					version[u].Store(int32(k))
				}
			})
			wg.Go(func() {
				for m := range loadTags {
					waitFor(&done, m*loadLogins/loadTags)
					if _, err := svcs[m%2].SetActor(e.ctx, ids[u], fmt.Sprintf("tag%d", m), fmt.Sprintf("value %d", m)); err != nil {
						bad.add("user %d: tag %d: %v", u, m, err)
					}
				}
			})
		}
		var next atomic.Int64
		for range loadWorkers {
			wg.Go(func() {
				for {
					n := int(next.Add(1)) - 1
					if n >= loadLogins {
						return
					}
					u, svc := n%loadUsers, svcs[(n/loadUsers)%2]
					before := int(version[u].Load())
					// One login in ten of each user is wrong (10 per
					// user, well under loadFree, whatever the changes'
					// timing): every other one of them with the password
					// changed last.
					round := n / loadUsers
					j, pw := before, loadPassword(u, before)
					if round%10 == 9 {
						j, pw = -1, "not the password"
						if round%20 == 19 && before > 0 {
							j, pw = before-1, loadPassword(u, before-1)
						}
					}
					old, _ := e.hashOf(loadEmail(u))
					_, err := svc.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(loadEmail(u), pw))
					raced := int(pending[u].Load()) != before
					switch {
					case err == nil && j != before:
						bad.add("login %d: user %d logged in with password %d after password %d was set", n, u, j, before)
					case err == nil:
						if now, _ := e.hashOf(loadEmail(u)); now != old && !raced {
							rehashed.Add(1)
						}
					case j == before && !raced:
						bad.add("login %d: user %d's password %d, set and not changed since, was refused: %v", n, u, j, err)
					case !errors.Is(err, auth.ErrUnauthorized) || errors.Is(err, throttle.ErrLimited):
						bad.add("login %d: user %d: %v", n, u, err)
					}
					done.Add(1)
				}
			})
		}
		victims := make([]map[string]int, loadVictims)
		for v := range loadVictims {
			wg.Go(func() {
				waitFor(&done, loadLogins/2)
				victims[v] = guessAnswers(e, svcs[v%2], victimEmail(v), loadGuesses, &bad)
			})
		}
		wg.Wait()
		for _, svc := range svcs {
			e.must(svc.Flush(e.ctx))
		}
		e.noProblems(&bad)
		if rehashed.Load() == 0 {
			e.t.Fatal("no login rehashed a password: the load tests nothing of rehashing")
		}
		e.t.Logf("%d logins rehashed; %d password changes were retried after rehashes", rehashed.Load(), busy.Load())

		// However many guesses ran at once, amid the load: the rule's
		// free failures and one more were checked, the rest refused.
		for v, got := range victims {
			want := map[string]int{"unauthorized": loadFree + 1, "limited": loadGuesses - loadFree - 1}
			if got["unauthorized"] != want["unauthorized"] || got["limited"] != want["limited"] {
				e.t.Fatalf("victim %d: answers %v, want %v", v, got, want)
			}
		}
		for u := range loadUsers {
			e.same(int32(loadChanges), version[u].Load())
			// The last password set is the password: it works, the ones
			// before it do not.
			if _, err := svcs[u%2].Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(loadEmail(u), loadPassword(u, loadChanges))); err != nil {
				e.t.Fatalf("user %d: the last password set is refused: %v", u, err)
			}
			e.must(svcs[u%2].Flush(e.ctx))
			for k := range loadChanges {
				if _, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds(loadEmail(u), loadPassword(u, k))); !errors.Is(err, auth.ErrUnauthorized) {
					e.t.Fatalf("user %d: password %d of %d logs in, or fails otherwise: %v", u, k, loadChanges, err)
				}
			}
			// Every app_metadata key written is there.
			a, err := e.auth.RetrieveAuthIdentity(e.ctx, ids[u], store.FindOptions{})
			e.must(err)
			for m := range loadTags {
				if got := a.AppMetadata[fmt.Sprintf("tag%d_id", m)]; got != fmt.Sprintf("value %d", m) {
					e.t.Fatalf("user %d: app_metadata tag%d_id is %v after the load: %v", u, m, got, a.AppMetadata)
				}
			}
			// The success cleared the account's count, and no reservation
			// of the load was left behind: a burst gets the rule's checks.
			got := guessAnswers(e, svcs[u%2], loadEmail(u), loadFree+5, &bad)
			e.noProblems(&bad)
			e.same(map[string]int{"unauthorized": loadFree + 1, "limited": 4}, got)
		}
	}},
}

// gatedHasher is a scrypt hasher whose Hash waits, once armed, until the
// test lets it go: it holds a password change or a rehash between its
// read of the stored hash and its write, while the test changes the
// password under it.
type gatedHasher struct {
	emailpass.Scrypt
	armed   *atomic.Bool
	entered chan struct{}
	release chan struct{}
}

// gatedChange starts a change of the password of identity id from current
// to next through a service whose hasher stops inside the hash of next,
// and returns once it is there, with the channel of the change's answer:
// closing g.release lets it go on.
func (e *env) gatedChange(id, current, next string) (gatedHasher, chan error) {
	g := newGatedHasher(cheap)
	svc := e.authWith(g)
	g.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := svc.ChangePassword(e.ctx, id, emailpass.ID, current, next)
		done <- err
	}()
	e.hashing(g, done)
	return g, done
}

// gatedLogin starts a login with email and password through a service
// whose hasher, h, stops inside its first hash (the rehash of a login
// whose stored hash is not in h's format), and returns once it is there,
// with the channel of the login's answer: closing g.release lets it go on.
func (e *env) gatedLogin(h emailpass.Scrypt, email, password string) (gatedHasher, chan error) {
	g := newGatedHasher(h)
	svc := e.authWith(g)
	g.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := svc.Authenticate(e.ctx, emailpass.ID, creds(email, password))
		done <- err
	}()
	e.hashing(g, done)
	return g, done
}

// hashing waits until the call whose answer done carries is inside g's
// hash; a call that ends before it, or never gets there, fails the test.
func (e *env) hashing(g gatedHasher, done chan error) {
	e.t.Helper()
	select {
	case <-g.entered:
	case err := <-done:
		e.t.Fatalf("the call ended before it hashed: %v", err)
	case <-time.After(time.Minute):
		e.t.Fatal("the call did not reach its hash within a minute")
	}
}

func newGatedHasher(h emailpass.Scrypt) gatedHasher {
	return gatedHasher{Scrypt: h, armed: &atomic.Bool{}, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g gatedHasher) Hash(password []byte) (string, error) {
	if g.armed.CompareAndSwap(true, false) {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Scrypt.Hash(password)
}

var staleWriteTests = []test{
	{"Load/RehashDoesNotUndoAChange", func(e *env) {
		// A login with the old password verifies it, then hashes it again
		// (the stored cost differs from the configured one). A change of
		// password commits meanwhile: the rehash must not put the old
		// password back.
		e.register("ada@example.com", "old password")
		g, done := e.gatedLogin(emailpass.Scrypt{LogN: 5, R: 8, P: 1}, "ada@example.com", "old password")
		_, err := e.auth.UpdateProvider(e.ctx, emailpass.ID, map[string]any{"entity_id": "ada@example.com", "password": "new password"})
		e.must(err)
		close(g.release)
		e.must(<-done) // the login proved the password of its time
		if e.loginWorks("ada@example.com", "old password") || !e.loginWorks("ada@example.com", "new password") {
			t := e.t
			t.Fatal("a rehash of the old password undid the change made while it hashed")
		}
	}},
	{"Load/ChangePasswordDoesNotUndoAReset", func(e *env) {
		// The holder of the old password asks to change it; while the new
		// one hashes, the owner resets the password. The change proved a
		// password that is no longer the identity's: it must fail, and
		// the reset's password stay.
		a := e.register("ada@example.com", "old password")
		g, done := e.gatedChange(a.ID, "old password", "attacker password")
		token := e.requestReset("ada@example.com")
		_, err := e.auth.ResetPassword(e.ctx, auth.ActorCustomer, emailpass.ID, token, map[string]any{"password": "owner password"})
		e.must(err)
		close(g.release)
		e.wantProviderError(<-done, auth.ErrUnauthorized, "Invalid email or password")
		if e.loginWorks("ada@example.com", "attacker password") || !e.loginWorks("ada@example.com", "owner password") {
			e.t.Fatal("a change proved with the old password overwrote the reset made while it hashed")
		}
	}},
	{"Load/ChangePasswordOverARehash", func(e *env) {
		// A login rehashes the current password while a change of it
		// hashes the new one: the change still proves the stored
		// password (the same, rehashed) and succeeds.
		a := e.register("ada@example.com", "old password")
		g, done := e.gatedChange(a.ID, "old password", "new password")
		before := e.storedPassword("ada@example.com")
		_, err := e.authWith(emailpass.Scrypt{LogN: 5, R: 8, P: 1}).Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "old password"))
		e.must(err)
		if e.storedPassword("ada@example.com") == before {
			e.t.Fatal("the login did not rehash")
		}
		close(g.release)
		e.must(<-done)
		if e.loginWorks("ada@example.com", "old password") || !e.loginWorks("ada@example.com", "new password") {
			e.t.Fatal("the change over a rehashed password did not take")
		}
	}},
	{"Load/ConcurrentChangesFromOnePassword", func(e *env) {
		// Two changes that both prove the same current password: the one
		// that writes second proved a password that is gone by then.
		a := e.register("ada@example.com", "old password")
		g, done := e.gatedChange(a.ID, "old password", "second password")
		_, err := e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "old password", "first password")
		e.must(err)
		close(g.release)
		e.wantProviderError(<-done, auth.ErrUnauthorized, "Invalid email or password")
		if !e.loginWorks("ada@example.com", "first password") || e.loginWorks("ada@example.com", "second password") {
			e.t.Fatal("the second change overwrote the first with a password proved before it")
		}
	}},
}
