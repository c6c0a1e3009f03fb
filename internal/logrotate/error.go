package logrotate

// ErrorKind identifies a kind of logrotate error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the kinds of logrotate errors.
const (
	// ErrInvalidConfig indicates a Config field out of its range.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrClosed indicates a Write or Sync on a closed Writer.
	ErrClosed = ErrorKind("ErrClosed")

	// ErrTimeout indicates that Sync or Close gave up waiting for the
	// buffered bytes to reach the disk.
	ErrTimeout = ErrorKind("ErrTimeout")

	// ErrFile indicates a failure to open, write, rotate or compress a
	// log file.
	ErrFile = ErrorKind("ErrFile")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a logrotate failure. Err is the ErrorKind, or an error that
// wraps it; Description says what went wrong.
type Error struct {
	Err         error
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e Error) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e Error) Unwrap() error {
	return e.Err
}

// rotateError creates an Error of the given kind.
func rotateError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
