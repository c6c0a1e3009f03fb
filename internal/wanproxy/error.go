package wanproxy

// ErrorKind identifies a kind of wanproxy error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the kinds of wanproxy errors.
const (
	// ErrInvalidConfig indicates a Config the proxy cannot run with: no
	// target, a negative delay or cap.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrListen indicates that the proxy could not listen.
	ErrListen = ErrorKind("ErrListen")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a wanproxy failure: Err is the ErrorKind, Description
// what went wrong.
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

// configError returns an ErrInvalidConfig error.
func configError(desc string) error {
	return Error{Err: ErrInvalidConfig, Description: desc}
}
