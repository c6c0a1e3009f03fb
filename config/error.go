package config

// ErrorKind identifies a kind of configuration error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the kinds of configuration errors.
const (
	// ErrHelpRequested indicates that -h or --help was given. The error's
	// description is the help text, which the caller prints before it
	// exits successfully.
	ErrHelpRequested = ErrorKind("ErrHelpRequested")

	// ErrUnknownOption indicates an option that does not exist, on the
	// command line or in the conf file.
	ErrUnknownOption = ErrorKind("ErrUnknownOption")

	// ErrInvalidOption indicates an option whose value cannot be parsed or
	// is out of its range.
	ErrInvalidOption = ErrorKind("ErrInvalidOption")

	// ErrConflictingOptions indicates options that are each valid but
	// cannot be used together.
	ErrConflictingOptions = ErrorKind("ErrConflictingOptions")

	// ErrConfigFile indicates a conf file that cannot be read or is not
	// well formed, such as an explicit --configfile that does not exist.
	ErrConfigFile = ErrorKind("ErrConfigFile")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a configuration problem. Err is the ErrorKind; Description
// names the option (and the file and line for the conf file) and says what
// is wrong and what is accepted.
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

// configError creates an Error of the given kind.
func configError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
