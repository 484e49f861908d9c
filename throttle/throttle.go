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
// A login is checked by reservation: before the password is checked, the
// attempt is counted as a failure on the account and on the client
// address, in one atomic step with the checks of the counters that allow
// it (Store.ThrottleTry), so that however many guesses run at once, an
// account gets no more password checks than its rule allows (6 with the
// defaults: 5 free failures and one before the lock). A failure then
// counts nothing more; a success clears the account's count and takes the
// address's hit back; an attempt that ends neither way (the request was
// malformed, a database failed, the client went away) takes both back.
//
// A login through httpapi costs one store call before its answer, whether
// it fails or succeeds: [Limiter.BeginLogin] reserves the address's and
// the account's attempts in one, and hands the account's to the auth
// service through the context. A failure costs nothing more. A success
// clears the account and takes the address's hit back in one more call
// ([Attempt.Succeed]), which the auth service makes after its answer. A
// success reported late clears the account's count as of its own
// reservation only (Release.Since), so it never wipes the failures of
// attempts that came after it. A Login without BeginLogin (a Go host
// calling the auth service) reserves the account's attempt itself, in
// one call.
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
//   - [Config.StartIP], logins started per client address (a redirect
//     login's first leg, a passkey ceremony's begin): 60 per minute. Each
//     start stores state until it is finished or expires; the rule keeps
//     one address from filling the store with them.
//   - [Config.VerificationRequest], verification codes requested per
//     entity (an email address): 5 per hour, so at most 5 codes an hour
//     reach one inbox.
//   - [Config.VerificationConfirm], failed confirmations of verification
//     codes per auth identity (when the caller is authenticated): 10 per
//     hour; a success clears the count.
//   - [Config.VerificationConfirmIP], failed confirmations per client
//     address: 30 per hour; a success clears the count.
//   - [Config.MFA], failed MFA codes per auth identity (challenge
//     verifications, factor verifications, codes that disable a factor):
//     the first 5 failures are free; each one after them locks the
//     identity's MFA for 1 min, doubling up to 1 h; the count lapses after
//     24 h without a failure and an accepted code clears it. A new login
//     opens a new challenge, but not a new count: about 30 guesses a day.
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
	// "register_ip", "reset", "reset_ip", "refresh_ip", "start_ip",
	// "mfa", "verification_request", "verification_confirm" or
	// "verification_confirm_ip".
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
	Login, LoginIP, RegisterIP, Reset, ResetIP, RefreshIP, MFA Rule
	// StartIP limits the logins a client address starts (StartFrom).
	StartIP Rule
	// VerificationRequest, VerificationConfirm and VerificationConfirmIP
	// are the rules of email verification (see verification.go).
	VerificationRequest, VerificationConfirm, VerificationConfirmIP Rule
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
	DefaultStartIP    = Rule{Limit: 60, Window: time.Minute}
	DefaultMFA        = Rule{Limit: 5, Window: 24 * time.Hour, Backoff: time.Minute, MaxBackoff: time.Hour}
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

// ErrDuplicateKey is matched (errors.Is) by the error of a Store call
// that names a key twice.
var ErrDuplicateKey = errors.New("throttle: a key is named twice in one call")

// Try is one conditional hit for a Store to count: on Key, by Rule, only
// if Rule allows one more attempt (see Rule.Allows).
type Try struct {
	Key  string
	Rule Rule
}

// Release takes back what a Try counted on Key: one hit, or, when Clear,
// the whole count, unless the counter was hit after Since (a later
// attempt's hit, which a late Release must not wipe): then one hit, as
// without Clear. A zero Since clears whatever the counter's latest hit.
type Release struct {
	Key   string
	Clear bool
	Since time.Time
}

// ClearsAt reports whether a Store deletes the counter whose latest hit
// is last for r, rather than take one hit back: the rule every Store
// applies in ThrottleRelease.
func (r Release) ClearsAt(last time.Time) bool {
	return r.Clear && (r.Since.IsZero() || !last.After(r.Since))
}

// Store keeps counters. Each method takes several keys, so that one call
// (one round trip to a database) serves a whole login: a single key is a
// call with one. A call with none does nothing. Its calls never join a
// unit of work (store.Transactor): a counted failure stays counted
// whatever happens to the caller's unit. Times are kept at microsecond
// precision. A key named twice in one call is an error matching
// ErrDuplicateKey, and nothing is done.
type Store interface {
	// ThrottleHit counts one hit at now on each key of hits, each by its
	// own Window, and returns the counters after them, in the order of
	// hits. The hits are counted together or not at all, and each key's
	// in one atomic step: of N concurrent hits on a key, each sees a
	// different count and the last sees N more than before. A counter
	// that has lapsed at now (Expires not after now), or none, starts
	// again at 1 with Start now. Expires becomes Start+Length of the
	// key's Window, or now+Length when it is Sliding. Each call may also
	// delete some lapsed counters of other keys.
	ThrottleHit(ctx context.Context, now time.Time, hits ...Hit) ([]Counter, error)
	// ThrottleTry counts one hit at now on each key of tries whose Rule
	// allows it at now (Rule.Allows of its counter, a lapsed one or none
	// being the zero Counter), as ThrottleHit would by the Rule's
	// Window (Rule.HitWindow). The check and the hit of each key are one
	// atomic step: of N concurrent tries on a key, no more are counted
	// than its Rule allows. It returns, in the order of tries, whether
	// each was counted, and its counter: after the hit when counted, as
	// found (perhaps a moment old) when not. The keys are tried each on
	// its own: some may be counted and others not. Each call may also
	// delete some lapsed counters of other keys.
	ThrottleTry(ctx context.Context, now time.Time, tries ...Try) ([]Counter, []bool, error)
	// ThrottleRelease takes back hits: it deletes the counter of each
	// Release that clears it (Release.ClearsAt its latest hit), and takes
	// one hit from the live counter (at now) of each other one, never
	// below zero. A key without a counter is no error.
	ThrottleRelease(ctx context.Context, now time.Time, releases ...Release) error
	// ThrottleGet returns the counters of keys at now, in their order:
	// the zero Counter for a key that has none or whose counter has
	// lapsed. A key may be named twice.
	ThrottleGet(ctx context.Context, now time.Time, keys ...string) ([]Counter, error)
}

// DuplicateHit returns an error matching ErrDuplicateKey when two of hits
// have the same key, else nil: a Store's check of its arguments.
func DuplicateHit(hits []Hit) error { return duplicate(hits, func(h Hit) string { return h.Key }) }

// DuplicateTry is DuplicateHit for tries.
func DuplicateTry(tries []Try) error { return duplicate(tries, func(t Try) string { return t.Key }) }

// DuplicateRelease is DuplicateHit for releases.
func DuplicateRelease(rs []Release) error {
	return duplicate(rs, func(r Release) string { return r.Key })
}

func duplicate[T any](xs []T, key func(T) string) error {
	if len(xs) > 8 {
		seen := make(map[string]bool, len(xs))
		for _, x := range xs {
			k := key(x)
			if seen[k] {
				return fmt.Errorf("%w: %q", ErrDuplicateKey, k)
			}
			seen[k] = true
		}
		return nil
	}
	for i := 1; i < len(xs); i++ {
		for _, x := range xs[:i] {
			if key(x) == key(xs[i]) {
				return fmt.Errorf("%w: %q", ErrDuplicateKey, key(x))
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
	ruleStartIP    = "start_ip"
	ruleMFA        = "mfa"
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
		{ruleStartIP, cfg.StartIP, DefaultStartIP, false, "StartIP"},
		{ruleMFA, cfg.MFA, DefaultMFA, true, "MFA"},
		{ruleVerifyRequest, cfg.VerificationRequest, DefaultVerificationRequest, false, "VerificationRequest"},
		{ruleVerifyConfirm, cfg.VerificationConfirm, DefaultVerificationConfirm, false, "VerificationConfirm"},
		{ruleVerifyConfirmIP, cfg.VerificationConfirmIP, DefaultVerificationConfirmIP, false, "VerificationConfirmIP"},
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

// Allows reports whether the rule allows one more attempt on a subject
// whose counter at now is c (the zero Counter when it has none): a
// counting rule while c.Hits is below Limit, a back-off rule while
// c.Hits is at most Limit or once the lock of c.Hits failures, counted
// from c.Last, has passed. It is the check a Store makes in ThrottleTry.
func (r Rule) Allows(c Counter, now time.Time) bool {
	if r.Backoff > 0 {
		d := r.delay(c.Hits)
		return d == 0 || !now.Before(c.Last.Add(d))
	}
	return c.Hits < r.Limit
}

// HitWindow is how a Store counts hits under the rule: Window after the
// first hit for a counting rule, after the latest for a back-off rule.
func (r Rule) HitWindow() Window {
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
	cs, err := l.st.ThrottleHit(ctx, now, Hit{Key: key, Window: r.HitWindow()})
	if err != nil {
		return err
	}
	if cs[0].Hits <= r.Limit {
		return nil
	}
	return limited(name, cs[0].Expires, now)
}

// try reserves an attempt on each of keys (by the rules named alike) in
// one store call. When a rule refuses, what the others counted is taken
// back, and the refusal is returned: the first one's in the order of
// names. locks[i] says whether the attempt reserved on keys[i], should it
// stay a failure, locks its subject (a back-off rule past its free
// failures).
func (l *Limiter) try(ctx context.Context, names, keys []string) (at time.Time, locks []bool, err error) {
	tries := make([]Try, len(keys))
	for i, k := range keys {
		tries[i] = Try{Key: k, Rule: l.rules[names[i]]}
	}
	now := l.clock()
	cs, ok, err := l.st.ThrottleTry(ctx, now, tries...)
	if err != nil {
		return now, nil, err
	}
	locks = make([]bool, len(tries))
	for i, t := range tries {
		locks[i] = ok[i] && i < len(cs) && t.Rule.delay(cs[i].Hits) > 0
	}
	var refused error
	var back []Release
	for i, t := range tries {
		switch {
		case ok[i]:
			back = append(back, Release{Key: t.Key})
		case refused == nil:
			refused = t.Rule.refusal(names[i], cs[i], now)
			if refused == nil {
				// The store refused on a counter that changed since
				// (a concurrent attempt): it is being held now.
				refused = &LimitError{Rule: names[i], RetryAfter: time.Second}
			}
		}
	}
	if refused == nil {
		return now, locks, nil
	}
	if len(back) > 0 {
		if err := l.st.ThrottleRelease(context.WithoutCancel(ctx), now, back...); err != nil {
			return now, nil, errors.Join(refused, err)
		}
	}
	return now, nil, refused
}

// Attempt is a login attempt a Limiter allowed, counted as a failure in
// advance: report how it ended with Fail, Succeed or Cancel (the first
// report counts; later ones do nothing). A nil *Attempt does nothing.
type Attempt struct {
	l *Limiter
	// key is the account's key: "" for an address attempt, or when the
	// Login rule is off (nothing to take back).
	key string
	// at is when the attempt was reserved (a success clears the
	// account's count as of then).
	at time.Time
	// locks: the account's reserved failure, if it stays one, locks it.
	locks bool
	// login is the login the attempt belongs to when BeginLogin began it
	// (addr is set for its address attempt): an account attempt settles
	// the address's hit with its own, in the same store call.
	login *login
	addr  bool
	done  atomic.Bool
}

// login is a login begun by BeginLogin, which its context carries to the
// Limiter's Login.
type login struct {
	l *Limiter
	// account is the key of the account BeginLogin reserved an attempt on
	// ("" when none); taken is set when a Login has taken it, or when it
	// was taken back.
	account string
	at      time.Time
	// locks: the account's reserved failure locks it (see Attempt.Locks).
	locks bool
	taken atomic.Bool
	// addr is the key of the address's reserved hit ("" when the LoginIP
	// rule is off); addrDone is set when it is settled.
	addr     string
	addrDone atomic.Bool
}

type loginKey struct{}

// Login begins a login attempt for identifier with providerID, checking
// the Login rule before the credentials are: a locked account is refused
// (*LimitError) whatever the password. An empty identifier is not
// throttled here.
//
// An allowed attempt is reserved: it is counted as a failure before the
// credentials are checked, in one atomic step with the check of the
// account's counter (Store.ThrottleTry), so that concurrent attempts on
// one account never get more password checks than the rule allows. Report
// how it ended: Fail counts nothing more, Succeed clears the account's
// failures, and Cancel takes the reserved failure back.
//
// In a context from BeginLogin for the same account, Login takes the
// attempt reserved there, without a store call; otherwise it reserves
// one, in one store call.
func (l *Limiter) Login(ctx context.Context, providerID, identifier string) (*Attempt, error) {
	id := Identifier(identifier)
	if l == nil || id == "" {
		return nil, nil
	}
	if l.rules[ruleLogin].off() {
		return &Attempt{l: l, login: l.loginIn(ctx)}, nil
	}
	key := l.key(ruleLogin, providerID, id)
	if lg := l.loginIn(ctx); lg != nil && lg.account == key && lg.taken.CompareAndSwap(false, true) {
		return &Attempt{l: l, key: key, at: lg.at, login: lg, locks: lg.locks}, nil
	}
	// Another account than the login's (its reservation is taken back
	// when the login's address attempt is settled), or the login's taken
	// already: a reservation of its own.
	at, locks, err := l.try(ctx, []string{ruleLogin}, []string{key})
	if err != nil {
		return nil, err
	}
	return &Attempt{l: l, key: key, at: at, locks: locks[0]}, nil
}

// loginIn returns the login of l that ctx carries, or nil.
func (l *Limiter) loginIn(ctx context.Context) *login {
	if lg, _ := ctx.Value(loginKey{}).(*login); lg != nil && lg.l == l {
		return lg
	}
	return nil
}

// LoginFrom begins a login attempt from the client address ip, checking
// the LoginIP rule and reserving the attempt on the address, as
// BeginLogin does without an account.
func (l *Limiter) LoginFrom(ctx context.Context, ip netip.Addr) (*Attempt, error) {
	_, a, err := l.BeginLogin(ctx, ip, "", "")
	return a, err
}

// BeginLogin begins a login from the client address ip to the account
// identifier with providerID (empty when the login names none): it checks
// the LoginIP rule and the Login rule and reserves the attempt on both,
// in one store call (Store.ThrottleTry). A refusal (*LimitError, the
// address's first) counts nothing.
//
// The context it returns carries the login: pass it to the Login (or the
// auth service's Authenticate) that checks the account, which takes the
// account's reservation from it. The returned address attempt reports
// how the login ended (Fail, Succeed or Cancel); when the account's
// attempt has reported already, it does nothing more. A reservation that
// no Login took is taken back then.
func (l *Limiter) BeginLogin(ctx context.Context, ip netip.Addr, providerID, identifier string) (context.Context, *Attempt, error) {
	if l == nil {
		return ctx, nil, nil
	}
	lg := &login{l: l}
	var names, keys []string
	if !l.rules[ruleLoginIP].off() {
		lg.addr = l.key(ruleLoginIP, Subnet(ip))
		names, keys = append(names, ruleLoginIP), append(keys, lg.addr)
	}
	if id := Identifier(identifier); id != "" && !l.rules[ruleLogin].off() {
		lg.account = l.key(ruleLogin, providerID, id)
		names, keys = append(names, ruleLogin), append(keys, lg.account)
	}
	if len(keys) > 0 {
		at, locks, err := l.try(ctx, names, keys)
		if err != nil {
			return ctx, nil, err
		}
		lg.at = at
		if lg.account != "" {
			lg.locks = locks[len(locks)-1]
		}
	}
	return context.WithValue(ctx, loginKey{}, lg), &Attempt{l: l, login: lg, addr: true}, nil
}

// outcome is how an attempt ended.
type outcome int

const (
	failed outcome = iota
	succeeded
	cancelled
)

// Locks reports whether the attempt's failure, once reported with Fail,
// leaves the account locked: the reserved failure is past the Login
// rule's free ones, so the next attempt waits for its back-off. An
// address attempt, or one whose rule is off, never locks.
func (a *Attempt) Locks() bool { return a != nil && a.key != "" && a.locks }

// Fail reports that the attempt failed (wrong credentials): it was
// counted when it was reserved, so Fail makes no store call.
func (a *Attempt) Fail(ctx context.Context) error { return a.end(ctx, failed) }

// Succeed reports a successful login: it clears the account's failures
// up to the attempt's reservation (a failure counted after it stays) and
// takes back the login's hit on the address (a success does not count),
// in one store call. The address attempt of a login whose account attempt
// a Login took leaves the address to that attempt.
func (a *Attempt) Succeed(ctx context.Context) error { return a.end(ctx, succeeded) }

// Cancel reports an attempt that ended neither way (the request was
// malformed, the store failed, the client went away, a redirect began):
// it takes back what was reserved, in one store call.
func (a *Attempt) Cancel(ctx context.Context) error { return a.end(ctx, cancelled) }

// end settles the attempt, once. The store call runs even when ctx is
// done: a reservation is taken back whatever became of the request.
func (a *Attempt) end(ctx context.Context, o outcome) error {
	if a == nil || !a.done.CompareAndSwap(false, true) {
		return nil
	}
	var back []Release
	if a.key != "" && o != failed {
		// A success clears the account's count as of the reservation:
		// later attempts' hits stay.
		back = append(back, Release{Key: a.key, Clear: o == succeeded, Since: a.at})
	}
	if lg := a.login; lg != nil {
		// The address attempt of a login whose account attempt a Login
		// took leaves the address's hit to it (it settles both in one
		// store call), except to mark a failure.
		tookBack := a.addr && lg.account != "" && lg.taken.CompareAndSwap(false, true)
		leave := a.addr && lg.account != "" && !tookBack && o != failed
		// The address's hit, unless the other attempt of the login has
		// settled it: kept on a failure, else taken back.
		if lg.addr != "" && !leave && lg.addrDone.CompareAndSwap(false, true) && o != failed {
			back = append(back, Release{Key: lg.addr})
		}
		// An account reservation no Login took: no password was checked.
		if tookBack {
			back = append(back, Release{Key: lg.account})
		}
	}
	if len(back) == 0 {
		return nil
	}
	return a.l.st.ThrottleRelease(context.WithoutCancel(ctx), a.l.clock(), back...)
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

// StartFrom counts a login started from the client address ip (a redirect
// login's first leg, a passkey ceremony's begin: each stores state) and
// refuses it (*LimitError) over the StartIP rule.
func (l *Limiter) StartFrom(ctx context.Context, ip netip.Addr) error {
	if l == nil {
		return nil
	}
	return l.hit(ctx, ruleStartIP, l.key(ruleStartIP, Subnet(ip)))
}

// RefreshFrom counts a token refresh from the client address ip and
// refuses it (*LimitError) over the RefreshIP rule.
func (l *Limiter) RefreshFrom(ctx context.Context, ip netip.Addr) error {
	if l == nil {
		return nil
	}
	return l.hit(ctx, ruleRefreshIP, l.key(ruleRefreshIP, Subnet(ip)))
}
