// Package blockdag implements the consensus core of soterd: block
// validation in three stages, the block index with GHOSTDAG coloring and a
// reachability index (kept in the store and read through bounded caches, so
// memory and start-up time do not grow with the DAG), the GHOSTDAG total
// order, the virtual block with its UTXO set, per-block undo diffs for
// moving the virtual's selected chain, the finality rule, an incremental
// UTXO commitment, difficulty adjustment, a bounded orphan pool,
// notifications to subscribers, an optional transaction index
// (Config.TxIndex, FindTransaction) and an optional index of the UTXO set by
// key (Config.UTXOIndex, ForEachUTXOOfKey), and assumed-valid blocks
// (Config.AssumeValid, MarkAssumedValid, HeadersInPast: the blocks marked
// as in that block's past skip their signature checks). It also holds the
// network parameters, address prefixes included.
//
// A BlockDAG is built over an open database.DB by New and is safe for
// concurrent use: ProcessBlock accepts blocks one at a time (callers may call
// it concurrently), and the read methods (BlockInfo, Tips, FetchUTXO,
// Order, ...) run alongside it. Every accepted block is written as a single
// database batch, so the store reopens consistently after a crash at any
// point. docs/consensus.md describes the rules as built.
//
// Package blockdag does not talk to the network, relay anything, keep a
// mempool, build block templates or mine: netsync, mempool and mining do,
// using the read API and the notifications. It does not prune: every block
// and every undo diff is kept. The virtual never moves off a chain block
// deeper than the finality depth (finality.go).
package blockdag
