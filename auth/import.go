package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/internal/batch"
	"github.com/clientele/clientele/internal/email"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// IdentityImporter is an optional interface of a Store that writes a batch
// of new auth identities, with their provider identities, faster than
// InsertAuthIdentities can (store/postgres: COPY).
// [Service.ImportPasswordIdentities] calls it inside the batch's unit of
// work, after checking the batch; a store without it gets
// InsertAuthIdentities instead.
type IdentityImporter interface {
	// ImportAuthIdentities inserts identities with their provider
	// identities, with the conflicts of InsertAuthIdentities.
	ImportAuthIdentities(ctx context.Context, ids []*AuthIdentity) error
}

// PasswordIdentity is one record of [Service.ImportPasswordIdentities]: an
// account of the emailpass provider made elsewhere (by Medusa, or by
// another system whose hash format emailpass verifies), with the password
// hash it logs in with.
type PasswordIdentity struct {
	// Email is the login; it is trimmed and lower-cased, as emailpass
	// writes it.
	Email string `json:"email"`
	// PasswordHash is the stored hash, as emailpass keeps it in the
	// provider identity's provider_metadata.password (for Medusa's hashes:
	// the base64 of a scrypt-kdf key). It is never written to a report.
	PasswordHash string `json:"password_hash"`
	// CustomerID, when set, links the identity to a customer: it becomes
	// app_metadata.customer_id, as Medusa's customer accounts have it. The
	// customer is not looked up.
	CustomerID string `json:"customer_id,omitempty"`
	// AppMetadata is the identity's app_metadata.
	AppMetadata map[string]any `json:"app_metadata,omitempty"`
}

// PasswordImportOptions configures [Service.ImportPasswordIdentities].
type PasswordImportOptions struct {
	bulk.Options
	// CheckHash tells whether a hash is one the emailpass provider will
	// verify, with parameters within its bounds: nil, or an error whose
	// message does not hold the hash (it goes to the report). The default
	// is the service's emailpass provider's CheckImportedHash, which knows
	// every format it verifies and applies its Limits, so that no imported
	// hash costs more to verify than the provider allows (or
	// emailpass.CheckHash, the package's bounds, for a provider of another
	// type registered as emailpass).
	CheckHash func(hash string) error
}

// DecodePasswordIdentities returns the records of an NDJSON import source
// of [Service.ImportPasswordIdentities]: one identity per line, a JSON
// object with the fields of [PasswordIdentity], e.g.
//
//	{"email": "ada@example.com", "password_hash": "c2NyeXB0AA8AAAAIAAAAA…", "customer_id": "cus_01J…"}
//
// See bulk.DecodeNDJSON for the rules of the format.
func DecodePasswordIdentities(r io.Reader) bulk.Source[PasswordIdentity] {
	return bulk.DecodeNDJSON[PasswordIdentity](r)
}

// ImportPasswordIdentities creates emailpass identities that have a
// password already, as Register would have created them (an auth identity
// with one emailpass provider identity whose entity_id is the email and
// whose provider_metadata holds the hash), in batches: each batch is
// validated in full and written in one unit of work, or refused as a whole
// when one of its records is bad (see package bulk, and customer.Service.
// Import, which works the same way).
//
// A record needs a valid email and a hash that opts.CheckHash accepts. Its
// email must be free: not used by another record of the batch, nor by a
// stored emailpass identity (case-insensitively; a soft-deleted identity
// with the same email keeps it too, as Medusa's unique index does).
//
// The identities are not reported to an audit log or event sink, one by
// one; the caller has the report, and opts.Written, when set, is told the
// id of each auth identity written (with its line and email, trimmed and
// lower-cased) after its batch commits. The hash is never written to a
// report or an error.
//
// To link the identities to customers imported just before, collect the
// customers' ids with the Written option of customer.Service.Import (by
// email) and set each record's CustomerID.
func (s *Service) ImportPasswordIdentities(ctx context.Context, src bulk.Source[PasswordIdentity], opts PasswordImportOptions) (bulk.Report, error) {
	if err := opts.Check(); err != nil {
		return bulk.Report{}, err
	}
	if src == nil {
		return bulk.Report{}, errors.New("auth: ImportPasswordIdentities needs a source")
	}
	ep, ok := s.providers[emailpass.ID]
	if !ok {
		return bulk.Report{}, errors.New("auth: ImportPasswordIdentities needs the emailpass provider")
	}
	check := opts.CheckHash
	if check == nil {
		check = emailpass.CheckHash
		if p, ok := ep.(interface{ CheckImportedHash(string) error }); ok {
			// The service's own provider: its Limits apply too.
			check = p.CheckImportedHash
		}
	}
	return batch.Run(ctx, src, opts.Options, batch.Spec[PasswordIdentity, *AuthIdentity]{
		Tx:      s.st,
		Prepare: func(p PasswordIdentity) (*AuthIdentity, error) { return s.preparePassword(p, check) },
		Key:     func(a *AuthIdentity) string { return a.ProviderIdentities[0].EntityID },
		Duplicate: func(a *AuthIdentity, first int) error {
			return &bulk.DuplicateError{Field: "email", Value: a.ProviderIdentities[0].EntityID, FirstLine: first, Err: ErrConflict}
		},
		Check: s.checkPasswordImport,
		Write: func(ctx context.Context, ids []*AuthIdentity) error {
			if im, ok := s.st.(IdentityImporter); ok {
				return identityDom.Classify(im.ImportAuthIdentities(ctx, ids))
			}
			return identityDom.Classify(s.st.InsertAuthIdentities(ctx, ids))
		},
		Identify: func(a *AuthIdentity) (string, string) { return a.ID, a.ProviderIdentities[0].EntityID },
	})
}

// preparePassword validates one record and builds its identity.
func (s *Service) preparePassword(p PasswordIdentity, check func(string) error) (*AuthIdentity, error) {
	if err := text.Fields("", p); err != nil {
		return nil, identityDom.Classify(err)
	}
	addr, err := email.Normalize("email", p.Email)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	if addr == "" {
		return nil, identityDom.Invalidf("email", "is required")
	}
	if p.PasswordHash == "" {
		return nil, identityDom.Invalidf("password_hash", "is required")
	}
	if err := check(p.PasswordHash); err != nil {
		return nil, identityDom.Invalidf("password_hash", "is not a hash the emailpass provider verifies: %v", err)
	}
	am, err := meta.Normalize("app_metadata", p.AppMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	if p.CustomerID != "" {
		if v, ok := am["customer_id"]; ok && v != p.CustomerID {
			return nil, identityDom.Invalidf("customer_id", "differs from app_metadata.customer_id")
		}
		if am == nil {
			am = map[string]any{}
		}
		am["customer_id"] = p.CustomerID
	}
	now := s.clock()
	a := &AuthIdentity{ID: newAuthIdentityID(), AppMetadata: am, CreatedAt: now, UpdatedAt: now}
	pi, err := s.buildProviderIdentity("", NewProviderIdentity{
		Provider: emailpass.ID, EntityID: addr, ProviderMetadata: map[string]any{"password": p.PasswordHash},
	}, a.ID, now)
	if err != nil {
		return nil, err
	}
	a.ProviderIdentities = []*ProviderIdentity{pi}
	return a, nil
}

// checkPasswordImport returns the errors of the identities of ids whose
// email a stored emailpass identity has: a live one whatever the case, or
// a soft-deleted one exactly (Medusa's unique index keeps its pair).
func (s *Service) checkPasswordImport(ctx context.Context, ids []*AuthIdentity) (map[int]error, error) {
	at := make(map[string]int, len(ids))
	keys := make([]string, len(ids))
	for i, a := range ids {
		keys[i] = a.ProviderIdentities[0].EntityID
		at[keys[i]] = i
	}
	var faults map[int]error
	for chunk := range slices.Chunk(keys, store.MaxFilterValues) {
		found, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{EntityIDsFold: chunk, Providers: []string{emailpass.ID}},
			store.ListOptions{WithDeleted: true})
		if err != nil {
			return nil, err
		}
		for _, pi := range found {
			key := strings.ToLower(pi.EntityID)
			i, ok := at[key]
			if !ok || (pi.DeletedAt != nil && pi.EntityID != key) {
				continue
			}
			if faults == nil {
				faults = map[int]error{}
			}
			faults[i] = &store.ConflictError{
				Entity: "Provider identity",
				Fields: [][2]string{{"entity_id", pi.EntityID}, {"provider", emailpass.ID}},
				Err:    ErrConflict,
			}
		}
	}
	return faults, nil
}

// String keeps a PasswordIdentity's hash out of logs and %v.
func (p PasswordIdentity) String() string {
	return fmt.Sprintf("{%s customer_id=%s}", p.Email, p.CustomerID)
}

// GoString keeps a PasswordIdentity's hash out of %#v.
func (p PasswordIdentity) GoString() string {
	return fmt.Sprintf("auth.PasswordIdentity{Email: %q, CustomerID: %q}", p.Email, p.CustomerID)
}
