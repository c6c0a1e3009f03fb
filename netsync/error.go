package netsync

// ErrorKind identifies a kind of netsync error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the errors the SyncManager returns to its callers.
const (
	// ErrInvalidConfig indicates a Config that is missing a required field
	// or holds a value out of its range.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrNotRunning indicates a call that needs the manager goroutine
	// while it is not running: before Start or after Stop.
	ErrNotRunning = ErrorKind("ErrNotRunning")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// RuleError describes a netsync error. Err is the ErrorKind; Description
// says what went wrong in words a person can act on.
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
