package netsync

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decred/dcrd/lru"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// Defaults for the zero values of Config.
const (
	// DefaultStallTimeout is how long the sync peer may go without
	// delivering a block or answering a getblocks while we wait on it.
	// It is longer than the peer package's own request stall timeout
	// (30 s), which catches a peer that answers nothing at all; this one
	// catches a peer that keeps the connection alive but does not move
	// the download forward.
	DefaultStallTimeout = 45 * time.Second

	// DefaultRequestTimeout is how long a requested block or transaction
	// may stay unanswered while its peer delivers nothing else before the
	// request is dropped and retried with another peer that announced
	// it.
	DefaultRequestTimeout = time.Minute

	// DefaultProgressInterval is the period of the download progress log.
	DefaultProgressInterval = 10 * time.Second
)

const (
	// maxQueuedMsgs bounds the manager's inbound channel. A queued block
	// holds its memory, so the bound is a memory bound (128 blocks of at
	// most wire.MaxBlockPayload); it is also enough for the peers' read
	// loops to decode the next blocks while the manager validates one.
	// Callers wait when it is full, which throttles the read loops of the
	// peers that feed us faster than we validate.
	maxQueuedMsgs = 128

	// getDataBatch is the smallest number of free request slots worth a
	// getdata of their own during a download; below it a refill waits for
	// more blocks to arrive, so a download does not send one getdata per
	// block received.
	getDataBatch = wire.MaxBlocksPerInv / 4

	// maxWantedBlocks bounds the blocks queued to be requested from one
	// peer. Range answers add at most wire.MaxBlocksPerInv each and at
	// most maxRanges are open, so this bound only bites on announcements.
	maxWantedBlocks = 8 * wire.MaxBlocksPerInv

	// maxRequestedTxs bounds the transactions requested from one peer and
	// not yet received, and with it the request map's memory (about 100
	// bytes an entry, so half a megabyte a peer). Announcements past it
	// are dropped; other peers announce the same transactions.
	maxRequestedTxs = 5000

	// maxRejectedTxs is how many refused transactions are remembered (by
	// full hash, and by id when the refusal holds for every copy), so the
	// same invalid transaction is not downloaded again and again.
	maxRejectedTxs = 10000

	// maxDeferredInv bounds the block announcements of one non-sync peer
	// kept while we are in sync mode, to be fetched when the sync ends.
	// The newest are kept: fetching them leads, through the orphan flow,
	// to any older ones that were dropped.
	maxDeferredInv = wire.MaxBlocksPerInv

	// maxOrphanTxSenders bounds the remembered senders of orphan
	// transactions (about 100 bytes an entry).
	maxOrphanTxSenders = 10000

	// maxTrackedOrphans bounds the orphans whose missing parents the
	// manager retries on its ticker.
	maxTrackedOrphans = 1000

	// syncHeightLag is how many heights a peer may be ahead of us before
	// we enter sync mode with it. Below it, announcements are fetched
	// directly: a node that is one block behind gains nothing from a
	// getblocks round trip and should keep relaying other peers' blocks.
	syncHeightLag = 2

	// maxTickInterval is the longest period of the housekeeping ticker
	// (request expiry, stall checks, orphan retries, state snapshot).
	maxTickInterval = time.Second
)

// Config is the configuration of a SyncManager.
type Config struct {
	// DAG is the block DAG; required.
	DAG DAG

	// TxPool is the unconfirmed transaction pool; nil disables the
	// transaction relay (transaction inventory is then ignored).
	TxPool TxPool

	// PeerNotifier relays inventory to the other peers; required.
	PeerNotifier PeerNotifier

	// OnMisbehavior is called when a peer breaks a rule that netsync can
	// see (an invalid block), with a ban score and a reason. The caller
	// decides whether to ban; nil ignores misbehaviour.
	OnMisbehavior func(p Peer, score uint32, reason string)

	// StallTimeout replaces a sync peer that delivers nothing for this
	// long; zero means DefaultStallTimeout.
	StallTimeout time.Duration

	// RequestTimeout expires a request whose peer delivers nothing for
	// this long; zero means DefaultRequestTimeout.
	RequestTimeout time.Duration

	// ProgressInterval is the period of the download progress log; zero
	// means DefaultProgressInterval.
	ProgressInterval time.Duration

	// TimeSource returns the current time; nil means time.Now.
	TimeSource func() time.Time

	// MaxTimeOffset is how far ahead of our clock a block's timestamp
	// may be (blockdag.Params.MaxTimeOffset): a block refused as too far
	// in the future is fetched again once this much before its timestamp.
	MaxTimeOffset time.Duration

	// OnFutureBlock, when set, is told how far ahead of our clock the
	// timestamp of each block refused as too far in the future is, so
	// that the node can tell a lagging clock from one peer's (future.go).
	OnFutureBlock func(p Peer, ahead time.Duration)

	// AssumeValid, when not the zero hash, is the assumed-valid block
	// (--assumevalid): until it is in the DAG, the manager asks peers for
	// the headers of its past and has AssumeValidDAG mark their blocks,
	// which then skip their signature checks (assumevalid.go).
	AssumeValid wire.Hash

	// AssumeValidDAG marks blocks as in the past of AssumeValid; required
	// with it.
	AssumeValidDAG AssumeValidDAG
}

// PeerInFlight is what one peer has been asked for and has not delivered.
type PeerInFlight struct {
	ID     int32
	Addr   string
	Blocks int
	Txs    int
}

// SyncState is a snapshot of the manager's state, for RPC.
type SyncState struct {
	// SyncPeerID is the sync peer's ID (zero when there is none) and
	// SyncPeerAddr its address.
	SyncPeerID   int32
	SyncPeerAddr string

	// InSyncMode reports whether a download from a sync peer is running.
	InSyncMode bool

	// IsCurrent is IsCurrent at the time of the snapshot.
	IsCurrent bool

	// MaxHeight is our DAG's greatest height and PeerMaxHeight the
	// greatest height a connected peer is known to have.
	MaxHeight     uint32
	PeerMaxHeight uint32

	// BlocksInFlight counts blocks requested and not yet received;
	// BlocksQueued those waiting to be requested.
	BlocksInFlight int
	BlocksQueued   int

	// Peers holds, for each peer with blocks or transactions requested
	// from it, what is in flight, by peer ID.
	Peers []PeerInFlight

	// Orphans is the size of the DAG's orphan pool.
	Orphans int

	// BlocksProcessed counts the blocks accepted since Start, and
	// BlocksDropped the blocks and block announcements of non-sync peers
	// dropped in sync mode.
	BlocksProcessed uint64
	BlocksDropped   uint64

	// BlocksPerSecond is the acceptance rate over the last progress
	// interval.
	BlocksPerSecond float64

	// Progress is MaxHeight as a percentage of the sync peer's height
	// (100 when not in sync mode).
	Progress float64

	// LastProgress is when a block was last accepted.
	LastProgress time.Time

	// OnlyPrunedPeers is true when peers are ahead of us but all of
	// them have pruned the blocks we need next (wire.SFNodePruned).
	OnlyPrunedPeers bool
}

// SyncManager downloads the DAG from peers and relays blocks and
// transactions. One goroutine owns its state and is driven by messages on a
// channel; the exported methods enqueue a message or read a snapshot, and
// are safe for concurrent use.
type SyncManager struct {
	cfg Config

	startOnce sync.Once
	stopOnce  sync.Once
	started   atomic.Bool
	msgChan   chan any
	quit      chan struct{}
	wg        sync.WaitGroup

	// Read without the manager goroutine.
	syncMode   atomic.Bool
	relayHeld  atomic.Bool
	syncPeerID atomic.Int32
	state      atomic.Pointer[SyncState]

	// The fields below belong to the manager goroutine.
	peers    map[Peer]*peerState
	future   map[wire.Hash]*futureBlock // lazily made; see future.go
	syncPeer *peerState
	// onlyPruned: peers are ahead, but all of them pruned what we need.
	onlyPruned      bool
	requestedBlocks map[wire.Hash]*blockRequest
	requestedTxs    map[wire.Hash]*txRequest
	rejectedTxs     lru.Cache
	rejectedTxIDs   lru.Cache
	orphans         map[wire.Hash]*trackedOrphan
	orphanTxSenders map[wire.Hash]*peerState
	progress        progressStats
	rangeSeq        uint64

	// sharedOutstanding counts the blocks helpers took from the sync
	// queue and have not delivered (parallel.go).
	sharedOutstanding int

	// avWalk is the headers walk of --assumevalid, nil when it is off
	// (assumevalid.go).
	avWalk *assumeValidWalk
}

// New returns a SyncManager for cfg. Start it with Start.
func New(cfg *Config) (*SyncManager, error) {
	if cfg == nil {
		return nil, ruleError(ErrInvalidConfig, "netsync: nil config")
	}
	c := *cfg
	if c.DAG == nil {
		return nil, ruleError(ErrInvalidConfig, "netsync: Config.DAG is required")
	}
	if c.PeerNotifier == nil {
		return nil, ruleError(ErrInvalidConfig, "netsync: Config.PeerNotifier is required")
	}
	if c.StallTimeout < 0 || c.RequestTimeout < 0 || c.ProgressInterval < 0 {
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"netsync: StallTimeout (%v), RequestTimeout (%v) and ProgressInterval (%v) "+
				"must not be negative", c.StallTimeout, c.RequestTimeout, c.ProgressInterval))
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.TimeSource == nil {
		c.TimeSource = time.Now
	}
	if !c.AssumeValid.IsZero() && c.AssumeValidDAG == nil {
		return nil, ruleError(ErrInvalidConfig, "netsync: Config.AssumeValidDAG is required "+
			"with Config.AssumeValid")
	}
	sm := &SyncManager{
		cfg:             c,
		msgChan:         make(chan any, maxQueuedMsgs),
		quit:            make(chan struct{}),
		peers:           make(map[Peer]*peerState),
		requestedBlocks: make(map[wire.Hash]*blockRequest),
		requestedTxs:    make(map[wire.Hash]*txRequest),
		rejectedTxs:     lru.NewCache(maxRejectedTxs),
		rejectedTxIDs:   lru.NewCache(maxRejectedTxs),
		orphans:         make(map[wire.Hash]*trackedOrphan),
		orphanTxSenders: make(map[wire.Hash]*peerState),
		avWalk:          newAssumeValidWalk(c.AssumeValid, c.AssumeValidDAG),
	}
	sm.state.Store(&SyncState{MaxHeight: c.DAG.MaxHeight(), Progress: 100})
	return sm, nil
}

// Start starts the manager goroutine. Calls after the first do nothing.
func (sm *SyncManager) Start() {
	sm.startOnce.Do(func() {
		select {
		case <-sm.quit:
			// Stopped before it started: stay stopped.
			return
		default:
		}
		now := sm.cfg.TimeSource()
		sm.progress.reset(now, sm.cfg.DAG.MaxHeight())
		sm.started.Store(true)
		sm.wg.Add(1)
		go sm.blockHandler()
	})
}

// Stop stops the manager goroutine and returns once it has exited. It is
// safe to call more than once, and before Start.
func (sm *SyncManager) Stop() {
	sm.stopOnce.Do(func() {
		close(sm.quit)
	})
	sm.wg.Wait()
}

// send enqueues a message for the manager goroutine. It waits while the
// queue is full and gives up when the manager stops.
func (sm *SyncManager) send(msg any) bool {
	select {
	case sm.msgChan <- msg:
		return true
	case <-sm.quit:
		return false
	}
}

// Messages of the manager's channel.
type (
	newPeerMsg struct {
		peer Peer
	}
	donePeerMsg struct {
		peer Peer
	}
	invMsg struct {
		inv  *wire.MsgInv
		peer Peer
	}
	blockMsg struct {
		block *blockdag.PrecheckedBlock
		peer  Peer
	}
	txMsg struct {
		tx   *wire.MsgTx
		peer Peer
	}
	notFoundMsg struct {
		notFound *wire.MsgNotFound
		peer     Peer
	}
	headersMsg struct {
		headers *wire.MsgHeaders
		peer    Peer
	}
	processBlockMsg struct {
		block *wire.MsgBlock
		flags blockdag.BehaviorFlags
		reply chan processBlockResult
	}
	processBlockResult struct {
		isOrphan bool
		err      error
	}
	pauseMsg struct {
		paused  chan struct{}
		unpause <-chan struct{}
	}
)

// NewPeer tells the manager about a peer whose handshake completed. The
// peer becomes a sync candidate, and the tips it advertised are fetched
// when we lack them.
func (sm *SyncManager) NewPeer(p Peer) {
	sm.send(newPeerMsg{peer: p})
}

// DonePeer tells the manager that a peer disconnected. Its outstanding
// requests go to other peers, and a sync peer is replaced at once.
func (sm *SyncManager) DonePeer(p Peer) {
	sm.send(donePeerMsg{peer: p})
}

// QueueInv hands the manager an inv message from p.
func (sm *SyncManager) QueueInv(inv *wire.MsgInv, p Peer) {
	sm.send(invMsg{inv: inv, peer: p})
}

// QueueBlock hands the manager a block from p. It waits while the manager's
// queue is full, which throttles a peer that sends faster than we validate.
func (sm *SyncManager) QueueBlock(block *wire.MsgBlock, p Peer) {
	// The block's context-free checks run here, on the goroutine of
	// the peer that delivered it, beside the manager's goroutine, which
	// then validates it in the DAG's context only.
	sm.send(blockMsg{block: sm.cfg.DAG.PrecheckBlock(block), peer: p})
}

// QueueTx hands the manager a transaction from p.
func (sm *SyncManager) QueueTx(tx *wire.MsgTx, p Peer) {
	sm.send(txMsg{tx: tx, peer: p})
}

// QueueNotFound hands the manager a notfound message from p, so the
// requests it names are retried elsewhere.
func (sm *SyncManager) QueueNotFound(notFound *wire.MsgNotFound, p Peer) {
	sm.send(notFoundMsg{notFound: notFound, peer: p})
}

// QueueHeaders hands the manager a headers message from p, the answer to
// the getheaders of the --assumevalid walk.
func (sm *SyncManager) QueueHeaders(headers *wire.MsgHeaders, p Peer) {
	sm.send(headersMsg{headers: headers, peer: p})
}

// ProcessBlock processes a block that did not come from a peer (the miner,
// the submitblock RPC) on the manager goroutine, in order with the blocks
// from peers, and returns the DAG's verdict. Accepted blocks are announced
// by the node's DAG subscription.
func (sm *SyncManager) ProcessBlock(block *wire.MsgBlock, flags blockdag.BehaviorFlags) (bool, error) {
	if !sm.started.Load() {
		return false, ruleError(ErrNotRunning, "netsync: process block: sync manager not started")
	}
	reply := make(chan processBlockResult, 1)
	if !sm.send(processBlockMsg{block: block, flags: flags, reply: reply}) {
		return false, ruleError(ErrNotRunning, "netsync: process block: sync manager stopped")
	}
	select {
	case r := <-reply:
		return r.isOrphan, r.err
	case <-sm.quit:
		return false, ruleError(ErrNotRunning, "netsync: process block: sync manager stopped")
	}
}

// Pause halts the manager goroutine until the returned channel is closed
// (or sent to), for callers that need the DAG to hold still. When Pause
// returns the manager has finished what it was doing and waits; peers that
// queue messages meanwhile wait too, so a pause must be short. On a manager
// that is not running Pause returns at once.
func (sm *SyncManager) Pause() chan<- struct{} {
	c := make(chan struct{})
	if !sm.started.Load() {
		return c
	}
	paused := make(chan struct{})
	if !sm.send(pauseMsg{paused: paused, unpause: c}) {
		return c
	}
	select {
	case <-paused:
	case <-sm.quit:
	}
	return c
}

// IsCurrent reports whether the node believes it is in step with the
// network: no download is making progress (see RelayHeld) and the DAG's
// newest blocks are recent. A sync peer that delivers nothing that
// connects does not make the node stale, or a false height claim would
// stop its mining for the stall timeout.
func (sm *SyncManager) IsCurrent() bool {
	return !sm.relayHeld.Load() && sm.cfg.DAG.IsCurrent()
}

// InSyncMode reports whether a download from a sync peer is running. While
// it is, accepted blocks are not announced one by one: the node announces
// its tips once the download ends.
func (sm *SyncManager) InSyncMode() bool {
	return sm.syncMode.Load()
}

// RelayHeld reports whether per-block relay is held back because a download
// is making progress: in sync mode, with a sync peer that connected a block
// within the last few seconds. The node announces accepted blocks one by
// one whenever it is false; a sync peer that stops delivering blocks that
// connect cannot hold the relay for longer than that grace.
func (sm *SyncManager) RelayHeld() bool {
	return sm.relayHeld.Load()
}

// SyncPeerID returns the ID of the sync peer, or zero when there is none.
func (sm *SyncManager) SyncPeerID() int32 {
	return sm.syncPeerID.Load()
}

// SyncState returns a snapshot of the manager's state, refreshed on every
// change of sync peer and at least once a second.
func (sm *SyncManager) SyncState() SyncState {
	s := *sm.state.Load()
	s.IsCurrent = sm.IsCurrent()
	return s
}
