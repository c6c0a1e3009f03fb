// Package mempool implements the pool of unconfirmed transactions: the
// transactions a node relays and mines, each valid against the UTXO set of
// the virtual block plus the outputs of the pool's other transactions, so
// chains of unconfirmed transactions are fine.
//
// A transaction enters through ProcessTransaction, which applies the
// consensus rules of package blockdag (sanity, existence and maturity of the
// spent outputs, finality at the next block's blue score, amounts,
// signatures) and the pool's own policy: no coinbases, a maximum size, a
// minimum relay fee rate, a dust limit on every output, no spending of an
// output another pool transaction already spends, and a bound on the pool's
// total bytes that evicts the lowest fee rate first. A transaction whose
// inputs are unknown is an orphan: it waits in a small pool bounded by count,
// bytes and age, and is promoted when its parents arrive.
//
// The node calls HandleVirtualChanged on every change of the virtual block:
// the pool drops the transactions that became accepted and those that now
// conflict with accepted ones, and takes back the transactions of blocks that
// lost acceptance where they are still valid.
//
// The pool does not fetch anything from peers, relay, or know about blocks
// and the DAG beyond the two functions its Config gives it (the virtual's
// UTXO set and blue score). It replaces no transaction by another (no
// replace-by-fee), and does not order transactions for mining beyond sorting
// them by fee rate: package mining builds blocks from MiningDescs.
//
// All methods of TxPool are safe for concurrent use.
package mempool
