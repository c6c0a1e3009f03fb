package rpcserver

import (
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// The server reads node state through the small interfaces below, declared
// here by their user so that rpcserver imports no manager package and tests
// run against fakes. Package node adapts its managers to them. Every method
// must be safe for concurrent use: requests are served concurrently.

// DAG is the part of *blockdag.BlockDAG the server reads, plus ProcessBlock
// for submitblock and CheckBlockTemplate for getblocktemplate proposals.
// *blockdag.BlockDAG satisfies it as it is; blocks accepted through
// submitblock reach peers and websocket clients through the DAG's own
// notifications, like any other block.
type DAG interface {
	BlockCount() uint64
	MaxHeight() uint32
	Tips() []wire.Hash
	VirtualInfo() *blockdag.VirtualInfo
	IsCurrent() bool
	HaveBlock(hash *wire.Hash) bool
	BlockByHash(hash *wire.Hash) (*wire.MsgBlock, error)
	HeaderByHash(hash *wire.Hash) (*wire.BlockHeader, error)
	BlockInfo(hash *wire.Hash) (*blockdag.BlockInfo, error)
	BlockHashesAtHeight(height uint32) []wire.Hash
	SelectedChainBlock(index uint64) (wire.Hash, error)
	Order(start uint64, max int) ([]blockdag.OrderedBlock, error)
	FetchUTXO(op wire.OutPoint) (*blockdag.UTXOEntry, bool)
	UTXOStats() (count uint64, total uint64, commitment wire.Hash)
	ProcessBlock(block *wire.MsgBlock, flags blockdag.BehaviorFlags) (isOrphan bool, err error)
	CheckBlockTemplate(block *wire.MsgBlock) error
	IsKnownInvalid(hash *wire.Hash) bool
	IsKnownOrphan(hash *wire.Hash) bool
	PruneInfo() blockdag.PruneInfo
	// Flush returns once every block accepted so far is in the store.
	// The server calls it before it sends anything, so that what a
	// client was told survives a killed process.
	Flush() error
}

// SyncStatus is the sync manager's state as getsyncinfo shows it. The node
// fills it from its SyncManager.
type SyncStatus struct {
	// SyncPeerID is the id of the peer blocks are downloaded from, 0 when
	// there is none; SyncPeerAddr its address.
	SyncPeerID   int32
	SyncPeerAddr string

	// InSyncMode is true during initial block download, when block
	// messages from other peers are dropped.
	InSyncMode bool

	// IsCurrent is true when the DAG is as current as the peers'.
	IsCurrent bool

	// MaxHeight is our DAG's max height; SyncPeerMaxHeight the sync
	// peer's last announced max height.
	MaxHeight         uint32
	SyncPeerMaxHeight uint32

	// Orphans counts blocks waiting for parents; RequestedBlocks blocks
	// asked for and not yet received.
	Orphans         int
	RequestedBlocks int

	// BlocksProcessed counts blocks accepted since start; LastBlockTime
	// is when the last one was, LastProgress when sync last advanced.
	BlocksProcessed uint64
	LastBlockTime   time.Time
	LastProgress    time.Time

	// OnlyPrunedPeers is true when peers are ahead of us but all of
	// them have pruned the blocks we need next.
	OnlyPrunedPeers bool
}

// SyncManager reports the state of block download.
type SyncManager interface {
	SyncStatus() SyncStatus
	IsCurrent() bool
	SyncPeerID() int32
}

// PeerInfo is one connected peer as getpeerinfo shows it. The node fills it
// from its peers.
type PeerInfo struct {
	ID              int32
	Addr            string
	AddrLocal       string
	Services        wire.ServiceFlag
	RelayTxes       bool
	LastSend        time.Time
	LastRecv        time.Time
	BytesSent       uint64
	BytesRecv       uint64
	ConnTime        time.Time
	TimeOffset      int64 // seconds
	PingTime        time.Duration
	PingWait        time.Duration // zero when no ping is outstanding
	ProtocolVersion uint32
	UserAgent       string
	Inbound         bool
	StartingHeight  uint32 // max height announced in the handshake
	CurrentHeight   uint32 // max height last announced
	BanScore        int32
}

// AddNode subcommands.
const (
	AddNodeAdd    = "add"
	AddNodeRemove = "remove"
	AddNodeOneTry = "onetry"
)

// ConnManager reports peers and network totals and manages persistent peers.
type ConnManager interface {
	Peers() []PeerInfo
	ConnectedCount() int32
	// NetTotals returns the bytes received and sent over P2P since start.
	NetTotals() (recv, sent uint64)
	// AddNode adds (AddNodeAdd), removes (AddNodeRemove) or connects once
	// to (AddNodeOneTry) a peer; addr is host:port. An error is the
	// caller's fault (unknown peer, bad address) and is shown to it.
	AddNode(addr, subcmd string) error
	// PingAll queues a ping to every connected peer.
	PingAll()
	// ListenAddrs returns the P2P listen addresses.
	ListenAddrs() []string
}

// MempoolEntry is one mempool transaction as getrawmempool shows it.
type MempoolEntry struct {
	Tx     *wire.MsgTx
	TxID   wire.Hash
	Added  time.Time
	Height uint32 // DAG max height when it was added
	Fee    uint64 // base units
}

// TxMempool is the unconfirmed transaction pool.
type TxMempool interface {
	Entries() []MempoolEntry
	// FetchTransaction returns a mempool transaction, false if absent.
	FetchTransaction(txID *wire.Hash) (*wire.MsgTx, bool)
	// ProcessTransaction validates a transaction and, when accepted, adds
	// it to the pool and relays it. A rejection error is shown to the
	// client (sendrawtransaction answers -25 with it).
	ProcessTransaction(tx *wire.MsgTx) error
	// SpentBy returns the mempool transaction that spends op, if any.
	SpentBy(op wire.OutPoint) (wire.Hash, bool)
	Count() int
	Bytes() uint64
}

// MinedBlock is one block this node mined.
type MinedBlock struct {
	Hash    wire.Hash
	Height  uint32
	Found   time.Time     // when the nonce was found
	Elapsed time.Duration // from template to solution
	Size    int
	TxCount int
}

// Miner is the CPU miner.
type Miner interface {
	IsMining() bool
	// SetGenerate starts (on) or stops the miner; workers > 0 sets the
	// number of worker goroutines, workers < 0 keeps the configured one.
	SetGenerate(on bool, workers int)
	Workers() int
	HashesPerSecond() float64
	// Generate mines n blocks on the current tips right away and returns
	// their hashes once they are in the DAG.
	Generate(n uint32) ([]wire.Hash, error)
	// MinedBlocks returns the blocks mined since start, oldest first.
	MinedBlocks() []MinedBlock
}

// BlockTemplate is a block template as the node's generator builds it.
type BlockTemplate struct {
	// Block is the block to mine: the header without a nonce, the
	// coinbase first.
	Block *wire.MsgBlock

	// Height and BlueScore are the block's.
	Height    uint32
	BlueScore uint64

	// MinTimestamp is the earliest timestamp the block may carry, in unix
	// milliseconds.
	MinTimestamp int64

	// TxFees holds the fee of each transaction of Block, in order (the
	// coinbase's is zero), and Subsidy what the coinbase may pay.
	TxFees  []uint64
	Subsidy uint64

	// ExtraNonceOffset and ExtraNonceLen say where in the coinbase
	// payload the extra nonce lies, for miners that roll it.
	ExtraNonceOffset int
	ExtraNonceLen    int
}

// BlockTemplater builds the templates getblocktemplate serves.
type BlockTemplater interface {
	// NewBlockTemplate builds a template on the current virtual block,
	// checked in every way but proof of work.
	NewBlockTemplate() (*BlockTemplate, error)

	// NewCoinbase returns a coinbase for a block of the given blue score
	// paying the subsidy to payTo, with a fresh extra nonce; it may take
	// the place of a template's coinbase.
	NewCoinbase(blueScore uint64, payTo [wire.PubKeySize]byte) *wire.MsgTx
}

// TxLocator finds a transaction in the DAG by id. It is optional: without
// one, getrawtransaction looks in the mempool and in a block the client
// names.
type TxLocator interface {
	// FindTransaction returns the transaction and the block holding it.
	FindTransaction(txID *wire.Hash) (tx *wire.MsgTx, block wire.Hash, ok bool)
}

// UTXOIndex lists the virtual's unspent outputs by key. It is optional:
// without it getbalance, listunspent and notifyutxos say to turn on
// --utxoindex.
type UTXOIndex interface {
	// ForEachUTXOOfKey calls fn with each unspent output locked to pub,
	// and the blue score of the virtual state it reads, until fn
	// returns false; it returns that blue score.
	ForEachUTXOOfKey(pub [wire.PubKeySize]byte,
		fn func(virtualBlueScore uint64, op wire.OutPoint, e *blockdag.UTXOEntry) bool) (uint64, error)
}

// *blockdag.BlockDAG is the DAG the node passes.
var _ DAG = (*blockdag.BlockDAG)(nil)

// RequestObserver is told of every JSON-RPC request answered, over HTTP or
// a websocket; the node's metrics satisfy it. RPCRequest must not block.
type RequestObserver interface {
	// RPCRequest reports one request: method is a known method's name or
	// UnknownMethodLabel, result "ok" or the error code in decimal.
	RPCRequest(method, result string, took time.Duration)
}

// UnknownMethodLabel stands for every method name that does not exist, so
// that a client cannot make the observer track names it invents.
const UnknownMethodLabel = "unknown"

// *blockdag.BlockDAG is the UTXO index the node passes.
var _ UTXOIndex = (*blockdag.BlockDAG)(nil)
