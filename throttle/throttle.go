// Package throttle slows down password guessing and request floods: it
// counts failed logins per account and per client address, with an
// exponential back-off for accounts, and caps registrations, password-reset
// requests and token refreshes per client address (and reset requests per
// account, so that nobody floods a victim's inbox).
//
// A [Limiter] keeps its counters in a [Store] (store/memory and
// store/postgres implement it), so that every instance of an application
// on one database shares them. Build one with [New] and give it to both
// layers:
//
//	lim, err := throttle.New(st, throttle.Config{})        // the defaults below
//	authSvc, err := auth.NewService(st, tokens, …, auth.WithThrottle(lim))
//	api, err := httpapi.New(httpapi.Config{…, Throttle: lim, TrustedProxies: proxies})
//
// The auth service applies the per-account rules (logins, registrations
// and reset requests, by provider and identifier), so a Go host calling
// auth.Service.Login directly is protected as well; httpapi applies the
// per-address rules, which need the request.
//
// A login's account is checked by reservation: [Limiter.Login] counts
// the attempt as a failure before the password is checked, in one atomic
// step with the check of the counter that allowed it
// (Store.ThrottleHitIf), so that however many guesses run at once, an
// account gets no more password checks than its rule allows (6 with the
// defaults: 5 free failures and one before the lock). A failure then
// counts nothing more on the account, and a success clears its count.
//
// A login through httpapi costs three store calls: [Limiter.BeginLogin]
// reads the address's and the account's counters in one, and hands the
// account's to the auth service through the context; Login reserves the
// attempt against that counter in one; then a failure counts the
// address's failure in one, and a success clears the account's count in
// one. Concurrent attempts on the account that change its counter in
// between cost Login a read and a reservation more per change; a Login
// that still finds it changed after 8 reservations is refused (for a
// second). A Login without BeginLogin reads the account's counter itself:
// two calls before the password check, and none after a failure.
//
// # Rules and defaults
//
// A zero [Rule] in [Config] takes its default; [Unlimited] turns a rule off.
//
//   - [Config.Login], failed logins per (provider, identifier): the first
//     5 failures are free; each one after them locks the account for a
//     delay that starts at 1 s and doubles (2 s, 4 s, …) up to 15 min,
//     counted from that failure; the count lapses after 24 h without a
//     failure and a successful login clears it. A user who mistypes a few
//     times never notices; a guesser gets about 18 guesses in the first
//     hour and 4 an hour after that (about 100 a day) per account.
//   - [Config.LoginIP], failed logins per client address: 100 per 15 min
//     (a fixed window), enough for an office behind one NAT, and few enough
//     to stop one address from spraying guesses over many accounts. A
//     success does not clear it.
//   - [Config.RegisterIP], registrations per client address: 10 per hour.
//   - [Config.Reset], password-reset requests per (provider, identifier):
//     5 per hour, so at most 5 reset e-mails an hour reach one inbox.
//   - [Config.ResetIP], reset requests per client address: 20 per hour.
//   - [Config.RefreshIP], token refreshes per client address: 60 per minute,
//     one a second for a client that refreshes far more often than its
//     tokens expire.
//
// # Identifiers and keys
//
// Identifiers are counted as given, trimmed and lower-cased, whether or not
// an account has them: a limited unknown email answers exactly as a limited
// known one does. Client addresses are counted per IPv4 address and per
// IPv6 /64 (one subscriber's allocation). The store never sees either in
// the clear: a counter's key is its rule's name and the HMAC-SHA256 of the
// subject under [Config.Secret] (set it to keep the emails of a leaked
// table from being confirmed by dictionary), so the throttle table holds
// no personal data.
//
// # Errors
//
// A refused attempt is a *[LimitError], which matches [ErrLimited] and says
// when to retry; its public message is "Too many attempts. Try again
// later.". httpapi answers it with 429 and a Retry-After header.
//
// # Failures of the store
//
// Checks fail closed: a store error is returned, and the caller refuses the
// attempt as it would on any internal error. A failure that cannot be
// recorded is logged by the auth service, which still answers with the
// failed login.
package throttle

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// ErrLimited is matched (errors.Is) by every *LimitError.
var ErrLimited = errors.New("throttle: too many attempts")

// Message is the public message of a *LimitError.
const Message = "Too many attempts. Try again later."

// LimitError refuses an attempt that a rule does not allow yet.
type LimitError struct {
	// Rule names the rule that refused: "login", "login_ip",
	// "register_ip", "reset", "reset_ip" or "refresh_ip".
	Rule string
	// RetryAfter is how long until the rule allows an attempt again (at
	// least one second).
	RetryAfter time.Duration
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("throttle: too many attempts (%s), retry after %s", e.Rule, e.RetryAfter)
}

// PublicMessage returns Message: it names neither the rule nor the
// account (see store.PublicMessage).
func (e *LimitError) PublicMessage() string { return Message }

// Is reports whether target is ErrLimited.
func (e *LimitError) Is(target error) bool { return target == ErrLimited }

// Rule is one limit.
//
// A counting rule (Backoff zero) allows Limit hits per fixed Window that
// starts at the first hit; the next ones are refused until it ends.
//
// A back-off rule (Backoff set) counts failures, forgotten after Window
// without one: the first Limit are free, and each one after them locks
// the subject for Backoff, doubled for every further failure, up to
// MaxBackoff. The lock counts from the latest failure.
type Rule struct {
	Limit      int
	Window     time.Duration
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Unlimited is a Rule that never refuses (it counts nothing).
var Unlimited = Rule{Limit: -1}

func (r Rule) off() bool { return r.Limit < 0 }

// Config configures a Limiter. Zero rules take their defaults (see the
// package documentation).
type Config struct {
	Login, LoginIP, RegisterIP, Reset, ResetIP, RefreshIP Rule
	// Secret keys the HMAC that turns subjects into store keys.
	Secret []byte
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Defaults.
var (
	DefaultLogin      = Rule{Limit: 5, Window: 24 * time.Hour, Backoff: time.Second, MaxBackoff: 15 * time.Minute}
	DefaultLoginIP    = Rule{Limit: 100, Window: 15 * time.Minute}
	DefaultRegisterIP = Rule{Limit: 10, Window: time.Hour}
	DefaultReset      = Rule{Limit: 5, Window: time.Hour}
	DefaultResetIP    = Rule{Limit: 20, Window: time.Hour}
	DefaultRefreshIP  = Rule{Limit: 60, Window: time.Minute}
)

// Counter is the state of one key in a Store.
type Counter struct {
	// Hits counted since Start.
	Hits int
	// Start is the first hit of the current count.
	Start time.Time
	// Last is the latest hit.
	Last time.Time
	// Expires is when the count lapses.
	Expires time.Time
}

// Window says how a Store's counter lapses: Length after its first hit
// (a fixed window) or, when Sliding, Length after its latest hit.
type Window struct {
	Length  time.Duration
	Sliding bool
}

// Hit is one hit for a Store to count: on Key, by Window.
type Hit struct {
	Key    string
	Window Window
}

// ErrDuplicateKey is matched (errors.Is) by the error of a
// Store.ThrottleHit that names a key twice.
var ErrDuplicateKey = errors.New("throttle: a key is hit twice in one call")

// Store keeps counters. Each method takes several keys, so that one call
// (one round trip to a database) serves a whole login: a single key is a
// call with one. A call with none does nothing. Its calls never join a
// unit of work (store.Transactor): a counted failure stays counted
// whatever happens to the caller's unit. Times are kept at microsecond
// precision.
type Store interface {
	// ThrottleHit counts one hit at now on each key of hits, each by its
	// own Window, and returns the counters after them, in the order of
	// hits. The hits are counted together or not at all, and each key's
	// in one atomic step: of N concurrent hits on a key, each sees a
	// different count and the last sees N more than before. A counter
	// that has lapsed at now (Expires not after now), or none, starts
	// again at 1 with Start now. Expires becomes Start+Length of the
	// key's Window, or now+Length when it is Sliding. A key named twice
	// is an error matching ErrDuplicateKey, and nothing is counted. Each
	// call may also delete some lapsed counters of other keys.
	ThrottleHit(ctx context.Context, now time.Time, hits ...Hit) ([]Counter, error)
	// ThrottleGet returns the counters of keys at now, in their order:
	// the zero Counter for a key that has none or whose counter has
	// lapsed.
	ThrottleGet(ctx context.Context, now time.Time, keys ...string) ([]Counter, error)
	// ThrottleClear deletes the counters of keys; a missing one is not an
	// error.
	ThrottleClear(ctx context.Context, keys ...string) error
	// ThrottleHitIf counts one hit at now on hit.Key, as ThrottleHit does,
	// only if the key's counter at now is still was: the same Hits and
	// Last, or, when was.Hits is zero, no counter or a lapsed one. It
	// returns the counter after the hit and true, or the zero Counter and
	// false when the counter has changed and nothing was counted. The
	// comparison and the hit are one atomic step: of N concurrent calls
	// with the same was, at most one counts.
	ThrottleHitIf(ctx context.Context, now time.Time, hit Hit, was Counter) (Counter, bool, error)
}

// DuplicateHit returns an error matching ErrDuplicateKey when two of hits
// have the same key, else nil: a Store's check of its arguments.
func DuplicateHit(hits []Hit) error {
	if len(hits) > 8 {
		seen := make(map[string]bool, len(hits))
		for _, h := range hits {
			if seen[h.Key] {
				return fmt.Errorf("%w: %q", ErrDuplicateKey, h.Key)
			}
			seen[h.Key] = true
		}
		return nil
	}
	for i := 1; i < len(hits); i++ {
		for _, h := range hits[:i] {
			if h.Key == hits[i].Key {
				return fmt.Errorf("%w: %q", ErrDuplicateKey, h.Key)
			}
		}
	}
	return nil
}

// Limiter applies the rules of a Config to the counters of a Store. A nil
// *Limiter allows everything. It is safe for concurrent use.
type Limiter struct {
	st     Store
	rules  map[string]Rule
	secret []byte
	now    func() time.Time
}

// Rule names.
const (
	ruleLogin      = "login"
	ruleLoginIP    = "login_ip"
	ruleRegisterIP = "register_ip"
	ruleReset      = "reset"
	ruleResetIP    = "reset_ip"
	ruleRefreshIP  = "refresh_ip"
)

// New returns a Limiter on st. It fails when a rule is inconsistent.
func New(st Store, cfg Config) (*Limiter, error) {
	if st == nil {
		return nil, errors.New("throttle: New needs a store")
	}
	l := &Limiter{st: st, rules: map[string]Rule{}, secret: cfg.Secret, now: cfg.Now}
	if l.now == nil {
		l.now = time.Now
	}
	var errs []error
	for _, r := range []struct {
		name     string
		rule     Rule
		def      Rule
		backoff  bool
		fieldSet string
	}{
		{ruleLogin, cfg.Login, DefaultLogin, true, "Login"},
		{ruleLoginIP, cfg.LoginIP, DefaultLoginIP, false, "LoginIP"},
		{ruleRegisterIP, cfg.RegisterIP, DefaultRegisterIP, false, "RegisterIP"},
		{ruleReset, cfg.Reset, DefaultReset, false, "Reset"},
		{ruleResetIP, cfg.ResetIP, DefaultResetIP, false, "ResetIP"},
		{ruleRefreshIP, cfg.RefreshIP, DefaultRefreshIP, false, "RefreshIP"},
	} {
		rule := r.rule
		if rule == (Rule{}) {
			rule = r.def
		}
		if err := rule.check(); err != nil {
			errs = append(errs, fmt.Errorf("throttle: Config.%s: %w", r.fieldSet, err))
		}
		l.rules[r.name] = rule
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return l, nil
}

func (r Rule) check() error {
	switch {
	case r.off():
		return nil
	case r.Limit == 0:
		return errors.New("needs a positive Limit (Unlimited turns a rule off)")
	case r.Window <= 0:
		return errors.New("needs a positive Window")
	case r.Backoff < 0 || r.MaxBackoff < 0:
		return errors.New("needs a Backoff and MaxBackoff of zero or more")
	case r.Backoff > 0 && r.MaxBackoff < r.Backoff:
		return errors.New("needs a MaxBackoff of at least its Backoff")
	case r.Backoff > 0 && r.Window < r.MaxBackoff:
		return errors.New("needs a Window of at least its MaxBackoff, or a lock would outlive its count")
	}
	return nil
}

func (l *Limiter) clock() time.Time { return l.now().UTC().Truncate(time.Microsecond) }

// key is the store key of a subject under a rule: the rule's name and the
// hex HMAC-SHA256 of the subject's parts.
func (l *Limiter) key(rule string, parts ...string) string {
	m := hmac.New(sha256.New, l.secret)
	m.Write([]byte(rule))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return rule + ":" + hex.EncodeToString(m.Sum(nil))
}

// Identifier is how identifiers are counted: trimmed and lower-cased.
func Identifier(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Subnet is how client addresses are counted: an IPv4 address (an
// IPv4-mapped IPv6 address is its IPv4 address), or the /64 of an IPv6
// address. An invalid address is counted as "invalid".
func Subnet(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.Is4():
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}

// delay is the lock of a back-off rule after failures failures (zero
// below the limit).
func (r Rule) delay(failures int) time.Duration {
	if r.Backoff <= 0 || failures <= r.Limit {
		return 0
	}
	n := failures - r.Limit - 1
	if n >= 62 || float64(r.Backoff)*math.Exp2(float64(n)) >= float64(r.MaxBackoff) {
		return r.MaxBackoff
	}
	return r.Backoff << n
}

// refusal returns the *LimitError of a counter under rule at now, or nil
// when the rule allows one more attempt.
func (r Rule) refusal(name string, c Counter, now time.Time) error {
	if r.Backoff > 0 {
		d := r.delay(c.Hits)
		if d == 0 {
			return nil
		}
		return limited(name, c.Last.Add(d), now)
	}
	if c.Hits < r.Limit {
		return nil
	}
	return limited(name, c.Expires, now)
}

// limited returns the *LimitError of a rule that refuses until until, or
// nil when that has passed.
func limited(name string, until, now time.Time) error {
	if !now.Before(until) {
		return nil
	}
	// Whole seconds, rounded up: what Retry-After can say.
	secs := (until.Sub(now) + time.Second - 1) / time.Second
	return &LimitError{Rule: name, RetryAfter: secs * time.Second}
}

func (r Rule) window() Window {
	return Window{Length: r.Window, Sliding: r.Backoff > 0}
}

// hit counts an attempt on key and refuses it when it is over the limit:
// the counter goes on counting refused attempts, which do not extend a
// fixed window.
func (l *Limiter) hit(ctx context.Context, name, key string) error {
	if l == nil {
		return nil
	}
	r := l.rules[name]
	if r.off() {
		return nil
	}
	now := l.clock()
	cs, err := l.st.ThrottleHit(ctx, now, Hit{Key: key, Window: r.window()})
	if err != nil {
		return err
	}
	if cs[0].Hits <= r.Limit {
		return nil
	}
	return limited(name, cs[0].Expires, now)
}

// Attempt is a login attempt a Limiter allowed: report how it ended with
// Fail or Succeed. A nil *Attempt does nothing.
type Attempt struct {
	l    *Limiter
	rule string
	key  string // "" when the rule is off: nothing to count
	// reserved is set when Login counted the attempt as a failure in
	// advance: Fail counts nothing more on key, Succeed clears it.
	reserved bool
	// login is the login this attempt belongs to when BeginLogin began
	// it: the account's and the address's failures are then counted in
	// one store call, and the address's once.
	login *login
}

// login is a login begun by BeginLogin, which its context carries to the
// Limiter's Login.
type login struct {
	l *Limiter
	// account is the key of the account BeginLogin read ahead, with its
	// counter (what Login expects to find when it reserves the attempt);
	// taken is set when a Login has used it.
	account string
	counter Counter
	taken   atomic.Bool
	// addr is the address's attempt ("" key when LoginIP is off);
	// addrFailed is set when the login's address failure is counted.
	addr       *Attempt
	addrFailed atomic.Bool
}

type loginKey struct{}

// reserveTries bounds the reservations Login tries when concurrent
// attempts on the same account keep changing its counter.
const reserveTries = 8

// Login begins a login attempt for identifier with providerID, checking
// the Login rule before the credentials are: a locked account is refused
// (*LimitError) whatever the password. An empty identifier is not
// throttled here.
//
// An allowed attempt is reserved: it is counted as a failure before the
// credentials are checked, in one atomic step with the check of the
// counter it was allowed on (Store.ThrottleHitIf), so that concurrent
// attempts on one account never get more password checks than the rule
// allows. Its Fail then counts nothing more on the account, and its
// Succeed clears the account's failures. An attempt that ends neither
// way stays counted as a failure.
//
// Login reads the account's counter, then reserves the attempt: two store
// calls. In a context from BeginLogin it uses the counter read there,
// when it is this account's (one store call), and the attempt's Fail
// counts the login's address failure.
func (l *Limiter) Login(ctx context.Context, providerID, identifier string) (*Attempt, error) {
	id := Identifier(identifier)
	if l == nil || id == "" {
		return nil, nil
	}
	lg, _ := ctx.Value(loginKey{}).(*login)
	if lg != nil && lg.l != l {
		lg = nil
	}
	a := &Attempt{l: l, rule: ruleLogin, login: lg}
	r := l.rules[ruleLogin]
	if r.off() {
		return a, nil
	}
	a.key = l.key(ruleLogin, providerID, id)
	hit := Hit{Key: a.key, Window: r.window()}
	var c Counter
	read := !(lg != nil && lg.account == a.key && lg.taken.CompareAndSwap(false, true))
	if !read {
		c = lg.counter
	}
	for range reserveTries {
		now := l.clock()
		if read {
			cs, err := l.st.ThrottleGet(ctx, now, a.key)
			if err != nil {
				return nil, err
			}
			c = cs[0]
		}
		if err := r.refusal(ruleLogin, c, now); err != nil {
			return nil, err
		}
		_, ok, err := l.st.ThrottleHitIf(ctx, now, hit, c)
		if err != nil {
			return nil, err
		}
		if ok {
			a.reserved = true
			return a, nil
		}
		read = true // another attempt changed the counter: look again
	}
	// The account is under a burst of attempts: this one waits.
	return nil, &LimitError{Rule: ruleLogin, RetryAfter: time.Second}
}

// LoginFrom begins a login attempt from the client address ip, checking
// the LoginIP rule.
func (l *Limiter) LoginFrom(ctx context.Context, ip netip.Addr) (*Attempt, error) {
	_, a, err := l.BeginLogin(ctx, ip, "", "")
	if a != nil {
		a.login = nil // no account attempt can join it: each Fail counts
	}
	return a, err
}

// BeginLogin begins a login from the client address ip to the account
// identifier with providerID (empty when the login names none), checking
// the LoginIP rule as LoginFrom does and reading the account's counter in
// the same store call. The context it returns carries the login: pass it
// to the Login (or the auth service's Authenticate) that checks the
// account, which then finds the account's counter read already and
// reserves the attempt against it. The account's rule still decides
// there, after whatever comes before it.
//
// When the login fails, the account attempt's Fail counts the address
// failure (the account's was counted by the reservation); the address
// attempt's Fail then counts nothing more, and it counts the address
// failure alone when no account attempt has. Either way a login counts
// at most one address failure.
func (l *Limiter) BeginLogin(ctx context.Context, ip netip.Addr, providerID, identifier string) (context.Context, *Attempt, error) {
	if l == nil {
		return ctx, nil, nil
	}
	lg := &login{l: l}
	a := &Attempt{l: l, rule: ruleLoginIP, login: lg}
	lg.addr = a
	var keys []string
	if !l.rules[ruleLoginIP].off() {
		a.key = l.key(ruleLoginIP, Subnet(ip))
		keys = append(keys, a.key)
	}
	if id := Identifier(identifier); id != "" && !l.rules[ruleLogin].off() {
		lg.account = l.key(ruleLogin, providerID, id)
		keys = append(keys, lg.account)
	}
	if len(keys) > 0 {
		now := l.clock()
		cs, err := l.st.ThrottleGet(ctx, now, keys...)
		if err != nil {
			return ctx, nil, err
		}
		if a.key != "" {
			if err := l.rules[ruleLoginIP].refusal(ruleLoginIP, cs[0], now); err != nil {
				return ctx, nil, err
			}
		}
		if lg.account != "" {
			lg.counter = cs[len(cs)-1]
		}
	}
	return context.WithValue(ctx, loginKey{}, lg), a, nil
}

// Fail counts the attempt as a failure: an account attempt was counted
// when Login reserved it, so it counts nothing more on the account. The
// account attempt of a login that BeginLogin began counts the address
// failure, unless it is counted already.
func (a *Attempt) Fail(ctx context.Context) error {
	if a == nil {
		return nil
	}
	now := a.l.clock()
	hits := make([]Hit, 0, 1)
	if a.key != "" && !a.reserved {
		hits = append(hits, Hit{Key: a.key, Window: a.l.rules[a.rule].window()})
	}
	if lg := a.login; lg != nil {
		addr := lg.addr
		switch {
		case addr.key == "":
		case a == addr:
			if !lg.addrFailed.CompareAndSwap(false, true) {
				return nil // counted with the account's
			}
		case lg.addrFailed.CompareAndSwap(false, true):
			hits = append(hits, Hit{Key: addr.key, Window: a.l.rules[ruleLoginIP].window()})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	_, err := a.l.st.ThrottleHit(ctx, now, hits...)
	return err
}

// Succeed ends the attempt as a success: it clears an account's failures,
// the attempt's reservation with them, in one store call. An address
// attempt's success counts nothing: a success does not clear an
// address's failures.
func (a *Attempt) Succeed(ctx context.Context) error {
	if a == nil || !a.reserved {
		return nil
	}
	return a.l.st.ThrottleClear(ctx, a.key)
}

// RegisterFrom counts a registration from the client address ip and
// refuses it (*LimitError) over the RegisterIP rule.
func (l *Limiter) RegisterFrom(ctx context.Context, ip netip.Addr) error {
	if l == nil {
		return nil
	}
	return l.hit(ctx, ruleRegisterIP, l.key(ruleRegisterIP, Subnet(ip)))
}

// ResetRequest counts a password-reset request for identifier with
// providerID and refuses it (*LimitError) over the Reset rule, whether or
// not an account has that identifier.
func (l *Limiter) ResetRequest(ctx context.Context, providerID, identifier string) error {
	id := Identifier(identifier)
	if l == nil || id == "" {
		return nil
	}
	return l.hit(ctx, ruleReset, l.key(ruleReset, providerID, id))
}

// ResetRequestFrom counts a password-reset request from the client address
// ip and refuses it (*LimitError) over the ResetIP rule.
func (l *Limiter) ResetRequestFrom(ctx context.Context, ip netip.Addr) error {
	if l == nil {
		return nil
	}
	return l.hit(ctx, ruleResetIP, l.key(ruleResetIP, Subnet(ip)))
}

// RefreshFrom counts a token refresh from the client address ip and
// refuses it (*LimitError) over the RefreshIP rule.
func (l *Limiter) RefreshFrom(ctx context.Context, ip netip.Addr) error {
	if l == nil {
		return nil
	}
	return l.hit(ctx, ruleRefreshIP, l.key(ruleRefreshIP, Subnet(ip)))
}
