// Package rpcmodel implements the shared vocabulary of soterd's JSON-RPC
// server (package rpcserver) and its clients (cmd/soterctl, tests): the
// request and response envelopes, the method table (each method's name,
// category, parameters with their JSON types, optional values and defaults,
// help text and whether the limited RPC user may call it), the parsing and
// validation of parameters against that table, the btcd-compatible error
// codes, and the JSON result structs.
//
// The house style keeps JSON result structs in the package that serves them.
// They live here instead, deliberately: soterctl and the tests decode the
// very same structs the server encodes, so a field renamed on one side cannot
// silently drift from the other. Package rpcserver is still the only package
// that fills them.
//
// Conventions follow btcd so that its clients and tools work unchanged:
// JSON-RPC 1.0 envelopes, positional parameters, hashes as byte-reversed hex,
// amounts in coins as JSON numbers, and the same error codes for the same
// failures (wrong parameter count or type: -32602; bad hex: -22; unknown
// block or transaction: -5; out of range: -1 or -8).
//
// Package rpcmodel does no I/O and keeps no state: it neither serves nor
// sends requests, and it knows nothing about the DAG beyond the shapes of the
// results. Everything it exports is safe for concurrent use.
package rpcmodel
