package sdnotify

import "fmt"

// ErrorKind identifies a kind of error; use errors.Is against the constants.
type ErrorKind string

// Error satisfies the error interface.
func (e ErrorKind) Error() string { return string(e) }

const (
	// ErrBadMessage is a message that cannot be sent: an empty one.
	ErrBadMessage = ErrorKind("ErrBadMessage")

	// ErrSend is a failure to reach $NOTIFY_SOCKET.
	ErrSend = ErrorKind("ErrSend")

	// ErrBadEnv is a malformed $WATCHDOG_USEC.
	ErrBadEnv = ErrorKind("ErrBadEnv")
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
