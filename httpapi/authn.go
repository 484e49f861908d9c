package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

// authOf returns who r is authenticated as: what the gate of its route
// put in its context.
func authOf(r *http.Request) *authContext {
	ac, _ := authFrom(r.Context())
	return ac
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header, or "".
func bearerToken(r *http.Request) string {
	fields := strings.Fields(r.Header.Get("Authorization"))
	if len(fields) < 2 || !strings.EqualFold(fields[0], "bearer") {
		return ""
	}
	return fields[1]
}

func hashSecret(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func randomValue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hostPrefix is the cookie name prefix of Config.HostPrefixCookies.
const hostPrefix = "__Host-"

// secure reports whether cookies set in answer to r get Secure.
func (a *API) secure(r *http.Request) bool {
	switch a.cfg.SecureCookies {
	case SecureAlways:
		return true
	case SecureNever:
		return false
	}
	if r.TLS != nil {
		return true
	}
	// The first proxy's word: X-Forwarded-Proto: https, http. Secure only
	// makes the cookie stricter, so no trust in the proxy is needed.
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// setCookie sets an HttpOnly, SameSite=Lax cookie on Path=/ without Domain
// (host-only); a "__Host-" or "__Secure-" cookie is always Secure, as
// browsers require.
func (a *API) setCookie(w http.ResponseWriter, r *http.Request, name, value string, ttl time.Duration) {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: a.secure(r),
	}
	if strings.HasPrefix(name, hostPrefix) || strings.HasPrefix(name, "__Secure-") {
		c.Secure = true
	}
	if ttl > 0 {
		c.MaxAge = int(ttl / time.Second)
		c.Expires = a.now().Add(ttl)
	} else {
		c.MaxAge = -1
		c.Expires = time.Unix(0, 0)
	}
	http.SetCookie(w, c)
}

// touchStep is how far behind the stored idle deadline of a session may
// fall before a request moves it: a tenth of the idle timeout, at most a
// minute. So a session used steadily costs at most one write a minute,
// not one per request, and ends between idle − touchStep and idle after
// its last use.
func touchStep(idle time.Duration) time.Duration { return min(idle/10, time.Minute) }

// touch moves the idle deadline of s forward when it has fallen behind
// by touchStep or more. A failed touch is logged, not fatal: the session
// was live when read, and the next request tries again.
func (g *Guard) touch(r *http.Request, s *session.Session) {
	if g.idle <= 0 || s.IdleExpiresAt.IsZero() {
		return
	}
	now := g.now()
	next := now.Add(g.idle)
	if next.Sub(s.IdleExpiresAt) < touchStep(g.idle) {
		return
	}
	t, ok := g.sessions.(session.Toucher)
	if !ok {
		return
	}
	if err := t.TouchSession(r.Context(), s.ID, next, now); err != nil {
		g.log.WarnContext(r.Context(), "httpapi: session touch failed", "err", err.Error())
		return
	}
	s.IdleExpiresAt = next
}

// POST /auth/session: a bearer token becomes a server-side session with a
// new random id.
func (a *API) createSession(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	if err := a.openSession(w, r, ac.claims); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": ac.claims})
	return nil
}

// openSession stores a new session with claims, under a new random id
// that the session cookie it sets carries. The session of the cookie the
// client brought, if any, is deleted: an id the client brought is never
// kept.
func (a *API) openSession(w http.ResponseWriter, r *http.Request, claims *auth.Claims) error {
	if old, err := r.Cookie(a.cfg.SessionCookie); err == nil && old.Value != "" {
		if err := a.sessions.DeleteSession(r.Context(), hashSecret(old.Value)); err != nil {
			return err
		}
	}
	value := randomValue()
	now := a.now().UTC()
	s := &session.Session{
		ID: hashSecret(value), AuthIdentityID: claims.AuthIdentityID,
		ActorType: claims.ActorType, ActorID: claims.ActorID, Claims: *claims,
		CreatedAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL),
	}
	if a.cfg.SessionIdleTimeout > 0 {
		s.IdleExpiresAt = now.Add(min(a.cfg.SessionIdleTimeout, a.cfg.SessionTTL))
	}
	if err := a.sessions.PutSession(r.Context(), s); err != nil {
		return err
	}
	a.setCookie(w, r, a.cfg.SessionCookie, value, a.cfg.SessionTTL)
	return nil
}

// DELETE /auth/session destroys the session of the cookie.
func (a *API) deleteSession(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	logout := func(ctx context.Context) error {
		if err := a.sessions.DeleteSession(ctx, ac.session.ID); err != nil {
			return err
		}
		return a.cfg.Auth.Audit().Record(ctx, audit.Entry{Action: audit.ActionLogout, Outcome: audit.Success,
			AuthIdentityID: ac.claims.AuthIdentityID, ActorType: ac.claims.ActorType, ActorID: ac.claims.ActorID})
	}
	var err error
	if tx, ok := a.sessions.(store.Transactor); ok && a.cfg.Auth.Audit().Enabled() {
		// The session's end and its audit entry in one unit of work.
		err = tx.InTx(r.Context(), logout)
	} else {
		err = logout(r.Context())
	}
	if err != nil {
		return err
	}
	a.setCookie(w, r, a.cfg.SessionCookie, "", 0)
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}
