package connmgr

// ErrorKind identifies a kind of connmgr error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the kinds of connmgr errors.
const (
	// ErrInvalidConfig indicates a configuration value out of its range.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrInvalidHost indicates a host that is neither an IP address nor
	// an ip:port.
	ErrInvalidHost = ErrorKind("ErrInvalidHost")

	// ErrWhitelisted indicates an attempt to ban a whitelisted host.
	ErrWhitelisted = ErrorKind("ErrWhitelisted")

	// ErrNoAddress indicates an address book with no address to offer.
	ErrNoAddress = ErrorKind("ErrNoAddress")

	// ErrBadFile indicates a persisted file (bans.json, peers.json) that
	// cannot be read back: not JSON, the wrong version, the wrong network,
	// or too large.
	ErrBadFile = ErrorKind("ErrBadFile")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// RuleError describes a connmgr error: Err is the ErrorKind and Description
// says what was wrong in words a person can act on.
type RuleError struct {
	Err         error
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e RuleError) Unwrap() error {
	return e.Err
}

// ruleError creates a RuleError of the given kind.
func ruleError(kind ErrorKind, desc string) RuleError {
	return RuleError{Err: kind, Description: desc}
}
