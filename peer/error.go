package peer

// ErrorKind identifies a kind of peer error. It satisfies the error interface
// so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the reasons a peer disconnects or refuses a call.
const (
	// ErrInvalidAddress indicates an outbound address that is not
	// host:port.
	ErrInvalidAddress = ErrorKind("ErrInvalidAddress")

	// ErrHandshakeTimeout indicates a remote that did not finish the
	// version/verack exchange within the handshake timeout.
	ErrHandshakeTimeout = ErrorKind("ErrHandshakeTimeout")

	// ErrHandshakeProtocol indicates a remote that sent something other
	// than version (first) and verack (second) during the handshake.
	ErrHandshakeProtocol = ErrorKind("ErrHandshakeProtocol")

	// ErrWrongNetwork indicates a remote whose frames carry another
	// network's magic.
	ErrWrongNetwork = ErrorKind("ErrWrongNetwork")

	// ErrWrongGenesis indicates a remote on our network magic whose version
	// message names another genesis block, that is, another chain.
	ErrWrongGenesis = ErrorKind("ErrWrongGenesis")

	// ErrOldVersion indicates a remote whose protocol version is below
	// wire.MinProtocolVersion.
	ErrOldVersion = ErrorKind("ErrOldVersion")

	// ErrSelfConnection indicates a connection to ourselves, detected by a
	// version nonce that this process sent.
	ErrSelfConnection = ErrorKind("ErrSelfConnection")

	// ErrVersionRejected indicates that the OnVersion listener refused the
	// remote's version message.
	ErrVersionRejected = ErrorKind("ErrVersionRejected")

	// ErrProtocolViolation indicates a frame or payload that breaks the
	// wire protocol badly enough that the stream cannot be trusted: bad
	// magic, bad checksum, an oversized frame, a malformed payload.
	ErrProtocolViolation = ErrorKind("ErrProtocolViolation")

	// ErrIdleTimeout indicates that no message arrived for the idle
	// timeout, or that a write did not complete within it.
	ErrIdleTimeout = ErrorKind("ErrIdleTimeout")

	// ErrStalled indicates that a getblocks or getdata we sent got no
	// answer within the stall timeout.
	ErrStalled = ErrorKind("ErrStalled")

	// ErrSendQueueFull indicates that more messages were queued for the
	// peer than it was draining, past the queue bound.
	ErrSendQueueFull = ErrorKind("ErrSendQueueFull")

	// ErrConnectionClosed indicates that the remote closed the connection
	// or the connection failed.
	ErrConnectionClosed = ErrorKind("ErrConnectionClosed")

	// ErrDisconnectRequested indicates that Disconnect was called.
	ErrDisconnectRequested = ErrorKind("ErrDisconnectRequested")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// RuleError describes why a peer was disconnected or a call failed. Err is
// the ErrorKind, Description says what happened in words an operator can act
// on, and Score is the misbehaviour score the event was reported with (zero
// when it was not misbehaviour).
type RuleError struct {
	Err         error
	Description string
	Score       uint32
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e RuleError) Unwrap() error {
	return e.Err
}

// ruleError creates a RuleError of the given kind without a score.
func ruleError(kind ErrorKind, desc string) RuleError {
	return RuleError{Err: kind, Description: desc}
}
