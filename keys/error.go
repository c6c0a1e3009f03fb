package keys

// ErrorKind identifies a kind of key or signing error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify what went wrong with a key, a key file or a
// signing request.
const (
	// ErrBadKeyEncoding: a private or public key is not the hex of the
	// right number of bytes.
	ErrBadKeyEncoding = ErrorKind("ErrBadKeyEncoding")

	// ErrBadPrivateKey: a private key is zero or not below the curve order,
	// so no public key belongs to it.
	ErrBadPrivateKey = ErrorKind("ErrBadPrivateKey")

	// ErrBadPublicKey: 32 bytes that are not the x coordinate of a point on
	// secp256k1.
	ErrBadPublicKey = ErrorKind("ErrBadPublicKey")

	// ErrKeyFile: a key file is missing, unreadable, malformed or readable
	// by other users.
	ErrKeyFile = ErrorKind("ErrKeyFile")

	// ErrKeyFileExists: creating a key file would overwrite an existing
	// file.
	ErrKeyFileExists = ErrorKind("ErrKeyFileExists")

	// ErrSignInputs: the previous outputs or keys given to SignTx do not
	// match the transaction's inputs.
	ErrSignInputs = ErrorKind("ErrSignInputs")

	// ErrKeyMismatch: a private key does not belong to the public key of
	// the output its input spends.
	ErrKeyMismatch = ErrorKind("ErrKeyMismatch")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a key or signing failure. Err is the ErrorKind, and
// Description says what was wrong. Callers use errors.Is(err, ErrX) to tell
// kinds apart.
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

// keyError creates an Error of the given kind.
func keyError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
