// Package node implements the P2P core of a soterd node: the Server that
// owns the block DAG, the mempool, the sync manager, the connection manager
// with its ban manager and address book, and the connected peers, and wires
// them together.
//
// # Server
//
// New loads the DAG from the store the caller opened (storing the genesis
// block in a new one), builds the mempool and the sync manager, loads the
// ban list and the address book from the data directory and opens the
// listeners. Start starts the managers and dials the configured peers; Stop
// disconnects every peer, stops the managers, saves the ban list and the
// address book and closes the DAG, and returns once every goroutine has
// exited. The store stays open: the caller closes it after Stop.
//
// # Peers
//
// Each connection becomes a peer (package peer) whose message listeners live
// in serverpeer.go: inv, block, tx and notfound go to the sync manager;
// getdata is served from the stored block bytes and the mempool, getblocks
// from BlockDAG.LocateBlocks (always answered, possibly with an empty inv),
// getaddr and addr from and to the address book, mempool with an inv of the
// pool. An outbound peer must serve the DAG (wire.SFNodeNetwork).
// Misbehaviour reported by a peer or by the sync manager (an invalid block)
// becomes ban score: scores of 10 or more are persistent, smaller ones
// transient; a peer whose host reaches the threshold is disconnected and
// banned, or only disconnected with NoBanning. Whitelisted hosts are never
// banned.
//
// # Relay
//
// The server subscribes to the DAG. An accepted block is announced with an
// inv to every peer not known to have it, unless the sync manager is in sync
// mode (it announces our tips when the download ends); a move of the virtual
// block updates the mempool. Transactions from peers are relayed by the sync
// manager; RelayTransactions announces those submitted over RPC. Other
// packages add behaviour through AddBlockAcceptedHook,
// AddVirtualChangedHook and AddTxAcceptedHook. docs/sync.md describes the
// download and relay protocol.
//
// # Finding peers
//
// A goroutine started by Start asks the network's DNS seeds
// (Params.DNSSeeds) for addresses when the address book holds fewer than
// 32, at most every 10 minutes, unless NoDNSSeed or ConnectPeers; it warns,
// saying what to check, when a node that wants peers has had none for a
// minute, and sums up failed dials in one line a minute.
//
// # Metrics
//
// With Config.Metrics (NodeConfig.MetricsListen) the sync manager gets the
// DAG and the mempool wrapped so that every block and refused transaction
// is counted and timed (metrics.go); the rest is read at scrape time.
// Without it nothing is wrapped.
//
// # Health
//
// A Node watches its store (database.DB.Failed), the DAG's fatal error and
// the free space under the data directory (health.go). When one says the
// node cannot go on (a failed write, damage, less than HealthConfig's
// DiskMinFree free) it logs one error line that says what failed, where and
// what to do, and closes the channel Failed returns; cmd/soterd then stops
// the node and exits non-zero so that the service manager restarts it. The
// server also warns once when peers' version timestamps and refused future
// blocks agree that our clock is off (clock.go).
//
// # What this package does not do
//
// It does not validate (package blockdag), choose what to download (package
// netsync), speak the wire protocol (package peer) or dial and accept
// connections (package connmgr). The miner, the RPC server and the loading
// of the configuration are wired in by other files of this package and by
// cmd/soterd; the server does not open or close the store.
package node
