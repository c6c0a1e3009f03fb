package node

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/connmgr"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/metrics"
	"github.com/soterdag/soterd/netsync"
	"github.com/soterdag/soterd/peer"
	"github.com/soterdag/soterd/wire"
)

const (
	// userAgentName is the name part of our user agent.
	userAgentName = "soterd"

	// userAgentVersion is the version part of our user agent.
	userAgentVersion = Version
)

// Version is the node's version, shown in the user agent, by --version and
// by the getinfo and version RPCs.
const (
	Version      = "0.1.0"
	VersionMajor = 0
	VersionMinor = 1
	VersionPatch = 0
)

// ErrorKind identifies a kind of node error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the errors of package node.
const (
	// ErrInvalidConfig indicates a Config with a missing or out-of-range
	// field.
	ErrInvalidConfig = ErrorKind("ErrInvalidConfig")

	// ErrNotRunning indicates a call that needs a started server.
	ErrNotRunning = ErrorKind("ErrNotRunning")

	// ErrPeerNotFound indicates a peer ID or persistent address the
	// server does not know.
	ErrPeerNotFound = ErrorKind("ErrPeerNotFound")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// RuleError describes a node error. Err is the ErrorKind; Description says
// what went wrong.
type RuleError struct {
	Err         error
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e RuleError) Unwrap() error {
	return e.Err
}

// ruleError creates a RuleError of the given kind.
func ruleError(kind ErrorKind, desc string) RuleError {
	return RuleError{Err: kind, Description: desc}
}

// Config is the configuration of a Server. Zero values of the optional
// fields take the defaults of the package that owns them.
type Config struct {
	// Params are the network's parameters; required.
	Params *blockdag.Params

	// DataDir holds the ban list and the address book; required.
	DataDir string

	// DB is the store, opened by the caller, who also closes it after
	// Stop; required.
	DB *database.DB

	// ListenAddrs are the addresses to accept peers on (":0" picks a
	// port); DisableListen turns inbound connections off.
	ListenAddrs   []string
	DisableListen bool

	// ConnectPeers are the only peers to connect to (no other outbound
	// connections are made); AddPeers are kept connected in addition to
	// the others. Both are redialled when they drop.
	ConnectPeers []string
	AddPeers     []string

	// MaxPeers bounds the peers, TargetOutbound is how many outbound
	// peers to keep from the address book (zero: none beyond
	// ConnectPeers and AddPeers), MaxPeersPerIP bounds the inbound peers
	// of one IP. Zero MaxPeers and MaxPeersPerIP take connmgr's defaults.
	MaxPeers       int
	TargetOutbound int
	MaxPeersPerIP  int

	// BanDuration and BanThreshold configure the ban manager (zero:
	// connmgr's defaults); NoBanning disconnects peers that reach the
	// threshold without banning them; Whitelists are never banned nor
	// disconnected for misbehaviour.
	BanDuration  time.Duration
	BanThreshold uint32
	NoBanning    bool
	Whitelists   []*net.IPNet

	// MinRelayTxFee (base units per 1000 bytes) and MaxOrphanTxs
	// configure the mempool.
	MinRelayTxFee uint64
	MaxOrphanTxs  int

	// UserAgentComments are added to our user agent.
	UserAgentComments []string

	// MaxOrphanBlocks bounds the DAG's orphan pool (blockdag's default
	// when zero).
	MaxOrphanBlocks int

	// DAGCacheBytes bounds the DAG's caches (blockdag.Config.CacheBytes;
	// blockdag's default when zero).
	DAGCacheBytes int

	// TxIndex keeps the DAG's transaction index, through which the RPC
	// server's getrawtransaction finds any transaction in a stored block.
	TxIndex bool

	// UTXOIndex keeps the DAG's UTXO index by key, through which the RPC
	// server answers getbalance, listunspent and notifyutxos.
	UTXOIndex bool

	// PruneBytes prunes the DAG's store to about this many bytes of
	// block bodies and past diffs (blockdag.Config.PruneBytes); zero
	// keeps every block.
	PruneBytes uint64

	// TimeSource returns the current time; nil means time.Now.
	TimeSource func() time.Time

	// The timeouts below exist for tests and unusual networks; zero keeps
	// the owning package's default.

	// SyncStallTimeout replaces a sync peer that delivers nothing for
	// this long (netsync.DefaultStallTimeout).
	SyncStallTimeout time.Duration

	// SyncRequestTimeout expires block and transaction requests
	// (netsync.DefaultRequestTimeout).
	SyncRequestTimeout time.Duration

	// PeerStallTimeout, PeerIdleTimeout and PeerPingInterval configure
	// each peer (package peer's defaults).
	PeerStallTimeout time.Duration
	PeerIdleTimeout  time.Duration
	PeerPingInterval time.Duration

	// TrickleInterval batches transaction announcements (package peer's
	// default).
	TrickleInterval time.Duration

	// RetryDuration is the first redial delay of a persistent peer
	// (package connmgr's default).
	RetryDuration time.Duration

	// NoDNSSeed never asks Params.DNSSeeds for addresses.
	NoDNSSeed bool

	// Metrics, when set, counts blocks and transactions processed, bans
	// and the messages of peers gone; nil counts nothing and costs
	// nothing.
	Metrics *metrics.Metrics

	// Resolver looks the DNS seeds up; nil means net.DefaultResolver.
	Resolver HostResolver

	// DiscoveryInterval is how often the node checks its address book and
	// its peers (defaultDiscoveryInterval when zero).
	DiscoveryInterval time.Duration

	// NoPeersWarning is how long the node may have no peers before it
	// warns (defaultNoPeersWarning when zero).
	NoPeersWarning time.Duration

	// AssumeValid, when not the zero hash, is the assumed-valid block
	// (--assumevalid): the blocks of its past skip their signature checks
	// during the download (blockdag and netsync's assumevalid.go).
	AssumeValid wire.Hash
}

// NetTotals are the bytes read from and written to every peer since Start.
type NetTotals struct {
	BytesRecv uint64
	BytesSent uint64
	Time      time.Time
}

// PeerInfo describes a connected peer for RPC.
type PeerInfo struct {
	peer.StatsSnap

	// SyncNode reports whether the peer is the sync peer.
	SyncNode bool

	// Persistent reports whether the peer was configured with
	// ConnectPeers or AddPeers (or ConnectPeer with permanent set).
	Persistent bool

	// Whitelisted reports whether the peer is never banned.
	Whitelisted bool

	// StartingHeight is the max height the peer announced in its version
	// message.
	StartingHeight uint32

	// AddrLocal is our end of the connection, host:port.
	AddrLocal string
}

// Server is the P2P core of a node: it owns the DAG, the mempool, the sync
// manager, the connection manager with its ban manager and address book,
// and the peers. It is safe for concurrent access.
type Server struct {
	cfg              Config
	params           *blockdag.Params
	userAgentVersion string
	timeSource       func() time.Time

	dag         *blockdag.BlockDAG
	txPool      *mempool.TxPool
	syncManager *netsync.SyncManager
	connManager *connmgr.ConnManager
	banManager  *connmgr.BanManager
	addrManager *connmgr.AddrManager
	listeners   []net.Listener
	nonces      *peer.NonceSet
	clock       *clockCheck

	startOnce sync.Once
	stopOnce  sync.Once
	started   atomic.Bool
	quit      chan struct{}
	wg        sync.WaitGroup

	// peersMtx guards peers (the active peers, handshake done),
	// allPeers (every peer with a connection, for Stop) and, with
	// metrics on, the messages by command of the active peers gone.
	peersMtx     sync.RWMutex
	peers        map[int32]*serverPeer
	allPeers     map[*serverPeer]struct{}
	goneMsgsRecv map[string]uint64
	goneMsgsSent map[string]uint64

	bytesRecv atomic.Uint64
	bytesSent atomic.Uint64

	// dialFailures logs failed outbound dials, rate-limited.
	dialFailures *dialFailures

	hooksMtx            sync.RWMutex
	blockAcceptedHooks  []func(*blockdag.BlockAcceptedData)
	virtualChangedHooks []func(*blockdag.VirtualChangedData)
	txAcceptedHooks     []func(tx *wire.MsgTx, txID wire.Hash, fee uint64)
}

// New builds a server: it loads the DAG from cfg.DB (storing the genesis
// block in a new store), builds the mempool and the sync manager, and loads
// the ban list and the address book from cfg.DataDir. Start it with Start.
func New(cfg *Config) (*Server, error) {
	if cfg == nil {
		return nil, ruleError(ErrInvalidConfig, "node: nil config")
	}
	c := *cfg
	switch {
	case c.Params == nil:
		return nil, ruleError(ErrInvalidConfig, "node: Config.Params is required")
	case c.DB == nil:
		return nil, ruleError(ErrInvalidConfig, "node: Config.DB is required")
	case c.DataDir == "":
		return nil, ruleError(ErrInvalidConfig, "node: Config.DataDir is required")
	case c.MaxPeers < 0 || c.TargetOutbound < 0 || c.MaxPeersPerIP < 0 || c.MaxOrphanTxs < 0:
		return nil, ruleError(ErrInvalidConfig, "node: MaxPeers, TargetOutbound, MaxPeersPerIP "+
			"and MaxOrphanTxs must not be negative")
	}
	if c.TimeSource == nil {
		c.TimeSource = time.Now
	}
	s := &Server{
		cfg:              c,
		params:           c.Params,
		userAgentVersion: userAgentVersionWith(c.UserAgentComments),
		timeSource:       c.TimeSource,
		nonces:           peer.NewNonceSet(),
		clock:            newClockCheck(c.Params.MaxTimeOffset),
		quit:             make(chan struct{}),
		peers:            make(map[int32]*serverPeer),
		allPeers:         make(map[*serverPeer]struct{}),
		goneMsgsRecv:     make(map[string]uint64),
		goneMsgsSent:     make(map[string]uint64),
		dialFailures: &dialFailures{interval: dialLogInterval,
			logf: func(f string, a ...interface{}) { log.Infof(f, a...) }},
	}

	dagCfg := &blockdag.Config{DB: c.DB, Params: c.Params, TimeSource: c.TimeSource,
		TxIndex: c.TxIndex, UTXOIndex: c.UTXOIndex, MaxOrphans: c.MaxOrphanBlocks, CacheBytes: c.DAGCacheBytes,
		PruneBytes: c.PruneBytes, AssumeValid: c.AssumeValid}
	if c.Metrics != nil {
		dagCfg.StageObserver = newStageMetrics(c.Metrics)
	}
	dag, err := blockdag.New(dagCfg)
	if err != nil {
		return nil, fmt.Errorf("node: load the DAG: %w", err)
	}
	s.dag = dag

	s.txPool, err = mempool.New(&mempool.Config{
		Params:           c.Params,
		FetchUTXO:        dag.FetchUTXO,
		VirtualBlueScore: dag.VirtualBlueScore,
		MinRelayTxFee:    c.MinRelayTxFee,
		DustLimit:        mempool.DefaultDustLimit,
		MaxOrphanTxs:     c.MaxOrphanTxs,
		OnTxAccepted:     s.txAccepted,
		TimeSource:       c.TimeSource,
	})
	if err != nil {
		dag.Close()
		return nil, fmt.Errorf("node: build the mempool: %w", err)
	}

	var syncDAG netsync.DAG = dag
	var syncPool netsync.TxPool = s.txPool
	if c.Metrics != nil {
		syncDAG = meteredDAG{BlockDAG: dag, m: c.Metrics}
		syncPool = meteredTxPool{TxPool: s.txPool, m: c.Metrics}
	}
	s.syncManager, err = netsync.New(&netsync.Config{
		DAG:            syncDAG,
		TxPool:         syncPool,
		PeerNotifier:   s,
		OnMisbehavior:  s.syncMisbehavior,
		StallTimeout:   c.SyncStallTimeout,
		RequestTimeout: c.SyncRequestTimeout,
		TimeSource:     c.TimeSource,
		MaxTimeOffset:  c.Params.MaxTimeOffset,
		OnFutureBlock: func(p netsync.Peer, ahead time.Duration) {
			s.clock.add(p.Addr(), ahead)
		},
		AssumeValid:    c.AssumeValid,
		AssumeValidDAG: dag,
	})
	if err != nil {
		dag.Close()
		return nil, fmt.Errorf("node: build the sync manager: %w", err)
	}
	dag.Subscribe(s.handleDAGNotification)

	if err := s.newConnManagers(); err != nil {
		dag.Close()
		return nil, err
	}
	return s, nil
}

// userAgentVersionWith adds the comments to our version, as
// "0.1.0(comment; comment)".
func userAgentVersionWith(comments []string) string {
	if len(comments) == 0 {
		return userAgentVersion
	}
	return userAgentVersion + "(" + strings.Join(comments, "; ") + ")"
}

// syncMisbehavior is the sync manager's misbehaviour report.
func (s *Server) syncMisbehavior(p netsync.Peer, score uint32, reason string) {
	if sp, ok := p.(*serverPeer); ok {
		s.addBanScore(sp, score, reason)
	}
}

// Start starts the sync manager and the connection manager, and dials the
// configured peers. Calls after the first do nothing.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		select {
		case <-s.quit:
			return
		default:
		}
		s.started.Store(true)
		s.syncManager.Start()
		s.addrManager.Start()
		s.connManager.Start()
		for _, addr := range s.cfg.ConnectPeers {
			s.connManager.Connect(&connmgr.ConnReq{Addr: addr, Permanent: true})
		}
		for _, addr := range s.cfg.AddPeers {
			s.connManager.Connect(&connmgr.ConnReq{Addr: addr, Permanent: true})
		}
		log.Infof("Node started on %s with max height %d", s.params.Name, s.dag.MaxHeight())
		s.wg.Add(1)
		go s.discoveryHandler()
	})
}

// Stop disconnects every peer, stops the managers, saves the ban list and
// the address book and closes the DAG (the store stays open for the
// caller). It returns once every goroutine has exited, and is safe to call
// more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		close(s.quit)
		if s.started.Load() {
			s.connManager.Stop()
		}
		// Closed here too in case the server never started; a second
		// close only returns an error.
		for _, l := range s.listeners {
			l.Close()
		}
		s.peersMtx.RLock()
		all := make([]*serverPeer, 0, len(s.allPeers))
		for sp := range s.allPeers {
			all = append(all, sp)
		}
		s.peersMtx.RUnlock()
		for _, sp := range all {
			sp.Disconnect()
		}
		for _, sp := range all {
			sp.WaitForDisconnect()
		}
		s.wg.Wait()
		s.syncManager.Stop()
		s.saveConnManagers()
		if err := s.dag.Close(); err != nil {
			if s.cfg.DB.Err() != nil {
				// The store failed and said so once already.
				log.Debugf("Closing the DAG: %v", err)
			} else {
				log.Errorf("Closing the DAG: %v", err)
			}
		}
		log.Infof("Node stopped")
	})
}

// handleConnection starts a peer on a new connection, inbound when req is
// nil. A goroutine owned by the server waits for the peer to go and cleans
// up after it.
func (s *Server) handleConnection(conn net.Conn, req *connmgr.ConnReq) {
	select {
	case <-s.quit:
		conn.Close()
		return
	default:
	}
	sp, err := s.newServerPeer(conn, req)
	if err != nil {
		log.Debugf("Cannot start peer for %s: %v", conn.RemoteAddr(), err)
		conn.Close()
		return
	}
	s.peersMtx.Lock()
	select {
	case <-s.quit:
		s.peersMtx.Unlock()
		conn.Close()
		return
	default:
	}
	s.allPeers[sp] = struct{}{}
	s.wg.Add(1)
	s.peersMtx.Unlock()

	sp.AssociateConnection(conn)
	go s.peerDoneHandler(sp)
}

// peerDoneHandler waits for a peer to disconnect and removes it from the
// server, the sync manager and the connection manager.
func (s *Server) peerDoneHandler(sp *serverPeer) {
	defer s.wg.Done()
	sp.WaitForDisconnect()

	s.peersMtx.Lock()
	delete(s.allPeers, sp)
	wasActive := s.peers[sp.ID()] == sp
	if wasActive {
		delete(s.peers, sp.ID())
		if s.cfg.Metrics != nil {
			snap := sp.StatsSnapshot()
			for cmd, v := range snap.MsgsRecv {
				s.goneMsgsRecv[cmd] += v
			}
			for cmd, v := range snap.MsgsSent {
				s.goneMsgsSent[cmd] += v
			}
		}
	}
	s.peersMtx.Unlock()

	if wasActive {
		s.syncManager.DonePeer(sp)
	}
	// Closing the connection (package peer did) told the connection
	// manager, which redials a persistent peer. A peer that never
	// finished the handshake was never announced as connected.
	if wasActive {
		log.Infof("Peer %s disconnected: %v", sp, sp.DisconnectReason())
	} else {
		log.Debugf("Peer %s disconnected before the handshake completed: %v", sp, sp.DisconnectReason())
	}
}

// addActivePeer adds a peer whose handshake completed to the relay set. It
// refuses when the server is stopping or the host got banned meanwhile.
func (s *Server) addActivePeer(sp *serverPeer) bool {
	if s.banManager.IsBanned(sp.host) {
		log.Debugf("Refusing banned peer %s", sp)
		return false
	}
	s.peersMtx.Lock()
	defer s.peersMtx.Unlock()
	select {
	case <-s.quit:
		return false
	default:
	}
	s.peers[sp.ID()] = sp
	sp.active.Store(true)
	log.Infof("Peer %s connected (%s, %s, max height %d); %d peers",
		sp, direction(sp.Inbound()), sp.UserAgent(), sp.startingHeight.Load(), len(s.peers))
	return true
}

// direction names a peer's direction in the log.
func direction(inbound bool) string {
	if inbound {
		return "inbound"
	}
	return "outbound"
}

// P2PListenAddrs returns the addresses the server accepts peers on.
func (s *Server) P2PListenAddrs() []net.Addr {
	return s.listenAddrs()
}

// ConnectPeer dials addr ("host:port"); a permanent peer is redialled
// whenever it drops.
func (s *Server) ConnectPeer(addr string, permanent bool) error {
	if !s.started.Load() {
		return ruleError(ErrNotRunning, "node: connect peer: server not started")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("node: connect peer %q: %w", addr, err)
	}
	select {
	case <-s.quit:
		return ruleError(ErrNotRunning, "node: connect peer: server stopped")
	default:
	}
	s.connManager.Connect(&connmgr.ConnReq{Addr: addr, Permanent: permanent})
	return nil
}

// RemovePeer forgets the persistent peer addr (from AddPeers, ConnectPeers
// or ConnectPeer with permanent set): it is disconnected and not redialled.
func (s *Server) RemovePeer(addr string) error {
	for _, req := range s.connManager.PersistentPeers() {
		if req.Addr == addr {
			s.connManager.Remove(req.ID())
			return nil
		}
	}
	return ruleError(ErrPeerNotFound, fmt.Sprintf("node: remove peer: %s is not a persistent peer", addr))
}

// DisconnectPeer disconnects the active peer with the given ID. A
// persistent peer is redialled; use RemovePeer to drop it for good.
func (s *Server) DisconnectPeer(id int32) error {
	s.peersMtx.RLock()
	sp := s.peers[id]
	s.peersMtx.RUnlock()
	if sp == nil {
		return ruleError(ErrPeerNotFound, fmt.Sprintf("node: disconnect peer: no peer with id %d", id))
	}
	sp.Disconnect()
	return nil
}

// DAG returns the block DAG.
func (s *Server) DAG() *blockdag.BlockDAG {
	return s.dag
}

// SyncManager returns the sync manager.
func (s *Server) SyncManager() *netsync.SyncManager {
	return s.syncManager
}

// TxPool returns the mempool.
func (s *Server) TxPool() *mempool.TxPool {
	return s.txPool
}

// BanManager returns the ban manager.
func (s *Server) BanManager() *connmgr.BanManager {
	return s.banManager
}

// AddrManager returns the address book.
func (s *Server) AddrManager() *connmgr.AddrManager {
	return s.addrManager
}

// Peers returns a description of every active peer.
func (s *Server) Peers() []PeerInfo {
	syncID := s.syncManager.SyncPeerID()
	s.peersMtx.RLock()
	defer s.peersMtx.RUnlock()
	infos := make([]PeerInfo, 0, len(s.peers))
	for _, sp := range s.peers {
		infos = append(infos, PeerInfo{
			StatsSnap:      *sp.StatsSnapshot(),
			SyncNode:       sp.ID() == syncID,
			Persistent:     sp.connReq != nil && sp.connReq.Permanent,
			Whitelisted:    sp.whitelisted,
			StartingHeight: sp.startingHeight.Load(),
			AddrLocal:      sp.localAddr,
		})
	}
	return infos
}

// ConnectedCount returns the number of active peers.
func (s *Server) ConnectedCount() int32 {
	s.peersMtx.RLock()
	defer s.peersMtx.RUnlock()
	return int32(len(s.peers))
}

// NetTotals returns the bytes exchanged with peers since Start.
func (s *Server) NetTotals() NetTotals {
	return NetTotals{
		BytesRecv: s.bytesRecv.Load(),
		BytesSent: s.bytesSent.Load(),
		Time:      s.timeSource(),
	}
}

// newConnManagers builds the ban manager, the address book and the
// connection manager with its listeners.
func (s *Server) newConnManagers() error {
	c := &s.cfg
	var err error
	s.banManager, err = connmgr.NewBanManager(&connmgr.BanConfig{
		Threshold: c.BanThreshold,
		Duration:  c.BanDuration,
		Whitelist: c.Whitelists,
		DataDir:   c.DataDir,
	})
	if err != nil {
		return fmt.Errorf("node: ban manager: %w", err)
	}
	s.addrManager, err = connmgr.NewAddrManager(c.DataDir, s.params.Net, s.params.AllowLocalAddrs)
	if err != nil {
		return fmt.Errorf("node: address book: %w", err)
	}

	var listeners []net.Listener
	if !c.DisableListen {
		for _, addr := range c.ListenAddrs {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				for _, l := range listeners {
					l.Close()
				}
				return fmt.Errorf("node: listen on %s: %w", addr, err)
			}
			listeners = append(listeners, l)
		}
	}
	var getNewAddress func() (string, error)
	if len(c.ConnectPeers) == 0 {
		getNewAddress = s.newOutboundAddress
	}
	s.connManager, err = connmgr.New(&connmgr.Config{
		Listeners:      listeners,
		TargetOutbound: c.TargetOutbound,
		MaxPeers:       c.MaxPeers,
		MaxPeersPerIP:  c.MaxPeersPerIP,
		RetryDuration:  c.RetryDuration,
		OnConnection:   func(req *connmgr.ConnReq, conn net.Conn) { s.handleConnection(conn, req) },
		OnAccept:       s.acceptConnection,
		GetNewAddress:  getNewAddress,
		OnDialFailure: func(req *connmgr.ConnReq, err error) {
			s.dialFailures.record(req.Addr, err, time.Now())
		},
	})
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		return fmt.Errorf("node: connection manager: %w", err)
	}
	s.listeners = listeners
	return nil
}

// acceptConnection starts an inbound peer unless its host is banned.
func (s *Server) acceptConnection(conn net.Conn) {
	if s.banManager.IsBanned(conn.RemoteAddr().String()) {
		log.Debugf("Refusing connection from banned host %s", conn.RemoteAddr())
		conn.Close()
		return
	}
	s.handleConnection(conn, nil)
}

// newOutboundAddress picks an address from the address book for an
// automatic outbound connection, skipping banned hosts and peers we are
// already connected to.
func (s *Server) newOutboundAddress() (string, error) {
	addr, err := s.addrManager.GetAddress()
	if err != nil {
		return "", err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if s.banManager.IsBanned(host) {
		return "", fmt.Errorf("address %s is banned", addr)
	}
	s.addrManager.Attempt(addr)
	return addr, nil
}

// listenAddrs returns the addresses of the listeners.
func (s *Server) listenAddrs() []net.Addr {
	addrs := make([]net.Addr, 0, len(s.listeners))
	for _, l := range s.listeners {
		addrs = append(addrs, l.Addr())
	}
	return addrs
}

// saveConnManagers stops the address book's saver and writes the ban list
// and the address book to the data directory.
func (s *Server) saveConnManagers() {
	if err := s.addrManager.Stop(); err != nil {
		log.Warnf("Saving the address book: %v", err)
	}
	if err := s.banManager.Save(); err != nil {
		log.Warnf("Saving the ban list: %v", err)
	}
}
