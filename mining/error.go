package mining

// ErrorKind identifies a kind of mining error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify why a template could not be built or a block
// not be mined.
const (
	// ErrTemplateState: the DAG's template state cannot make a valid block
	// (no parents, too many, duplicates, or bits that are no target).
	ErrTemplateState = ErrorKind("ErrTemplateState")

	// ErrTemplateInvalid: the DAG refused even a template without mempool
	// transactions. This is a bug, ours or the DAG's.
	ErrTemplateInvalid = ErrorKind("ErrTemplateInvalid")

	// ErrGenerateNotAllowed: Generate was called on a network with real
	// difficulty, where it could run for years.
	ErrGenerateNotAllowed = ErrorKind("ErrGenerateNotAllowed")

	// ErrBadGenerateCount: Generate was asked for no blocks or too many.
	ErrBadGenerateCount = ErrorKind("ErrBadGenerateCount")

	// ErrAlreadyMining: Generate was called while the CPU miner runs; the
	// two would race for the same tips.
	ErrAlreadyMining = ErrorKind("ErrAlreadyMining")

	// ErrBlockNotAccepted: SubmitBlock refused a mined block or kept it as
	// an orphan.
	ErrBlockNotAccepted = ErrorKind("ErrBlockNotAccepted")

	// ErrNoSolution: no nonce met the target within the attempts Generate
	// allows.
	ErrNoSolution = ErrorKind("ErrNoSolution")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a mining failure. Err is the ErrorKind, and Description
// says what was wrong; errors.Is(err, ErrX) tells kinds apart, and a wrapped
// cause (a blockdag.RuleError from SubmitBlock, say) stays reachable through
// Cause.
type Error struct {
	Err         error
	Description string
	Cause       error
}

// Error satisfies the error interface and prints human-readable errors.
func (e Error) Error() string {
	if e.Cause != nil {
		return e.Description + ": " + e.Cause.Error()
	}
	return e.Description
}

// Unwrap returns the error kind and the cause, so errors.Is and errors.As
// see both.
func (e Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// miningError creates an Error of the given kind.
func miningError(kind ErrorKind, desc string, cause error) Error {
	return Error{Err: kind, Description: desc, Cause: cause}
}
