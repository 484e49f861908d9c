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

// Store keeps counters. Its calls never join a unit of work
// (store.Transactor): a counted failure stays counted whatever happens to
// the caller's unit. Times are kept at microsecond precision.
type Store interface {
	// ThrottleHit counts one hit on key at now and returns the counter
	// after it, in one atomic step: of N concurrent hits on a key, each
	// sees a different count and the last sees N more than before. A
	// counter that has lapsed at now (Expires not after now), or none,
	// starts again at 1 with Start now. Expires becomes Start+w.Length,
	// or now+w.Length when w.Sliding. Each call may also delete some
	// lapsed counters.
	ThrottleHit(ctx context.Context, key string, now time.Time, w Window) (Counter, error)
	// ThrottleGet returns the counter of key at now: the zero Counter when
	// there is none or it has lapsed.
	ThrottleGet(ctx context.Context, key string, now time.Time) (Counter, error)
	// ThrottleClear deletes the counter of key; a missing one is not an
	// error.
	ThrottleClear(ctx context.Context, key string) error
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

// check reads the counter of key and returns the rule's refusal, with
// whether the counter holds anything.
func (l *Limiter) check(ctx context.Context, name, key string) (counted bool, err error) {
	r := l.rules[name]
	if r.off() {
		return false, nil
	}
	now := l.clock()
	c, err := l.st.ThrottleGet(ctx, key, now)
	if err != nil {
		return false, err
	}
	return c.Hits > 0, r.refusal(name, c, now)
}

// fail counts a failure on key.
func (l *Limiter) fail(ctx context.Context, name, key string) error {
	r := l.rules[name]
	if r.off() {
		return nil
	}
	_, err := l.st.ThrottleHit(ctx, key, l.clock(), r.window())
	return err
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
	c, err := l.st.ThrottleHit(ctx, key, now, r.window())
	if err != nil {
		return err
	}
	if c.Hits <= r.Limit {
		return nil
	}
	return limited(name, c.Expires, now)
}

// Attempt is a login attempt a Limiter allowed: report how it ended with
// Fail or Succeed. A nil *Attempt does nothing.
type Attempt struct {
	l       *Limiter
	rule    string
	key     string
	counted bool // the counter held failures when the attempt began
	clears  bool // a success clears the counter
}

// Login begins a login attempt for identifier with providerID, checking
// the Login rule before the credentials are: a locked account is refused
// (*LimitError) whatever the password. An empty identifier is not
// throttled here.
func (l *Limiter) Login(ctx context.Context, providerID, identifier string) (*Attempt, error) {
	id := Identifier(identifier)
	if l == nil || id == "" {
		return nil, nil
	}
	return l.begin(ctx, ruleLogin, l.key(ruleLogin, providerID, id), true)
}

// LoginFrom begins a login attempt from the client address ip, checking
// the LoginIP rule.
func (l *Limiter) LoginFrom(ctx context.Context, ip netip.Addr) (*Attempt, error) {
	if l == nil {
		return nil, nil
	}
	return l.begin(ctx, ruleLoginIP, l.key(ruleLoginIP, Subnet(ip)), false)
}

func (l *Limiter) begin(ctx context.Context, rule, key string, clears bool) (*Attempt, error) {
	counted, err := l.check(ctx, rule, key)
	if err != nil {
		return nil, err
	}
	return &Attempt{l: l, rule: rule, key: key, counted: counted, clears: clears}, nil
}

// Fail counts the attempt as a failure.
func (a *Attempt) Fail(ctx context.Context) error {
	if a == nil {
		return nil
	}
	return a.l.fail(ctx, a.rule, a.key)
}

// Succeed ends the attempt as a success: it clears an account's failures
// (not those of a client address). It costs no store call when there
// were none.
func (a *Attempt) Succeed(ctx context.Context) error {
	if a == nil || !a.clears || !a.counted {
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
