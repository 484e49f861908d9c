package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clientele/clientele/store"
)

// uniqueRule describes a unique index (or primary key) of Medusa's schema:
// the entity named in conflict messages and the indexed columns.
type uniqueRule struct {
	entity string
	cols   []string
}

var uniqueRules = map[string]uniqueRule{
	"IDX_customer_email_has_account_unique":         {"Customer", []string{"email", "has_account"}},
	"IDX_customer_group_name_unique":                {"Customer group", []string{"name"}},
	"IDX_customer_address_unique_customer_shipping": {"Customer address", []string{"customer_id"}},
	"IDX_customer_address_unique_customer_billing":  {"Customer address", []string{"customer_id"}},
	"customer_pkey":                {"Customer", []string{"id"}},
	"customer_address_pkey":        {"Customer address", []string{"id"}},
	"customer_group_pkey":          {"Customer group", []string{"id"}},
	"customer_group_customer_pkey": {"Customer group customer", []string{"id"}},

	// Not partial: soft-deleted provider identities keep their pair.
	"IDX_provider_identity_provider_entity_id": {"Provider identity", []string{"entity_id", "provider"}},
	"auth_identity_pkey":                       {"Auth identity", []string{"id"}},
	"provider_identity_pkey":                   {"Provider identity", []string{"id"}},
	"auth_password_reset_token_pkey":           {"Auth password reset token", []string{"id"}},

	"IDX_auth_mfa_factor_auth_identity_provider_active":  {"Auth mfa factor", []string{"auth_identity_id", "provider"}},
	"IDX_auth_mfa_recovery_code_auth_identity_code_hash": {"Auth mfa recovery code", []string{"auth_identity_id", "code_hash"}},
	"auth_mfa_factor_pkey":                               {"Auth mfa factor", []string{"id"}},
	"auth_mfa_recovery_code_pkey":                        {"Auth mfa recovery code", []string{"id"}},
	"clientele_mfa_challenge_pkey":                       {"MFA challenge", []string{"id"}},
}

// foreignKeys maps each foreign key of Medusa's schema to the model name of
// the referenced entity.
var foreignKeys = map[string]string{
	"customer_address_customer_id_foreign":              "Customer",
	"customer_group_customer_customer_id_foreign":       "Customer",
	"customer_group_customer_customer_group_id_foreign": "CustomerGroup",

	"provider_identity_auth_identity_id_foreign":             "AuthIdentity",
	"auth_password_reset_token_auth_identity_id_foreign":     "AuthIdentity",
	"auth_password_reset_token_provider_identity_id_foreign": "ProviderIdentity",
	"auth_mfa_factor_auth_identity_id_foreign":               "AuthIdentity",
	"auth_mfa_recovery_code_auth_identity_id_foreign":        "AuthIdentity",
	"auth_verification_auth_identity_id_foreign":             "AuthIdentity",
	"clientele_mfa_challenge_auth_identity_id_foreign":       "AuthIdentity",
}

// translate turns an error of the database into clientele's error kinds:
// a cancelled or expired ctx into an error wrapping ctx.Err(), a unique
// violation into a *store.ConflictError, a foreign key violation into a
// *store.NotFoundError, and a serialization failure or deadlock into an
// error wrapping store.ErrConflict (retrying may succeed), a statement
// over statement_timeout into ErrStatementTimeout. Anything else is
// wrapped with the operation's name.
func translate(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		return fmt.Errorf("postgres: %s: %w (%v)", op, cerr, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			if ce := conflictError(pe); ce != nil {
				return ce
			}
		case "23503": // foreign_key_violation
			if nf := notFoundError(pe); nf != nil {
				return nf
			}
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrConflict, err)
		case "57014": // query_canceled, with ctx alive: statement_timeout
			return fmt.Errorf("postgres: %s: %w", op, ErrStatementTimeout)
		}
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) && coded.SQLState() == "23505" {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrConflict, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// conflictError builds Medusa's conflict error from a unique violation,
// taking the values from the error's detail, e.g.
// "Key (email, has_account)=(a@b.c, f) already exists.".
func conflictError(pe *pgconn.PgError) *store.ConflictError {
	rule, ok := uniqueRules[pe.ConstraintName]
	if !ok {
		return nil
	}
	values, ok := keyValues(pe.Detail, " already exists.", len(rule.cols))
	if !ok {
		values = make([]string, len(rule.cols))
	}
	ce := &store.ConflictError{Entity: rule.entity, Fields: make([][2]string, len(rule.cols))}
	for i, col := range rule.cols {
		v := values[i]
		if col == "has_account" {
			v = pgBool(v)
		}
		ce.Fields[i] = [2]string{col, v}
	}
	return ce
}

// notFoundError reports the missing row of a foreign key violation, e.g.
// `Key (customer_id)=(cus_1) is not present in table "customer".`.
func notFoundError(pe *pgconn.PgError) *store.NotFoundError {
	entity, ok := foreignKeys[pe.ConstraintName]
	if !ok {
		return nil
	}
	values, ok := keyValues(pe.Detail, " is not present", 1)
	if !ok {
		return &store.NotFoundError{Entity: entity}
	}
	return &store.NotFoundError{Entity: entity, IDs: values}
}

// keyValues parses the values out of "Key (c1, c2)=(v1, v2)<suffix>…": n
// values, the first taking whatever the others leave (the later columns of
// our rules are booleans, ids and provider ids, which hold no ", ").
func keyValues(detail, suffix string, n int) ([]string, bool) {
	_, rest, ok := strings.Cut(detail, ")=(")
	if !ok {
		return nil, false
	}
	end := strings.LastIndex(rest, ")"+suffix)
	if end < 0 {
		return nil, false
	}
	rest = rest[:end]
	out := make([]string, n)
	for i := n - 1; i > 0; i-- {
		j := strings.LastIndex(rest, ", ")
		if j < 0 {
			return nil, false
		}
		out[i] = rest[j+2:]
		rest = rest[:j]
	}
	out[0] = rest
	return out, true
}

func pgBool(v string) string {
	switch v {
	case "t", "true":
		return "true"
	case "f", "false":
		return "false"
	}
	return v
}
