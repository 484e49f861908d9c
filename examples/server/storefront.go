package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/examples/storefront"
	"github.com/clientele/clientele/httpapi"
)

// storefrontConfig reads STOREFRONT (on: serve examples/storefront at
// /storefront/) and DEV_MAILBOX (on: keep the mails the server would send
// and show them on the storefront's mailbox page; it needs the
// storefront).
func storefrontConfig(getenv func(string) string, logger *slog.Logger) (on bool, mailbox *storefront.Mailbox, err error) {
	flag := func(name string) (bool, error) {
		switch v := strings.ToLower(getenv(name)); v {
		case "", "off", "false":
			return false, nil
		case "on", "true":
			return true, nil
		default:
			return false, fmt.Errorf("%s %q: want on or off", name, v)
		}
	}
	if on, err = flag("STOREFRONT"); err != nil {
		return false, nil, err
	}
	dev, err := flag("DEV_MAILBOX")
	if err != nil {
		return false, nil, err
	}
	if dev && !on {
		return false, nil, errors.New("DEV_MAILBOX=on needs STOREFRONT=on: the mailbox is a storefront page")
	}
	if dev {
		logger.Warn("DEV_MAILBOX: the mails (reset links, login codes) are shown to anyone at " + storefront.DefaultPrefix + "mailbox; for development only")
		mailbox = storefront.NewMailbox(storefront.DefaultPrefix, 0)
	}
	return on, mailbox, nil
}

// alsoTo returns a sink that delivers every event to sink and then to m.
func alsoTo(sink event.Sink, m *storefront.Mailbox) event.Sink {
	return event.SinkFunc(func(ctx context.Context, e event.Event) error {
		if err := sink.Emit(ctx, e); err != nil {
			return err
		}
		return m.Emit(ctx, e)
	})
}

// mountStorefront serves the storefront at /storefront/ and sends / there.
// Only logged-in customers have QR codes drawn.
func mountStorefront(mux *http.ServeMux, api *httpapi.API, mailbox *storefront.Mailbox, publishableKeys []string) error {
	cfg := storefront.Config{Mailbox: mailbox, QRGate: api.Guard().Authenticate(auth.ActorCustomer)}
	if len(publishableKeys) > 0 {
		cfg.PublishableKey = publishableKeys[0]
	}
	h, err := storefront.Handler(cfg)
	if err != nil {
		return err
	}
	mux.Handle(storefront.DefaultPrefix, h)
	mux.Handle("GET /{$}", http.RedirectHandler(storefront.DefaultPrefix, http.StatusFound))
	return nil
}
