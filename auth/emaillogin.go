package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/email"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// EventLoginEmail carries {"entity_id", "actor_type", "provider", "token",
// "code", "expires_at", "registering", "metadata"} and, when the provider
// has a link page (magiclink.WithLinkURL), "link": the host mails the
// login link (the link, or its own URL with the token) and the one-time
// code to entity_id.
// It is raised as a secret event (sealed in an outbox) after the request's
// answer, and only for an email that may log in (one with an identity, or
// any when the provider registers).
const EventLoginEmail = "auth.login_email"

// EmailLoginParams is the input of [Service.RequestEmailLogin].
type EmailLoginParams struct {
	// ActorType and Provider say who logs in, and with which
	// provider.EmailLinker (provider/magiclink).
	ActorType, Provider string
	// Email is the address to mail; it is trimmed and lower-cased.
	Email string
	// Binding is an opaque secret of the browser that asks (httpapi's
	// binding cookie, or a value the client keeps): a link opened with it
	// logs in; a code works only with it.
	Binding string
	// Metadata is passed to the event as it is. Over HTTP anyone may set
	// it for any email: a mailer must never build the mailed link from it
	// (a link to the asker's site would hand them the victim's token,
	// and the confirmation code their own request was shown completes a
	// login with it). Build links from configuration (magiclink.
	// WithLinkURL or WithLinkFragment), or check a URL in it against a
	// fixed list.
	Metadata map[string]any
}

// EmailLoginStart is what the browser that asked for a login email is
// told: the same shape whether or not the email has an identity.
type EmailLoginStart struct {
	// Flow names the login: the code form sends it with the mailed code.
	Flow string `json:"flow"`
	// ConfirmationCode is shown to the person who asked: a link opened on
	// another device (without the binding) needs it.
	ConfirmationCode string `json:"confirmation_code"`
	// ExpiresAt is when the link and codes stop working.
	ExpiresAt time.Time `json:"expires_at"`
}

// RequestEmailLogin starts a passwordless login (provider.EmailLinker:
// provider/magiclink): it stores the hashes of a link's secret, a mailed
// one-time code and a confirmation code, bound to p.Binding, and raises
// [EventLoginEmail] for the host's mailer. The login completes through
// [Service.ValidateCallback] with the link's token or the flow and code.
//
// The answer and the store work are the same whether or not the email has
// an identity: an unknown email gets an answer whose secrets complete
// nothing, and no mail (unless the provider registers). Requests are
// throttled per (provider, email) under [throttle.Config.Reset], counted
// before the look-up.
func (s *Service) RequestEmailLogin(ctx context.Context, p EmailLoginParams) (*EmailLoginStart, error) {
	out, err := s.requestEmailLogin(ctx, p)
	s.observe(ctx, OpEmailLoginRequest, p.Provider, time.Time{}, err)
	return out, err
}

// requestEmailLogin is RequestEmailLogin, unobserved.
func (s *Service) requestEmailLogin(ctx context.Context, p EmailLoginParams) (*EmailLoginStart, error) {
	if p.ActorType == "" {
		return nil, identityDom.Invalidf("actor_type", "is required")
	}
	pr, err := s.provider(p.Provider, p.ActorType)
	if err != nil {
		return nil, err
	}
	el, ok := pr.(provider.EmailLinker)
	if !ok {
		return nil, notSupported(p.Provider, fmt.Sprintf("Email login not implemented for provider %s", p.Provider))
	}
	addr, err := email.Normalize("email", p.Email)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	if addr == "" {
		return nil, identityDom.Public("email", "Email is required")
	}
	if err := text.Check("email", addr); err != nil {
		return nil, identityDom.Classify(err)
	}
	if p.Binding == "" {
		return nil, errors.New("auth: an email login needs the binding of the browser that asks")
	}
	if err := s.throttle.ResetRequest(ctx, p.Provider, addr); err != nil {
		return nil, err
	}
	ids := &identities{s: s, provider: pr}
	in := provider.Input{ActorType: p.ActorType, Binding: p.Binding, Body: map[string]any{"email": addr}}
	var started *provider.EmailLogin
	if _, err := s.callAs(ctx, pr, "begin email login", ids, func(ids provider.Identities) (*Result, error) {
		started, err = el.BeginEmailLogin(ctx, in, ids)
		return &Result{}, err
	}); err != nil {
		return nil, err
	}
	metadata := p.Metadata
	if metadata == nil {
		metadata = map[string]any{}
	}
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		e := audit.Entry{Action: audit.ActionLoginEmailRequest, Outcome: audit.Success, ActorType: p.ActorType, Provider: p.Provider}
		if !started.Send {
			e.Outcome, e.Reason = audit.Failure, audit.ReasonInvalidCredentials
		}
		if err := s.record(ctx, e); err != nil {
			return err
		}
		// Both paths make one durable write in this unit, so that the
		// commit waits for the log alike, and the same statements: a
		// state written and taken back, or, where the mailing path's
		// event is itself a write of the unit (an outbox), that event
		// and the take of a state that was never written.
		key := "decoy:" + hashJTI(started.Flow)
		if !started.Send || !s.events.Transactional() {
			if err := s.st.PutState(ctx, key, nil, s.clock().Add(time.Minute)); err != nil {
				return err
			}
		}
		if _, err := s.st.TakeState(ctx, key, s.clock()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if !started.Send {
			return nil
		}
		// Delivered after the answer, never inside it.
		data := map[string]any{
			"entity_id": started.Email, "actor_type": p.ActorType, "provider": p.Provider,
			"token": started.Token, "code": started.Code, "expires_at": started.ExpiresAt,
			"registering": started.Registering, "metadata": metadata,
		}
		if started.Link != "" {
			data["link"] = started.Link
		}
		return s.events.EmitDetached(ctx, event.Event{Name: EventLoginEmail, Secret: true, Data: data})
	})
	if err != nil {
		return nil, err
	}
	return &EmailLoginStart{Flow: started.Flow, ConfirmationCode: started.ConfirmationCode, ExpiresAt: started.ExpiresAt}, nil
}
