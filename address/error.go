package address

// ErrorKind identifies why a string is not an address of the expected
// network. It satisfies the error interface so callers can test for a kind
// with errors.Is.
type ErrorKind string

// These constants identify what is wrong with an address.
const (
	// ErrMalformed: the string is not bech32m at all (no separator, a
	// character outside the alphabet, too short or too long).
	ErrMalformed = ErrorKind("ErrMalformed")

	// ErrChecksum: the checksum does not match, so a character was
	// mistyped or the address was cut short.
	ErrChecksum = ErrorKind("ErrChecksum")

	// ErrWrongNetwork: the address is well formed but carries another
	// network's prefix.
	ErrWrongNetwork = ErrorKind("ErrWrongNetwork")

	// ErrVersion: the address has a version or a length this node does
	// not know.
	ErrVersion = ErrorKind("ErrVersion")

	// ErrBadKey: the address (or hex key) carries 32 bytes that are not
	// the x coordinate of a point on secp256k1.
	ErrBadKey = ErrorKind("ErrBadKey")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes why a string is not a usable address. Err is the
// ErrorKind and Description says what to do about it.
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

func addrError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
