package peer

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decred/dcrd/lru"
	"github.com/soterdag/soterd/wire"
)

const (
	// maxKnownInventory bounds the per-peer set of inventory the remote is
	// known to have. At roughly 150 bytes an entry it costs about 750 KB a
	// peer, and it only has to cover what is still being relayed: older
	// inventory is never announced again anyway.
	maxKnownInventory = 5000

	// maxSentNonces is how many of our own recent version nonces are kept
	// for self-connection detection. A self connection is noticed within
	// one handshake, so only the nonces of handshakes in flight matter.
	maxSentNonces = 50
)

var (
	// peerIDCounter hands out the process-wide unique peer IDs.
	peerIDCounter atomic.Int32

	// defaultNonces is the nonce set of peers whose Config has none: one
	// set for the process, right when the process runs one node.
	defaultNonces = NewNonceSet()
)

// NonceSet holds the nonces of the version messages one node sent recently.
// A connection to ourselves joins an outbound and an inbound peer of the
// same node, and only a set they share lets the inbound one recognise the
// other's nonce. It is safe for concurrent access.
type NonceSet struct {
	cache lru.Cache
}

// NewNonceSet returns an empty nonce set. A process that runs several nodes
// (tests do) gives each node its own, through Config.Nonces.
func NewNonceSet() *NonceSet {
	return &NonceSet{cache: lru.NewCache(maxSentNonces)}
}

// add records a nonce we sent.
func (s *NonceSet) add(nonce uint64) {
	s.cache.Add(nonce)
}

// contains reports whether we sent nonce.
func (s *NonceSet) contains(nonce uint64) bool {
	return s.cache.Contains(nonce)
}

// invKey identifies inventory in the known-inventory set. The height is left
// out so the same object announced with another height is still known.
type invKey struct {
	typ  wire.InvType
	hash wire.Hash
}

// StatsSnap is a snapshot of a peer's state and counters, for RPC and logs.
type StatsSnap struct {
	ID              int32
	Addr            string
	Services        wire.ServiceFlag
	LastSend        time.Time
	LastRecv        time.Time
	BytesSent       uint64
	BytesRecv       uint64
	MsgsSent        map[string]uint64
	MsgsRecv        map[string]uint64
	ConnTime        time.Time
	TimeOffset      int64
	ProtocolVersion uint32
	UserAgent       string
	Inbound         bool
	VersionKnown    bool
	MaxHeight       uint32
	Tips            []wire.Hash
	LastPingTime    time.Time
	LastPingMicros  int64
	Stalls          uint32
}

// Peer is one remote node. It is safe for concurrent access: every exported
// method may be called from any goroutine.
type Peer struct {
	bytesSent atomic.Uint64
	bytesRecv atomic.Uint64
	lastSend  atomic.Int64 // unix nanoseconds
	lastRecv  atomic.Int64 // unix nanoseconds

	id      int32
	inbound bool
	cfg     Config

	// knownInventory is what the remote has announced or we have
	// announced to it; it is never announced (again).
	knownInventory lru.Cache

	// lifeMtx protects the lifecycle fields below. conn is written once,
	// before any goroutine of the peer starts, and is only read after.
	lifeMtx    sync.Mutex
	conn       net.Conn
	associated bool
	quitting   bool
	reason     error
	quit       chan struct{}
	wg         sync.WaitGroup

	// statsMtx protects the remote's version data and the counters below.
	statsMtx        sync.RWMutex
	addr            string
	connTime        time.Time
	versionKnown    bool
	handshakeDone   bool
	protocolVersion uint32
	services        wire.ServiceFlag
	userAgent       string
	timeOffset      int64
	maxHeight       uint32
	lowestHeight    uint32
	tips            []wire.Hash
	// earlyGetBlocks are the getblocks sent in the handshake
	// (Config.EarlyGetBlocks).
	earlyGetBlocks []*wire.MsgGetBlocks
	lastPingNonce  uint64
	lastPingTime   time.Time
	lastPingMicros int64
	msgsSent       map[string]uint64
	msgsRecv       map[string]uint64
	stalls         uint32

	// queueMtx protects the write queue; see queue.go.
	queueMtx    sync.Mutex
	queues      [numPriorities]msgQueue
	queued      int
	queuedBytes int
	queueClosed bool
	pendingInv  []wire.InvVect
	queueSignal chan struct{}

	// roomSignal is signalled when the writer takes a message off the
	// queue, to wake a QueueMessageWait waiting for room.
	roomSignal chan struct{}

	// stall tracks requests that expect an answer; see stall.go.
	stall stallState
}

// newPeer builds the parts common to inbound and outbound peers.
func newPeer(cfg *Config, inbound bool) *Peer {
	p := &Peer{
		id:             peerIDCounter.Add(1),
		inbound:        inbound,
		cfg:            withDefaults(cfg),
		knownInventory: lru.NewCache(maxKnownInventory),
		quit:           make(chan struct{}),
		msgsSent:       make(map[string]uint64),
		msgsRecv:       make(map[string]uint64),
		queueSignal:    make(chan struct{}, 1),
		roomSignal:     make(chan struct{}, 1),
	}
	p.protocolVersion = p.cfg.ProtocolVersion
	return p
}

// NewInboundPeer returns a peer for a connection the remote opened. Start it
// with AssociateConnection.
func NewInboundPeer(cfg *Config) *Peer {
	return newPeer(cfg, true)
}

// NewOutboundPeer returns a peer for a connection we open to addr, which must
// be host:port. Start it with AssociateConnection once the connection is
// dialled.
func NewOutboundPeer(cfg *Config, addr string) (*Peer, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, ruleError(ErrInvalidAddress,
			fmt.Sprintf("outbound peer address %q: %v", addr, err))
	}
	if host == "" {
		return nil, ruleError(ErrInvalidAddress,
			fmt.Sprintf("outbound peer address %q has no host", addr))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, ruleError(ErrInvalidAddress,
			fmt.Sprintf("outbound peer address %q: port is not 0-65535", addr))
	}
	p := newPeer(cfg, false)
	p.addr = addr
	return p, nil
}

// AssociateConnection hands the peer its connection and starts the handshake
// and, once it succeeds, the read, write and timer loops. It returns at once.
// A second call, or a call after Disconnect, closes conn and does nothing
// else.
func (p *Peer) AssociateConnection(conn net.Conn) {
	p.lifeMtx.Lock()
	if p.associated || p.quitting {
		p.lifeMtx.Unlock()
		log.Debugf("Peer %s: connection refused, peer already associated or disconnected", p)
		conn.Close()
		return
	}
	p.associated = true
	p.conn = conn
	// Added under lifeMtx, before quit can close, so WaitForDisconnect
	// (which waits for quit first) always sees it.
	p.wg.Add(1)
	p.lifeMtx.Unlock()

	p.statsMtx.Lock()
	p.connTime = time.Now()
	if p.inbound {
		p.addr = conn.RemoteAddr().String()
	}
	p.statsMtx.Unlock()

	go p.start()
}

// start runs the handshake and then the peer's loops. It owns one count of
// p.wg.
func (p *Peer) start() {
	defer p.wg.Done()

	if err := p.negotiate(); err != nil {
		log.Debugf("Handshake with peer %s failed: %v", p, err)
		p.disconnectWith(err)
		return
	}
	if p.isQuitting() {
		// A listener (OnVerAck) disconnected the peer.
		return
	}
	log.Debugf("Connected to peer %s (%s, protocol %d)", p, p.UserAgent(),
		p.ProtocolVersion())

	p.wg.Add(3)
	go p.inHandler()
	go p.outHandler()
	go p.timeHandler()
}

// Disconnect closes the connection and stops the peer's goroutines. It is
// safe from any goroutine, and calls after the first do nothing.
func (p *Peer) Disconnect() {
	p.disconnectWith(ruleError(ErrDisconnectRequested, "disconnect requested"))
}

// disconnectWith disconnects, recording err as the reason if it is the
// first.
func (p *Peer) disconnectWith(err error) {
	p.lifeMtx.Lock()
	if p.quitting {
		p.lifeMtx.Unlock()
		return
	}
	p.quitting = true
	p.reason = err
	close(p.quit)
	conn := p.conn
	p.lifeMtx.Unlock()

	log.Debugf("Disconnecting peer %s: %v", p, err)
	if conn != nil {
		conn.Close()
	}
	// Wake the writer so it drains the queue and exits.
	select {
	case p.queueSignal <- struct{}{}:
	default:
	}
}

// WaitForDisconnect blocks until the peer is disconnected and every one of
// its goroutines has exited.
func (p *Peer) WaitForDisconnect() {
	<-p.quit
	p.wg.Wait()
}

// DisconnectReason returns why the peer was disconnected (a RuleError), or
// nil while it is not.
func (p *Peer) DisconnectReason() error {
	p.lifeMtx.Lock()
	defer p.lifeMtx.Unlock()
	return p.reason
}

// ID returns the peer's ID, unique in this process.
func (p *Peer) ID() int32 {
	return p.id
}

// Addr returns the remote's address: the dialled one for an outbound peer,
// the connection's remote address for an inbound one (empty until
// AssociateConnection).
func (p *Peer) Addr() string {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.addr
}

// Inbound reports whether the remote opened the connection.
func (p *Peer) Inbound() bool {
	return p.inbound
}

// Connected reports whether the peer has a connection and has not been
// disconnected.
func (p *Peer) Connected() bool {
	p.lifeMtx.Lock()
	defer p.lifeMtx.Unlock()
	return p.associated && !p.quitting
}

// VersionKnown reports whether the remote's version message was received
// and accepted.
func (p *Peer) VersionKnown() bool {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.versionKnown
}

// HandshakeDone reports whether both version messages and both veracks
// have been exchanged.
func (p *Peer) HandshakeDone() bool {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.handshakeDone
}

// ProtocolVersion returns the negotiated protocol version: the lower of
// ours and the remote's once its version is known, ours before.
func (p *Peer) ProtocolVersion() uint32 {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.protocolVersion
}

// Services returns the services the remote advertised.
func (p *Peer) Services() wire.ServiceFlag {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.services
}

// UserAgent returns the remote's user agent.
func (p *Peer) UserAgent() string {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.userAgent
}

// EarlyGetBlocks returns the getblocks sent with our version message
// (Config.EarlyGetBlocks), in order: the remote's first invs answer them.
func (p *Peer) EarlyGetBlocks() []*wire.MsgGetBlocks {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.earlyGetBlocks
}

// LowestHeight returns the lowest height whose block bodies the remote
// serves, as its version message said: 0 unless it advertised
// wire.SFNodePruned.
func (p *Peer) LowestHeight() uint32 {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.lowestHeight
}

// MaxHeight returns the highest block height the remote is known to have.
func (p *Peer) MaxHeight() uint32 {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.maxHeight
}

// Tips returns a copy of the remote's last known tips.
func (p *Peer) Tips() []wire.Hash {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return append([]wire.Hash(nil), p.tips...)
}

// SetMaxHeight records what the remote is known to have, for example after
// it announced a block. A height below the known one is ignored, since a
// peer does not lose blocks; tips are replaced when given (nil keeps them).
func (p *Peer) SetMaxHeight(height uint32, tips []wire.Hash) {
	p.statsMtx.Lock()
	defer p.statsMtx.Unlock()
	if height < p.maxHeight {
		return
	}
	p.maxHeight = height
	if tips != nil {
		if len(tips) > wire.MaxVersionTips {
			tips = tips[:wire.MaxVersionTips]
		}
		p.tips = append([]wire.Hash(nil), tips...)
	}
}

// LastPingMicros returns the round-trip time of the last answered ping in
// microseconds, zero before the first.
func (p *Peer) LastPingMicros() int64 {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.lastPingMicros
}

// TimeOffset returns the remote's clock minus ours in seconds, from its
// version message.
func (p *Peer) TimeOffset() int64 {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	return p.timeOffset
}

// AddKnownInventory records that the remote has iv, so it is never
// announced to it.
func (p *Peer) AddKnownInventory(iv *wire.InvVect) {
	p.knownInventory.Add(invKey{typ: iv.Type, hash: iv.Hash})
}

// IsKnownInventory reports whether the remote is known to have iv.
func (p *Peer) IsKnownInventory(iv *wire.InvVect) bool {
	return p.knownInventory.Contains(invKey{typ: iv.Type, hash: iv.Hash})
}

// StatsSnapshot returns a copy of the peer's state and counters.
func (p *Peer) StatsSnapshot() *StatsSnap {
	p.statsMtx.RLock()
	defer p.statsMtx.RUnlock()
	snap := &StatsSnap{
		ID:              p.id,
		Addr:            p.addr,
		Services:        p.services,
		LastSend:        unixNanoTime(p.lastSend.Load()),
		LastRecv:        unixNanoTime(p.lastRecv.Load()),
		BytesSent:       p.bytesSent.Load(),
		BytesRecv:       p.bytesRecv.Load(),
		MsgsSent:        make(map[string]uint64, len(p.msgsSent)),
		MsgsRecv:        make(map[string]uint64, len(p.msgsRecv)),
		ConnTime:        p.connTime,
		TimeOffset:      p.timeOffset,
		ProtocolVersion: p.protocolVersion,
		UserAgent:       p.userAgent,
		Inbound:         p.inbound,
		VersionKnown:    p.versionKnown,
		MaxHeight:       p.maxHeight,
		Tips:            append([]wire.Hash(nil), p.tips...),
		LastPingTime:    p.lastPingTime,
		LastPingMicros:  p.lastPingMicros,
		Stalls:          p.stalls,
	}
	for k, v := range p.msgsSent {
		snap.MsgsSent[k] = v
	}
	for k, v := range p.msgsRecv {
		snap.MsgsRecv[k] = v
	}
	return snap
}

// String returns the peer's address and direction, for logs.
func (p *Peer) String() string {
	dir := "outbound"
	if p.inbound {
		dir = "inbound"
	}
	return fmt.Sprintf("%s (%s, id %d)", p.Addr(), dir, p.id)
}

// unixNanoTime converts a stored unix-nanosecond time, zero meaning never.
func unixNanoTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
