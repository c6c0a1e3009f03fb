package procnode

// ErrorKind identifies a kind of procnode error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the kinds of procnode errors.
const (
	// ErrInvalidConfig indicates a Config that cannot start a node: no
	// binary, an unknown network, no home directory.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrBuild indicates that compiling the binaries failed.
	ErrBuild = ErrorKind("ErrBuild")

	// ErrExited indicates that the process exited before its RPC server
	// was ready. Error.ExitCode and Error.Output say how and why.
	ErrExited = ErrorKind("ErrExited")

	// ErrStartTimeout indicates that the process did not become ready
	// within Config.StartTimeout; it has been killed.
	ErrStartTimeout = ErrorKind("ErrStartTimeout")

	// ErrStopTimeout indicates that the process did not exit within
	// Config.StopTimeout of SIGTERM and was killed.
	ErrStopTimeout = ErrorKind("ErrStopTimeout")

	// ErrNotRunning indicates an operation that needs a running process.
	ErrNotRunning = ErrorKind("ErrNotRunning")

	// ErrRunning indicates an operation that needs a stopped process.
	ErrRunning = ErrorKind("ErrRunning")

	// ErrRPCTransport indicates an RPC call that got no JSON-RPC answer:
	// a refused connection, an HTTP error status or a malformed body.
	// Errors the server answers with are *rpcmodel.RPCError instead.
	ErrRPCTransport = ErrorKind("ErrRPCTransport")

	// ErrProc indicates a failure to read the process's /proc entry.
	ErrProc = ErrorKind("ErrProc")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// Error describes a procnode failure. Err is the ErrorKind, or an error that
// wraps it; Description says what went wrong. ExitCode and Output are set
// for ErrExited, ErrStartTimeout and ErrStopTimeout: the process's exit code
// (-1 when a signal ended it) and the last lines it printed.
type Error struct {
	Err         error
	Description string
	ExitCode    int
	Output      string
}

// Error satisfies the error interface and prints human-readable errors.
func (e Error) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e Error) Unwrap() error {
	return e.Err
}

// procError creates an Error of the given kind.
func procError(kind ErrorKind, desc string) Error {
	return Error{Err: kind, Description: desc}
}
