// Package wire implements the soterd peer-to-peer wire protocol: the message
// frame, every message type, and the block and transaction types that are the
// node's domain objects.
//
// The same serialization is used on the wire and on disk, so a block or a
// transaction has exactly one byte representation. Every decoder works on a
// complete payload held in memory (the frame reader bounds and reads it first)
// and checks each count and length against a hard bound, and against the bytes
// that remain, before it allocates. Decoding never panics on any input.
//
// The protocol is described byte by byte, for implementers of other peers,
// in docs/protocol.md.
//
// Package wire does not validate consensus rules (proof of work, signatures,
// amounts, parents): that is package blockdag's job. It does not log and keeps
// no state.
package wire
