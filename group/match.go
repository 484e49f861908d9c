package group

// Match names groups by id or by name; a customer matches when it belongs
// to any of them.
type Match struct {
	IDs   []string
	Names []string
}
