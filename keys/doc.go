// Package keys implements the key handling a miner and a person without a
// wallet need: BIP-340 (x-only secp256k1 Schnorr) key pairs, their hex
// encodings, a one-line key file for the node's mining key, and signing a
// transaction's inputs with the signature hash of package wire.
//
// Keys are raw here: their text form for people, the address with its
// checksum, is package address; there is no derivation and no encryption
// at rest. A key file holds a private key in plain hex,
// protected only by its 0600 mode, so keep it on the machine that uses it.
// The package is not a wallet (cmd/sotertx is): it does not track outputs
// or balances, pick coins or compute fees.
package keys
