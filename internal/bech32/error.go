package bech32

// ErrorKind identifies a kind of bech32m error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify why a string is not valid bech32m.
const (
	// ErrLength: the string is shorter than a prefix, separator and
	// checksum, or longer than the 90 characters BIP-350 allows.
	ErrLength = ErrorKind("ErrLength")

	// ErrMixedCase: the string mixes upper and lower case letters.
	ErrMixedCase = ErrorKind("ErrMixedCase")

	// ErrSeparator: the string has no '1' separator, or an empty prefix.
	ErrSeparator = ErrorKind("ErrSeparator")

	// ErrCharacter: a character outside the prefix's printable ASCII
	// range, or a data character outside the bech32 alphabet.
	ErrCharacter = ErrorKind("ErrCharacter")

	// ErrChecksum: the checksum does not match, so at least one character
	// was mistyped.
	ErrChecksum = ErrorKind("ErrChecksum")

	// ErrPadding: a conversion from 5-bit groups to bytes left more than
	// four bits over, or non-zero padding bits.
	ErrPadding = ErrorKind("ErrPadding")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a decoding failure. Err is the ErrorKind and Description
// says what was wrong and where.
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

func bechError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
