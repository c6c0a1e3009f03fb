// Package netsync implements the SyncManager, which downloads the block DAG
// from peers (the initial block download and every later catch-up), keeps
// the DAG and the transaction pool in step with the network, and decides
// which blocks and transactions to request and relay.
//
// # Manager
//
// One goroutine owns the manager's state and is driven by a bounded message
// channel. The peer handlers of package node enqueue what peers send
// (NewPeer, DonePeer, QueueInv, QueueBlock, QueueTx, QueueNotFound); the
// miner and RPC submit blocks with ProcessBlock, which waits for the DAG's
// verdict. IsCurrent, InSyncMode, SyncPeerID and SyncState read atomics and a
// snapshot, so RPC never waits behind a download. The manager never blocks
// on a peer: every message it sends goes through the peer's non-blocking
// queue.
//
// # Sync
//
// When a peer's max height is more than two above ours, the manager enters
// sync mode with the best such peer (the greatest height) and sends it
// getblocks from our max height to its tips. The pages of the answer are
// asked for ahead, at heights predicted from the first page, so the next inv
// is on its way while blocks download (pages.go). The listed blocks form
// the sync queue; the sync peer and every other peer whose height covers
// them (helpers) take blocks from its front while their windows have room,
// each window sized from the peer's measured rate and round trip
// (window.go, parallel.go). A helper that stalls or slows loses its blocks
// to the front of the queue within seconds. The manager leaves sync mode
// once everything requested arrived and our max height reached the sync
// peer's. A sync peer that delivers nothing for StallTimeout is
// disconnected and replaced; one that disconnects is replaced at once. In
// sync mode, blocks and block announcements of the other peers are dropped
// and their announcements kept; they are fetched when the sync ends, and
// our tips are then announced to every peer.
//
// A block whose parents are missing is an orphan. Its missing parents are
// requested by hash, a gap search (getblocks from below the orphan to the
// orphan, doubling the depth until the answer names a block we have)
// fetches missing branches of any depth in a logarithmic number of round
// trips, and when a requested parent connects at height h, getblocks(h,
// orphan) fetches the rest. docs/sync.md describes the protocol and why a
// download can never leave a gap.
//
// Outside sync mode, announced blocks are requested directly; transactions
// are requested, handed to the pool and relayed on to the other peers.
//
// # Assumed-valid blocks
//
// With Config.AssumeValid set and that block not in the DAG, the manager
// walks the block's past down from it with getheaders, page by page, beside
// the download, and has the DAG mark every block whose header is linked by
// hashes to it: those blocks skip their signature checks (assumevalid.go).
//
// # What this package does not do
//
// It does not validate blocks or transactions (package blockdag and package
// mempool do), does not answer peers' requests (getdata, getblocks and
// mempool are served by package node from the DAG and the pool; so is
// getheaders), does not
// announce accepted blocks one by one (the node's DAG subscription does),
// and never bans: misbehaviour is reported through Config.OnMisbehavior.
package netsync
