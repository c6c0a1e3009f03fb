package netsync

import (
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// DAG is what the SyncManager needs from the block DAG. *blockdag.BlockDAG
// satisfies it; tests use a fake. Every method must be safe for concurrent
// use, and ProcessBlock must deliver its notifications before it returns
// without calling back into the SyncManager's queueing methods.
type DAG interface {
	// ProcessBlock validates and stores a block. It returns true for an
	// orphan (kept in the DAG's orphan pool until its parents arrive).
	ProcessBlock(block *wire.MsgBlock, flags blockdag.BehaviorFlags) (isOrphan bool, err error)

	// PrecheckBlock runs a block's context-free checks, which need no
	// DAG state, and ProcessPrecheckedBlock then does what ProcessBlock
	// (with BFNone) does with the rest: QueueBlock runs the first on the
	// delivering peer's goroutine, the manager the second on its own.
	PrecheckBlock(block *wire.MsgBlock) *blockdag.PrecheckedBlock
	ProcessPrecheckedBlock(pb *blockdag.PrecheckedBlock) (isOrphan bool, err error)

	// HaveBlock reports whether the block is in the DAG (orphans are not).
	HaveBlock(hash *wire.Hash) bool

	// IsKnownOrphan reports whether the block waits in the orphan pool.
	IsKnownOrphan(hash *wire.Hash) bool

	// IsKnownInvalid reports whether the block failed validation before.
	IsKnownInvalid(hash *wire.Hash) bool

	// OrphanMissingParents returns the parents we lack of the orphan's
	// root or roots: what must be fetched for the orphan to connect.
	OrphanMissingParents(hash *wire.Hash) []wire.Hash

	// OrphanCount returns the number of blocks in the orphan pool.
	OrphanCount() int

	// BlockInfo returns what the DAG knows of a stored block; the
	// SyncManager only reads its Height.
	BlockInfo(hash *wire.Hash) (*blockdag.BlockInfo, error)

	// MaxHeight returns the greatest height of a block in the DAG.
	MaxHeight() uint32

	// Tips returns the DAG's tips, the one with the most blue work first.
	Tips() []wire.Hash

	// IsCurrent reports whether the DAG's newest blocks are recent by the
	// wall clock.
	IsCurrent() bool
}

// Peer is what the SyncManager needs from a connected peer. *peer.Peer
// satisfies it. The SyncManager only calls methods that never block.
type Peer interface {
	// ID returns an identifier unique in this process.
	ID() int32

	// Addr returns the remote's address, for logs.
	Addr() string

	// Inbound reports whether the remote opened the connection.
	Inbound() bool

	// Services returns the services the remote advertised; only peers
	// with wire.SFNodeNetwork are asked for blocks they did not announce,
	// and those with wire.SFNodePruned only from LowestHeight up.
	Services() wire.ServiceFlag

	// LowestHeight returns the lowest height whose block bodies a pruned
	// remote serves (its version message); 0 for an archive node.
	LowestHeight() uint32

	// EarlyGetBlocks returns the getblocks sent with our version message,
	// before the manager knew the peer (peer.Config.EarlyGetBlocks), in
	// order. Their answers are the peer's first invs; a sync started from
	// the first one's height takes them as its first pages instead of
	// asking again.
	EarlyGetBlocks() []*wire.MsgGetBlocks

	// MaxHeight and Tips return what the remote advertised in its
	// version message (and what was recorded with SetMaxHeight since).
	MaxHeight() uint32
	Tips() []wire.Hash

	// SetMaxHeight records a higher height the remote is known to have.
	SetMaxHeight(height uint32, tips []wire.Hash)

	// QueueMessage queues a message without blocking; done may be nil.
	QueueMessage(msg wire.Message, done chan<- struct{})

	// QueueInventory announces iv unless the remote is known to have it.
	QueueInventory(iv *wire.InvVect)

	// AddKnownInventory and IsKnownInventory maintain the set of
	// inventory the remote is known to have.
	AddKnownInventory(iv *wire.InvVect)
	IsKnownInventory(iv *wire.InvVect) bool

	// Disconnect ends the connection; it is idempotent.
	Disconnect()
}

// TxPool is what the SyncManager needs from the unconfirmed transaction
// pool. *mempool.TxPool satisfies it. It must be safe for concurrent use.
type TxPool interface {
	// ProcessTransaction validates tx and adds it to the pool. accepted
	// holds every transaction that entered the pool (tx itself and the
	// orphans it let in), for relay; missingParents is non-empty when tx
	// was kept as an orphan; err is the reason tx was refused, a
	// mempool.RuleError when the transaction broke a rule.
	ProcessTransaction(tx *wire.MsgTx, allowOrphan bool) (accepted []*mempool.TxDesc, missingParents []wire.Hash, err error)

	// IsTransactionInPool reports whether the pool proper holds the
	// transaction. Orphans do not count: an orphan's signatures are not
	// checked yet, so an orphan copy must not stop us from fetching
	// another copy of the same id.
	IsTransactionInPool(txID *wire.Hash) bool

	// TakeRejectedOrphans returns, and forgets, the orphans that failed
	// validation once their parents arrived.
	TakeRejectedOrphans() []mempool.RejectedOrphan
}

// PeerNotifier relays inventory to the connected peers. The node implements
// it; its methods must never block.
type PeerNotifier interface {
	// RelayInventory announces iv to every connected peer except source
	// (nil for none) that is not known to have it.
	RelayInventory(iv *wire.InvVect, source Peer)
}
