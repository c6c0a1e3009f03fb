package schnorrbatch

// ErrorKind identifies a kind of signature failure. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify why a signature does not verify.
const (
	// ErrPubKeyTooBig indicates a public key whose x coordinate is not
	// below the field prime p.
	ErrPubKeyTooBig = ErrorKind("ErrPubKeyTooBig")

	// ErrPubKeyNotOnCurve indicates a public key that is not the x
	// coordinate of a point on the curve.
	ErrPubKeyNotOnCurve = ErrorKind("ErrPubKeyNotOnCurve")

	// ErrSigRTooBig indicates a signature whose r is not below the field
	// prime p.
	ErrSigRTooBig = ErrorKind("ErrSigRTooBig")

	// ErrSigSTooBig indicates a signature whose s is not below the group
	// order n.
	ErrSigSTooBig = ErrorKind("ErrSigSTooBig")

	// ErrSigRNotOnCurve indicates a signature whose r is not the x
	// coordinate of a point on the curve. Only batch parsing, which lifts
	// R, reports it; single verification reports ErrSigRMismatch instead.
	ErrSigRNotOnCurve = ErrorKind("ErrSigRNotOnCurve")

	// ErrSigRInfinity indicates that s*G - e*P is the point at infinity.
	ErrSigRInfinity = ErrorKind("ErrSigRInfinity")

	// ErrSigROddY indicates that s*G - e*P has an odd y coordinate.
	ErrSigROddY = ErrorKind("ErrSigROddY")

	// ErrSigRMismatch indicates that the x coordinate of s*G - e*P is not
	// the signature's r.
	ErrSigRMismatch = ErrorKind("ErrSigRMismatch")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes why a signature does not verify. Err is the ErrorKind;
// Description says what went wrong.
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

// sigError creates an Error of the given kind.
func sigError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
