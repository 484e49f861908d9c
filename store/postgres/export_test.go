package postgres

// CopyStatements returns the number of COPY statements run so far.
func CopyStatements() int64 { return copyStatements.Load() }
