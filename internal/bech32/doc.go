// Package bech32 implements the bech32m string encoding of BIP-350: a
// human-readable prefix, the separator '1', data in a 32-character alphabet
// and a six-character BCH checksum that detects any error in up to four
// characters.
//
// Only bech32m is implemented: the original bech32 constant of BIP-173 has
// a known weakness with inserted or deleted 'q' characters next to a final
// 'p', and soterd has no older addresses to read. The package knows nothing
// of keys, networks or address versions; package address builds those on
// top of it. It does not log.
package bech32
