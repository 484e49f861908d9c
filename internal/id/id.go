// Package id makes Medusa-style record ids: a prefix, an underscore and a
// ULID.
package id

import "github.com/oklog/ulid/v2"

// Prefixes Medusa uses for the customer module.
const (
	Customer        = "cus"
	Address         = "cuaddr"
	Group           = "cusgroup"
	GroupMembership = "cusgc"
	AuthIdentity    = "authid"
	ResetToken      = "authprt"
	// Audit prefixes the entries of clientele's audit log.
	Audit = "audit"
)

// New returns prefix + "_" + a new ULID. ULIDs made by one process are
// strictly increasing, so ids sort in creation order, which is Medusa's
// default list order.
func New(prefix string) string {
	return prefix + "_" + ulid.Make().String()
}
