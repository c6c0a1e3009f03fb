package database

// ErrorKind identifies a kind of database error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the kinds of database errors.
const (
	// ErrNotFound indicates that the requested key is not in the store.
	ErrNotFound = ErrorKind("ErrNotFound")

	// ErrInUse indicates that another process, or another open DB in this
	// process, holds the data directory.
	ErrInUse = ErrorKind("ErrInUse")

	// ErrCorrupt indicates a store that LevelDB cannot read consistently:
	// a damaged manifest or table, or missing files. The remedy is to remove
	// the data directory and resync from peers.
	ErrCorrupt = ErrorKind("ErrCorrupt")

	// ErrSchemaVersion indicates a store written with a schema version that
	// this software does not read.
	ErrSchemaVersion = ErrorKind("ErrSchemaVersion")

	// ErrClosed indicates use of a DB, or of one of its iterators, after the
	// DB was closed.
	ErrClosed = ErrorKind("ErrClosed")

	// ErrIO indicates a failure of the file system or of LevelDB that is not
	// one of the kinds above, such as a full disk or a permission problem.
	ErrIO = ErrorKind("ErrIO")

	// ErrReadOnly indicates a write to a DB opened with Options.ReadOnly.
	ErrReadOnly = ErrorKind("ErrReadOnly")

	// ErrInvalidOptions indicates an Options value out of its accepted range.
	ErrInvalidOptions = ErrorKind("ErrInvalidOptions")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a database failure. Err is the ErrorKind; Description says
// what went wrong, and for errors an operator must act on, what to do.
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

// dbError creates an Error of the given kind.
func dbError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
