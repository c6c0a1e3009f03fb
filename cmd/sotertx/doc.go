// Command sotertx makes keys and builds, signs and decodes transactions
// offline, without a node or a wallet.
//
// Usage:
//
//	sotertx keygen [-o file]
//	sotertx pubkey -key file
//	sotertx create -in txid:index:value:pubkey [-in ...] -out pubkey:value [-out ...] [-locktime N]
//	sotertx sign -key file [-key ...] -tx hex|- -prevout value:pubkey [-prevout ...]
//	sotertx decode -tx hex|-
//
// Values are integers in base units (100,000,000 to a coin), public keys
// 64 hex characters (x-only BIP-340 keys), txids byte-reversed hex as RPC
// shows them. keygen without -o prints a new private and public key; with
// -o it writes the private key to a new 0600 key file (never overwriting)
// and prints the public key. create prints the unsigned transaction as hex
// and its fee on standard error; sign takes the spent outputs in input
// order, signs each input with the key file whose public key the output is
// locked to, and prints the signed transaction as hex; decode prints a
// transaction as JSON. "-tx -" reads the hex from standard input, so create
// and sign can be piped. Errors go to standard error with a non-zero exit.
//
// sotertx does not look anything up: it cannot tell whether the outputs it
// spends exist, and it does not broadcast. Send the result with soterctl
// sendrawtransaction.
package main
