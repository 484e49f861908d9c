package auth

import (
	"context"
	"fmt"

	"github.com/clientele/clientele/provider"
)

// Begin runs the first step of a two-step provider ([provider.Beginner],
// such as provider/passkey): it returns the JSON the client must answer
// (a passkey's options for navigator.credentials.create or .get), which
// the second step (Login, Register or Link with the client's answer)
// then checks. in.ActorType is checked as for a login; in.Binding ties
// the step to the caller's browser.
//
// A provider that has no first step fails with ErrNotSupported.
func (s *Service) Begin(ctx context.Context, providerID string, in provider.Input) (out []byte, err error) {
	p, err := s.provider(providerID, in.ActorType)
	if err != nil {
		return nil, err
	}
	b, ok := p.(provider.Beginner)
	if !ok {
		return nil, notSupported(providerID, "Method 'begin' not implemented for provider "+providerID)
	}
	defer func() {
		if r := recover(); r != nil {
			s.logger.ErrorContext(ctx, "clientele: auth provider panicked", "provider", p.ID(), "method", "begin", "panic", fmt.Sprint(r))
			out, err = nil, &provider.Error{Provider: p.ID(), Kind: ErrUnauthorized, Message: "Authentication failed"}
		}
	}()
	out, err = b.Begin(ctx, in, &identities{s: s, provider: p})
	if err != nil {
		return nil, classify(p.ID(), err)
	}
	return out, nil
}
