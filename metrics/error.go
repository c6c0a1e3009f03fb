package metrics

import "fmt"

// ErrorKind identifies a kind of error; use errors.Is against the constants.
type ErrorKind string

// Error satisfies the error interface.
func (e ErrorKind) Error() string { return string(e) }

const (
	// ErrInvalidConfig is a Config the server cannot run with.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrListen is a listen address that cannot be bound.
	ErrListen = ErrorKind("ErrListen")
)

// RuleError is an error of a given kind with a message for the operator.
type RuleError struct {
	Err         ErrorKind
	Description string
}

// Error satisfies the error interface.
func (e RuleError) Error() string { return e.Description }

// Unwrap returns the kind, for errors.Is.
func (e RuleError) Unwrap() error { return e.Err }

func ruleError(kind ErrorKind, format string, args ...interface{}) RuleError {
	return RuleError{Err: kind, Description: fmt.Sprintf(format, args...)}
}
