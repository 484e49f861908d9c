package storefront

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
)

// Mail is one message the server would send.
type Mail struct {
	ID      string    `json:"id"`
	Event   string    `json:"event"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	Link    string    `json:"link,omitempty"`
	Code    string    `json:"code,omitempty"`
	SentAt  time.Time `json:"sent_at"`
}

// DefaultMailboxSize is how many mails a Mailbox keeps unless told
// otherwise.
const DefaultMailboxSize = 200

// Mailbox is a development mailer: an event.Sink that turns the events a
// host mails (auth.password_reset, auth.verification_requested,
// auth.login_email) into mails and keeps the newest in memory, and an
// http.Handler that answers them as JSON ({"mails": [...]}, newest
// first) for the storefront's mailbox page. Other events are ignored.
//
// The mails carry reset tokens and one-time codes, and anyone who can
// reach the page reads them: never use it where real people have
// accounts. A production host sends these events to its mail service.
type Mailbox struct {
	prefix string
	size   int

	mu    sync.Mutex
	mails []Mail // oldest first
}

// NewMailbox returns an empty mailbox whose links point at the storefront
// served under prefix (DefaultPrefix when empty). It keeps the newest
// size mails (DefaultMailboxSize when size <= 0).
func NewMailbox(prefix string, size int) *Mailbox {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if size <= 0 {
		size = DefaultMailboxSize
	}
	return &Mailbox{prefix: prefix, size: size}
}

// Emit records the mail of e, if e is one that is mailed.
func (m *Mailbox) Emit(_ context.Context, e event.Event) error {
	mail, ok := m.compose(e)
	if !ok {
		return nil
	}
	mail.ID, mail.Event, mail.SentAt = rand.Text(), e.Name, time.Now().UTC()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mails = append(m.mails, mail)
	if over := len(m.mails) - m.size; over > 0 {
		m.mails = slices.Delete(m.mails, 0, over)
	}
	return nil
}

// Mails returns the mails kept, newest first.
func (m *Mailbox) Mails() []Mail {
	m.mu.Lock()
	out := slices.Clone(m.mails)
	m.mu.Unlock()
	slices.Reverse(out)
	return out
}

// ServeHTTP answers {"mails": [...]}, newest first; ?to= keeps the mails
// to one address.
func (m *Mailbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mails := m.Mails()
	if to := r.URL.Query().Get("to"); to != "" {
		mails = slices.DeleteFunc(mails, func(x Mail) bool { return x.To != to })
	}
	if mails == nil {
		mails = []Mail{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"mails": mails})
}

// compose writes the mail of e.
func (m *Mailbox) compose(e event.Event) (Mail, bool) {
	str := func(k string) string { s, _ := e.Data[k].(string); return s }
	to := str("entity_id")
	if to == "" {
		return Mail{}, false
	}
	// The secrets ride in the fragment, which browsers never send to a
	// server: they stay out of access logs and Referer headers.
	page := func(path string, secrets url.Values) string { return m.prefix + path + "#" + secrets.Encode() }
	switch e.Name {
	case auth.EventPasswordReset:
		if str("token") == "" {
			return Mail{}, false
		}
		return Mail{
			To: to, Subject: "Reset your password",
			Text: "Someone asked to reset the password of your account. Open the link to choose a new one; it works once, for a short time. " +
				"If it was not you, ignore this mail: your password stays as it is.",
			Link: page("reset", url.Values{"token": {str("token")}, "email": {to}}),
		}, true
	case auth.EventVerificationRequested:
		if str("code") == "" || str("entity_type") != "email" {
			return Mail{}, false
		}
		return Mail{
			To: to, Subject: "Confirm your email address",
			Text: "Open the link to confirm that this address is yours. If you did not ask for it, ignore this mail.",
			Link: page("verify", url.Values{"code": {str("code")}}), Code: str("code"),
		}, true
	case auth.EventLoginEmail:
		if str("token") == "" {
			return Mail{}, false
		}
		link := str("link")
		if link == "" {
			link = page("magic", url.Values{"token": {str("token")}})
		}
		text := "Open the link, or type the code where you asked for it, to log in. "
		if registering, _ := e.Data["registering"].(bool); registering {
			text = "Open the link, or type the code where you asked for it, to log in; if you have no account here yet, it makes one. "
		}
		return Mail{
			To: to, Subject: "Your login link",
			Text: text + "They work once, for a short time. If you did not ask for them, ignore this mail.",
			Link: link, Code: str("code"),
		}, true
	}
	return Mail{}, false
}
