package oidc

import (
	"context"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oauth2flow"
)

// The OAuth 2.0 building blocks below live in package oauth2flow, which
// does not depend on an OpenID Connect library; they stay here for
// existing callers.

// Flow is [oauth2flow.Flow].
//
// Deprecated: use oauth2flow.Flow.
type Flow = oauth2flow.Flow

// Callback is [oauth2flow.Callback].
//
// Deprecated: use oauth2flow.Callback.
type Callback = oauth2flow.Callback

// Messages of the redirect flow: those of package oauth2flow.
//
// Deprecated: use the constants of package oauth2flow.
const (
	MsgNoCode             = oauth2flow.MsgNoCode
	MsgNoState            = oauth2flow.MsgNoState
	MsgNoBinding          = oauth2flow.MsgNoBinding
	MsgForeignBrowser     = oauth2flow.MsgForeignBrowser
	MsgCallbackNotAllowed = oauth2flow.MsgCallbackNotAllowed
	MsgEmailNotVerified   = oauth2flow.MsgEmailNotVerified
)

// DefaultStateTTL is [oauth2flow.DefaultStateTTL].
//
// Deprecated: use oauth2flow.DefaultStateTTL.
const DefaultStateTTL = oauth2flow.DefaultStateTTL

// Login is [oauth2flow.Login].
//
// Deprecated: use oauth2flow.Login.
func Login(ctx context.Context, providerID string, ids provider.Identities, in provider.NewIdentity) (*provider.Result, error) {
	return oauth2flow.Login(ctx, providerID, ids, in)
}
