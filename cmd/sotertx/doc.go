// Command sotertx is soterd's wallet: it keeps keys in a wallet file, shows
// their coins and sends coins over a node's RPC, and builds, signs and
// decodes transactions offline.
//
// Usage:
//
//	sotertx createwallet | newaddress | addresses | balance | listunspent  [options]
//	sotertx importkey --key file [options]
//	sotertx send <address> <amount> [--feerate coins/kB] [--allowhighfee] [options]
//	sotertx keygen [-o file]
//	sotertx address -key file [-hex]
//	sotertx create -in txid:index:amount:address [-in ...] -out address:amount [-out ...] [-locktime N] [-allowhighfee]
//	sotertx sign -key file [-key ...] -tx hex|- -prevout amount:address [-prevout ...]
//	sotertx decode -tx hex|-
//
// Amounts are coins ("12.5"; one coin is 100,000,000 base units) unless
// -units (--units) asks for base units. Addresses are bech32m (package
// address) of the chosen network: mainnet by default, -testnet, -regtest
// or -simnet otherwise; a raw 64-hex-character key is accepted too.
//
// The wallet commands talk to soterd over its websocket RPC, with
// soterctl's connection options (credentials from ~/.soterd/soterd.conf
// by default), and need soterd's --utxoindex. The wallet file (default
// ~/.sotertx/<network>/wallet.keys, mode 0600) is a list of independent
// random keys, not an HD seed: back it up after creating addresses,
// including the change address each send creates. send picks the largest
// spendable outputs first, pays the node's relay fee rate (or --feerate),
// sends any change of at least the dust limit to a new address of the
// wallet, saved before the transaction is signed, refuses a high fee
// (mempool.IsHighFee) unless --allowhighfee, submits the transaction and
// prints its txid, fee and change. balance, listunspent and send print
// JSON with the field names of the RPC's getbalance and listunspent.
//
// The offline commands look nothing up: keygen makes a key pair (with -o,
// a new 0600 key file, printing its address), address prints a key file's
// address, create builds an unsigned transaction and prints its fee on
// standard error (refusing a high fee, as a forgotten change output makes,
// unless -allowhighfee), sign signs each input with the key file whose key
// the spent output names, and decode prints a transaction with
// decoderawtransaction's field names. "-tx -" reads hex from standard
// input. Errors go to standard error with a non-zero exit.
package main
