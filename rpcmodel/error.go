package rpcmodel

import "fmt"

// RPCErrorCode is a JSON-RPC error code. The values are btcd's (which are
// bitcoind's), so clients written for those daemons recognise the failures.
type RPCErrorCode int

// Standard JSON-RPC 2.0 error codes.
const (
	// ErrRPCInvalidRequest: the envelope is not a valid request.
	ErrRPCInvalidRequest RPCErrorCode = -32600

	// ErrRPCMethodNotFound: no such method.
	ErrRPCMethodNotFound RPCErrorCode = -32601

	// ErrRPCInvalidParams: wrong parameter count or type, or a method the
	// limited user may not call (btcd answers that with this code too).
	ErrRPCInvalidParams RPCErrorCode = -32602

	// ErrRPCInternal: a bug on the server side.
	ErrRPCInternal RPCErrorCode = -32603

	// ErrRPCParse: the request body is not JSON.
	ErrRPCParse RPCErrorCode = -32700
)

// General application error codes.
const (
	// ErrRPCMisc is a failure with no more specific code.
	ErrRPCMisc RPCErrorCode = -1

	// ErrRPCType: a value has the wrong type (an amount that is not a
	// number, for example).
	ErrRPCType RPCErrorCode = -3

	// ErrRPCInvalidAddressOrKey: an address or public key is malformed, or
	// an object it names does not exist.
	ErrRPCInvalidAddressOrKey RPCErrorCode = -5

	// ErrRPCInvalidParameter: a parameter has the right type but an invalid
	// value, such as a number out of its range.
	ErrRPCInvalidParameter RPCErrorCode = -8

	// ErrRPCDatabase: the store failed.
	ErrRPCDatabase RPCErrorCode = -20

	// ErrRPCDeserialization: a raw transaction or block does not decode.
	ErrRPCDeserialization RPCErrorCode = -22

	// ErrRPCVerify: a transaction or block was rejected by the rules.
	ErrRPCVerify RPCErrorCode = -25

	// ErrRPCInWarmup: the node is still starting.
	ErrRPCInWarmup RPCErrorCode = -28
)

// Peer-to-peer client error codes.
const (
	// ErrRPCClientNotConnected: the node has no peers.
	ErrRPCClientNotConnected RPCErrorCode = -9

	// ErrRPCClientInInitialDownload: the node is still syncing.
	ErrRPCClientInInitialDownload RPCErrorCode = -10

	// ErrRPCClientNodeNotAdded: addnode remove of a node never added.
	ErrRPCClientNodeNotAdded RPCErrorCode = -24
)

// Specific codes that btcd names separately; several share a number.
const (
	// ErrRPCBlockNotFound: no block with that hash.
	ErrRPCBlockNotFound RPCErrorCode = -5

	// ErrRPCNoTxInfo: no transaction with that id is known.
	ErrRPCNoTxInfo RPCErrorCode = -5

	// ErrRPCInvalidTxVout: an output index out of range.
	ErrRPCInvalidTxVout RPCErrorCode = -5

	// ErrRPCDifficulty: the request makes no sense at this network's
	// difficulty (generate on mainnet, for example).
	ErrRPCDifficulty RPCErrorCode = -5

	// ErrRPCOutOfRange: a height or index beyond the DAG.
	ErrRPCOutOfRange RPCErrorCode = -1

	// ErrRPCDecodeHexString: a hex string does not decode.
	ErrRPCDecodeHexString RPCErrorCode = -22

	// ErrRPCUnimplemented: a method the node does not offer in this
	// configuration (no miner, no peers, ...).
	ErrRPCUnimplemented RPCErrorCode = -1
)

// RPCError is the "error" member of a response. It is an error, so a method
// handler can return it and keep its code.
type RPCError struct {
	Code    RPCErrorCode `json:"code"`
	Message string       `json:"message"`
}

// Error returns "code: message", the form btcctl and soterctl print.
func (e *RPCError) Error() string {
	return fmt.Sprintf("%d: %s", e.Code, e.Message)
}

// NewRPCError returns an RPCError with the code and message.
func NewRPCError(code RPCErrorCode, message string) *RPCError {
	return &RPCError{Code: code, Message: message}
}

// Errorf returns an RPCError with the code and a formatted message.
func Errorf(code RPCErrorCode, format string, args ...interface{}) *RPCError {
	return &RPCError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorKind identifies a kind of parameter error found while parsing a
// request against the method table. It satisfies the error interface so
// callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the ways a request's method or parameters can be
// wrong.
const (
	// ErrUnknownMethod: the method is not in the table.
	ErrUnknownMethod = ErrorKind("ErrUnknownMethod")

	// ErrParamCount: too few or too many parameters.
	ErrParamCount = ErrorKind("ErrParamCount")

	// ErrParamType: a parameter has the wrong JSON type.
	ErrParamType = ErrorKind("ErrParamType")

	// ErrParamRange: a numeric parameter is outside its allowed range.
	ErrParamRange = ErrorKind("ErrParamRange")

	// ErrParamsNotArray: the params member is neither absent, null nor an
	// array.
	ErrParamsNotArray = ErrorKind("ErrParamsNotArray")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// ParamError describes a request whose method or parameters do not match the
// method table. Err is the ErrorKind; Description is the message for the
// client.
type ParamError struct {
	Err         error
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e ParamError) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e ParamError) Unwrap() error {
	return e.Err
}

// paramError returns a ParamError of the kind with a formatted description.
func paramError(kind ErrorKind, format string, args ...interface{}) ParamError {
	return ParamError{Err: kind, Description: fmt.Sprintf(format, args...)}
}

// RPCCode returns the btcd error code for the parameter error: an unknown
// method is -32601, a value out of range -8, everything else -32602 (btcd's
// answer to any request its command parser refuses).
func (e ParamError) RPCCode() RPCErrorCode {
	switch e.Err {
	case ErrUnknownMethod:
		return ErrRPCMethodNotFound
	case ErrParamRange:
		return ErrRPCInvalidParameter
	}
	return ErrRPCInvalidParams
}

// ToRPCError converts the parameter error to the RPCError a server returns.
func (e ParamError) ToRPCError() *RPCError {
	return &RPCError{Code: e.RPCCode(), Message: e.Description}
}
