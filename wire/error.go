package wire

// ErrorKind identifies a kind of wire error. It satisfies the error interface
// so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the kinds of wire errors.
const (
	// ErrMalformed indicates bytes that do not decode into the expected
	// structure, such as a truncated field.
	ErrMalformed = ErrorKind("ErrMalformed")

	// ErrNonCanonical indicates a variable-length integer that is not encoded
	// in its shortest form.
	ErrNonCanonical = ErrorKind("ErrNonCanonical")

	// ErrTooMany indicates a count or length read from the wire that exceeds
	// its hard bound.
	ErrTooMany = ErrorKind("ErrTooMany")

	// ErrTrailingBytes indicates a payload with bytes left over after its
	// message was decoded.
	ErrTrailingBytes = ErrorKind("ErrTrailingBytes")

	// ErrBadMagic indicates a frame that does not start with the expected
	// network magic.
	ErrBadMagic = ErrorKind("ErrBadMagic")

	// ErrBadChecksum indicates a frame whose payload does not match its
	// checksum.
	ErrBadChecksum = ErrorKind("ErrBadChecksum")

	// ErrPayloadTooLarge indicates a frame whose declared payload length is
	// over the limit for its command or for any message.
	ErrPayloadTooLarge = ErrorKind("ErrPayloadTooLarge")

	// ErrUnknownCommand indicates a frame with a command this version of the
	// protocol does not know. The frame's payload has been consumed, so the
	// stream is still aligned on the next frame.
	ErrUnknownCommand = ErrorKind("ErrUnknownCommand")

	// ErrBadCommand indicates a command field that is not NUL-padded
	// printable ASCII.
	ErrBadCommand = ErrorKind("ErrBadCommand")

	// ErrInvalidValue indicates a field whose value is out of its range, for
	// example an unknown inventory type.
	ErrInvalidValue = ErrorKind("ErrInvalidValue")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// MessageError describes a failure to encode or decode a message or frame. Err
// is the ErrorKind; Description says what was wrong in words a person can act
// on.
type MessageError struct {
	Err         error
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e MessageError) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e MessageError) Unwrap() error {
	return e.Err
}

// messageError creates a MessageError of the given kind.
func messageError(kind ErrorKind, desc string) MessageError {
	return MessageError{Err: kind, Description: desc}
}
