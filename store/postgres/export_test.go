package postgres

import "time"

// CopyStatements returns the number of COPY statements run so far.
func CopyStatements() int64 { return copyStatements.Load() }

// VouchForReplica records a lag measure that vouches for the replica now,
// as if it had been measured caught up: it serves reads for the next half
// bound.
func (s *Store) VouchForReplica() {
	s.lag.ok.Store(true)
	s.lag.at.Store(time.Now().UnixNano())
}
