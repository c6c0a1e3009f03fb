package rpcserver

// ErrorKind identifies a kind of server setup error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify what New and GenCertPair can fail on. Errors a
// client causes are JSON-RPC errors (rpcmodel.RPCError), not these.
const (
	// ErrInvalidConfig: a Config field is missing or out of range.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrNoTLSNonLoopback: TLS is off and a listen address is not a
	// loopback address, which would send passwords in the clear.
	ErrNoTLSNonLoopback = ErrorKind("ErrNoTLSNonLoopback")

	// ErrCert: the TLS certificate or key cannot be read, generated or
	// written.
	ErrCert = ErrorKind("ErrCert")

	// ErrListen: a listen address cannot be bound.
	ErrListen = ErrorKind("ErrListen")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a server setup failure. Err is the ErrorKind; Description
// names the option or file and what is wrong with it.
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

// serverError creates an Error of the given kind.
func serverError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
