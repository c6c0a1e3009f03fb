package connmgr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Config.
const (
	// DefaultTargetOutbound is the usual number of outbound connections.
	// Config.TargetOutbound is taken as given, zero meaning none, so that
	// a node with only manual peers makes no automatic ones; the config
	// layer applies this default.
	DefaultTargetOutbound = 8

	// DefaultMaxPeers bounds the connections, inbound and outbound.
	DefaultMaxPeers = 125

	// DefaultMaxPeersPerIP bounds the inbound connections from one IP, so
	// one host cannot take every inbound slot.
	DefaultMaxPeersPerIP = 5

	// DefaultRetryDuration is the first redial delay of a persistent peer
	// and the pause between rounds of automatic outbound dialling.
	DefaultRetryDuration = 5 * time.Second

	// DefaultMaxRetryDuration caps the redial delay of a persistent peer:
	// the delay doubles with each failure up to it.
	DefaultMaxRetryDuration = 5 * time.Minute

	// DefaultDialTimeout bounds one dial of the default dialer.
	DefaultDialTimeout = 30 * time.Second

	// acceptRetryDelay is the pause after a failed Accept, so a listener
	// that keeps failing (out of file descriptors) does not spin.
	acceptRetryDelay = 100 * time.Millisecond

	// stableConnDuration is how long a connection must last to reset the
	// backoff of its request. A peer that accepts and hangs up at once
	// (a failed handshake, a full peer, ourselves) is then redialled
	// ever more slowly instead of every RetryDuration.
	stableConnDuration = time.Minute

	// quickRetryWindow is how long after a working connection drops its
	// request is redialled every RetryDuration, without backoff. A peer
	// that restarts (an upgrade, a crash and systemd's restart) is back
	// within seconds, and a node whose only peer it is should not wait
	// minutes to find out; a peer still gone after the window is backed
	// off as one that does not answer.
	quickRetryWindow = time.Minute
)

// ConnState is the state of a connection request.
type ConnState uint8

// The states of a connection request.
const (
	// ConnPending means the request is being dialled or waits to be
	// redialled.
	ConnPending ConnState = iota

	// ConnEstablished means the request has a connection.
	ConnEstablished

	// ConnDisconnected means the connection was closed.
	ConnDisconnected

	// ConnFailed means the last dial failed.
	ConnFailed

	// ConnRemoved means the request was removed and will not be
	// redialled.
	ConnRemoved
)

// String returns the state's name.
func (s ConnState) String() string {
	switch s {
	case ConnPending:
		return "pending"
	case ConnEstablished:
		return "established"
	case ConnDisconnected:
		return "disconnected"
	case ConnFailed:
		return "failed"
	case ConnRemoved:
		return "removed"
	}
	return fmt.Sprintf("unknown state %d", uint8(s))
}

// ConnReq is a request for an outbound connection to Addr. A Permanent
// request is redialled, with backoff, whenever it fails or its connection
// closes. Set Addr and Permanent before passing it to Connect; the other
// fields belong to the manager.
type ConnReq struct {
	// Addr is the address to dial, host:port.
	Addr string

	// Permanent requests are redialled until removed.
	Permanent bool

	id atomic.Uint64

	// The fields below are protected by the manager's mutex.
	state       ConnState
	conn        net.Conn
	connectedAt time.Time
	retries     uint32

	// handshaked is set by HandshakeDone for the current connection;
	// quickUntil ends the quick redials after a working connection
	// dropped (quickRetryWindow).
	handshaked bool
	quickUntil time.Time
}

// ID returns the request's ID, assigned by Connect; zero before.
func (r *ConnReq) ID() uint64 {
	return r.id.Load()
}

// String returns the address and ID, for logs.
func (r *ConnReq) String() string {
	return fmt.Sprintf("%s (reqid %d)", r.Addr, r.ID())
}

// Config is the configuration of a connection manager.
type Config struct {
	// Listeners accept inbound connections. The manager closes them on
	// Stop.
	Listeners []net.Listener

	// OnAccept receives each inbound connection that passed the bounds.
	// It runs on the listener's goroutine and must not block; the
	// connection counts against the bounds until it is closed. Required
	// when there are listeners.
	OnAccept func(conn net.Conn)

	// TargetOutbound is how many outbound connections (persistent ones
	// included) to keep by dialling addresses from GetNewAddress. Zero
	// makes no automatic connections.
	TargetOutbound int

	// MaxPeers bounds the connections, inbound and outbound; inbound
	// connections past it are closed at once.
	MaxPeers int

	// MaxPeersPerIP bounds the inbound connections from one IP.
	MaxPeersPerIP int

	// RetryDuration is the first redial delay of a persistent request,
	// doubled with each failed dial or short-lived connection up to
	// MaxRetryDuration. A connection that completed its handshake
	// (HandshakeDone) or lasted a minute resets it, and for a minute
	// after such a connection drops the request is redialled every
	// RetryDuration.
	RetryDuration time.Duration

	// MaxRetryDuration caps the redial delay.
	MaxRetryDuration time.Duration

	// Dial opens a connection. It must return within a bounded time,
	// since Stop waits for dials in flight. Nil uses a TCP dialer with
	// DefaultDialTimeout that Stop cancels.
	Dial func(network, addr string) (net.Conn, error)

	// OnConnection receives each outbound connection. It runs on the
	// dialling goroutine and must not block.
	OnConnection func(req *ConnReq, conn net.Conn)

	// OnDisconnection is called when an outbound connection closes, from
	// the goroutine that closed it, before any redial.
	OnDisconnection func(req *ConnReq)

	// GetNewAddress returns an address for an automatic outbound
	// connection. Nil, or TargetOutbound zero, makes none.
	GetNewAddress func() (string, error)

	// OnDialFailure, when set, is told of each failed dial, from the
	// dialling goroutine; it must not block.
	OnDialFailure func(req *ConnReq, err error)
}

// ConnManager keeps the node's connections: outbound ones to a target
// count, persistent ones redialled with exponential backoff, and inbound
// ones within MaxPeers and MaxPeersPerIP. Connections it hands out are
// wrapped so that closing them (from any goroutine) frees their slot and
// triggers a redial. It is safe for concurrent access.
type ConnManager struct {
	cfg    Config
	nextID atomic.Uint64

	// mtx protects the state below. It is never held while dialling or
	// calling back.
	mtx        sync.Mutex
	started    bool
	stopped    bool
	reqs       map[uint64]*ConnReq
	outbound   int // established outbound connections
	inbound    map[*trackedConn]struct{}
	inboundIPs map[string]int

	quit       chan struct{}
	fillSignal chan struct{}
	dialCtx    context.Context
	cancelDial context.CancelFunc
	wg         sync.WaitGroup
}

// New returns a connection manager. Start it with Start.
func New(cfg *Config) (*ConnManager, error) {
	if cfg == nil {
		return nil, ruleError(ErrInvalidConfig, "connection manager: nil config")
	}
	c := *cfg
	switch {
	case c.TargetOutbound < 0:
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"TargetOutbound %d is negative", c.TargetOutbound))
	case c.MaxPeers < 0:
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"MaxPeers %d is negative", c.MaxPeers))
	case c.MaxPeersPerIP < 0:
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"MaxPeersPerIP %d is negative", c.MaxPeersPerIP))
	case c.RetryDuration < 0 || c.MaxRetryDuration < 0:
		return nil, ruleError(ErrInvalidConfig, "RetryDuration and MaxRetryDuration must not be negative")
	case len(c.Listeners) > 0 && c.OnAccept == nil:
		return nil, ruleError(ErrInvalidConfig, "OnAccept is required with listeners")
	}
	if c.MaxPeers == 0 {
		c.MaxPeers = DefaultMaxPeers
	}
	if c.MaxPeersPerIP == 0 {
		c.MaxPeersPerIP = DefaultMaxPeersPerIP
	}
	if c.RetryDuration == 0 {
		c.RetryDuration = DefaultRetryDuration
	}
	if c.MaxRetryDuration == 0 {
		c.MaxRetryDuration = max(DefaultMaxRetryDuration, c.RetryDuration)
	}
	if c.RetryDuration > c.MaxRetryDuration {
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"RetryDuration %v is over MaxRetryDuration %v", c.RetryDuration, c.MaxRetryDuration))
	}
	if c.TargetOutbound > c.MaxPeers {
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"TargetOutbound %d is over MaxPeers %d", c.TargetOutbound, c.MaxPeers))
	}
	c.Listeners = append([]net.Listener(nil), c.Listeners...)

	cm := &ConnManager{
		cfg:        c,
		reqs:       make(map[uint64]*ConnReq),
		inbound:    make(map[*trackedConn]struct{}),
		inboundIPs: make(map[string]int),
		quit:       make(chan struct{}),
		fillSignal: make(chan struct{}, 1),
	}
	cm.dialCtx, cm.cancelDial = context.WithCancel(context.Background())
	if cm.cfg.Dial == nil {
		dialer := &net.Dialer{Timeout: DefaultDialTimeout}
		cm.cfg.Dial = func(network, addr string) (net.Conn, error) {
			return dialer.DialContext(cm.dialCtx, network, addr)
		}
	}
	return cm, nil
}

// Start starts accepting on the listeners and, with GetNewAddress and a
// TargetOutbound, dialling automatic outbound connections. Calls after the
// first, or after Stop, do nothing.
func (cm *ConnManager) Start() {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	if cm.started || cm.stopped {
		return
	}
	cm.started = true
	for _, l := range cm.cfg.Listeners {
		cm.wg.Add(1)
		go cm.acceptHandler(l)
	}
	if cm.cfg.GetNewAddress != nil && cm.cfg.TargetOutbound > 0 {
		cm.wg.Add(1)
		go cm.outboundHandler()
	}
	log.Debugf("Connection manager started: %d listeners, target outbound %d, max peers %d",
		len(cm.cfg.Listeners), cm.cfg.TargetOutbound, cm.cfg.MaxPeers)
}

// Stop closes the listeners and every connection the manager made or
// accepted, cancels dials and redials, and returns once its goroutines have
// exited. OnDisconnection is not called for the connections it closes. It
// is safe to call twice.
func (cm *ConnManager) Stop() {
	cm.mtx.Lock()
	if cm.stopped {
		cm.mtx.Unlock()
		return
	}
	cm.stopped = true
	close(cm.quit)
	cm.cancelDial()
	var conns []net.Conn
	for _, req := range cm.reqs {
		if req.conn != nil {
			conns = append(conns, req.conn)
		}
	}
	for tc := range cm.inbound {
		conns = append(conns, tc)
	}
	cm.mtx.Unlock()

	for _, l := range cm.cfg.Listeners {
		l.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	cm.wg.Wait()
	log.Debugf("Connection manager stopped")
}

// Connect dials req, assigning its ID first, and keeps redialling it while
// it is permanent. It returns at once. A request that is already active, or
// given after Stop, is ignored.
func (cm *ConnManager) Connect(req *ConnReq) {
	req.id.CompareAndSwap(0, cm.nextID.Add(1))
	cm.mtx.Lock()
	if cm.stopped {
		cm.mtx.Unlock()
		return
	}
	if old, ok := cm.reqs[req.ID()]; ok {
		cm.mtx.Unlock()
		if old == req {
			log.Debugf("Connection request %s is already active", req)
		} else {
			log.Errorf("Connection request %s reuses the ID of %s", req, old)
		}
		return
	}
	cm.reqs[req.ID()] = req
	req.state = ConnPending
	cm.wg.Add(1)
	cm.mtx.Unlock()

	log.Debugf("Dialling %s", req)
	go cm.dial(req, 0)
}

// dial waits delay, then dials req and hands the result on. It owns one
// count of cm.wg.
func (cm *ConnManager) dial(req *ConnReq, delay time.Duration) {
	defer cm.wg.Done()
	if delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-cm.quit:
			timer.Stop()
			return
		}
	}
	if !cm.isCurrent(req) {
		return
	}
	conn, err := cm.cfg.Dial("tcp", req.Addr)
	if err != nil {
		if cm.cfg.OnDialFailure != nil {
			cm.cfg.OnDialFailure(req, err)
		}
		cm.dialFailed(req, err)
		return
	}
	cm.connected(req, conn)
}

// isCurrent reports whether req is still wanted.
func (cm *ConnManager) isCurrent(req *ConnReq) bool {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	return !cm.stopped && cm.reqs[req.ID()] == req
}

// backoff returns the redial delay after the given number of consecutive
// failures: RetryDuration doubled for each failure after the first, capped
// at MaxRetryDuration.
func (cm *ConnManager) backoff(retries uint32) time.Duration {
	d := cm.cfg.RetryDuration
	for i := uint32(1); i < retries && d < cm.cfg.MaxRetryDuration; i++ {
		d *= 2
	}
	return min(d, cm.cfg.MaxRetryDuration)
}

// scheduleRetryLocked redials a permanent req after its backoff, or drops a
// non-permanent one so the outbound handler replaces it.
func (cm *ConnManager) scheduleRetryLocked(req *ConnReq) {
	if !req.Permanent {
		delete(cm.reqs, req.ID())
		return
	}
	d := cm.cfg.RetryDuration
	if !time.Now().Before(req.quickUntil) {
		req.retries++
		d = cm.backoff(req.retries)
	}
	log.Debugf("Redialling %s in %v", req, d)
	cm.wg.Add(1)
	go cm.dial(req, d)
}

// dialFailed handles a failed dial.
func (cm *ConnManager) dialFailed(req *ConnReq, err error) {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	if cm.stopped || cm.reqs[req.ID()] != req {
		return
	}
	log.Debugf("Failed to connect to %s: %v", req, err)
	req.state = ConnFailed
	cm.scheduleRetryLocked(req)
}

// connected records an outbound connection and hands it to OnConnection.
func (cm *ConnManager) connected(req *ConnReq, conn net.Conn) {
	cm.mtx.Lock()
	if cm.stopped || cm.reqs[req.ID()] != req {
		cm.mtx.Unlock()
		conn.Close()
		return
	}
	tc := &trackedConn{Conn: conn}
	tc.onClose = func() { cm.outboundClosed(req, tc) }
	req.conn = tc
	req.state = ConnEstablished
	req.connectedAt = time.Now()
	cm.outbound++
	cm.mtx.Unlock()

	log.Debugf("Connected to %s", req)
	if cm.cfg.OnConnection != nil {
		cm.cfg.OnConnection(req, tc)
	}
}

// outboundClosed handles the close of an outbound connection: its slot is
// freed and a permanent request is redialled.
func (cm *ConnManager) outboundClosed(req *ConnReq, tc *trackedConn) {
	cm.mtx.Lock()
	if req.conn != tc {
		cm.mtx.Unlock()
		return
	}
	req.conn = nil
	cm.outbound--
	if cm.stopped {
		cm.mtx.Unlock()
		return
	}
	current := cm.reqs[req.ID()] == req
	if current {
		req.state = ConnDisconnected
		if req.handshaked || time.Since(req.connectedAt) >= stableConnDuration {
			// The peer worked: it is probably restarting.
			req.retries = 0
			req.quickUntil = time.Now().Add(quickRetryWindow)
		}
		req.handshaked = false
		cm.scheduleRetryLocked(req)
	}
	cm.mtx.Unlock()

	log.Debugf("Disconnected from %s", req)
	if cm.cfg.OnDisconnection != nil {
		cm.cfg.OnDisconnection(req)
	}
	cm.signalFill()
}

// HandshakeDone records that the connection of request id completed the
// protocol handshake: the peer works, so its backoff is reset, and when the
// connection drops it is redialled every RetryDuration for a while (see
// Config.RetryDuration). Unknown ids are ignored.
func (cm *ConnManager) HandshakeDone(id uint64) {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	if req, ok := cm.reqs[id]; ok && req.state == ConnEstablished {
		req.retries = 0
		req.handshaked = true
	}
}

// Disconnect closes the connection of request id, if it has one. A
// permanent request is then redialled; another one is dropped and, with
// automatic outbound connections, replaced. Closing the connection the
// manager handed out does the same.
func (cm *ConnManager) Disconnect(id uint64) {
	cm.mtx.Lock()
	var conn net.Conn
	if req, ok := cm.reqs[id]; ok && req.state == ConnEstablished {
		conn = req.conn
	}
	cm.mtx.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// Remove forgets request id for good: it is not redialled, and its
// connection, if any, is closed.
func (cm *ConnManager) Remove(id uint64) {
	cm.mtx.Lock()
	req, ok := cm.reqs[id]
	if !ok {
		cm.mtx.Unlock()
		return
	}
	delete(cm.reqs, id)
	req.state = ConnRemoved
	conn := req.conn
	cm.mtx.Unlock()
	log.Debugf("Removed %s", req)
	if conn != nil {
		conn.Close()
	}
}

// State returns the state of request id, and false if the manager does not
// know it (never given, removed, or a non-permanent one that ended).
func (cm *ConnManager) State(id uint64) (ConnState, bool) {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	req, ok := cm.reqs[id]
	if !ok {
		return ConnRemoved, false
	}
	return req.state, true
}

// ConnectedCount returns the number of open connections, inbound and
// outbound.
func (cm *ConnManager) ConnectedCount() int {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	return cm.outbound + len(cm.inbound)
}

// OutboundCount returns the number of open outbound connections.
func (cm *ConnManager) OutboundCount() int {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	return cm.outbound
}

// InboundCount returns the number of open inbound connections.
func (cm *ConnManager) InboundCount() int {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	return len(cm.inbound)
}

// PersistentPeers returns the permanent requests, connected or not.
func (cm *ConnManager) PersistentPeers() []*ConnReq {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	var list []*ConnReq
	for _, req := range cm.reqs {
		if req.Permanent {
			list = append(list, req)
		}
	}
	return list
}

// acceptHandler accepts inbound connections on l until Stop. It owns one
// count of cm.wg.
func (cm *ConnManager) acceptHandler(l net.Listener) {
	defer cm.wg.Done()
	for {
		conn, err := l.Accept()
		if err != nil {
			select {
			case <-cm.quit:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				log.Warnf("Listener %s closed; no longer accepting on it", l.Addr())
				return
			}
			log.Warnf("Accept on %s failed: %v", l.Addr(), err)
			select {
			case <-time.After(acceptRetryDelay):
			case <-cm.quit:
				return
			}
			continue
		}
		cm.handleInbound(conn)
	}
}

// handleInbound admits an inbound connection within the bounds, or closes
// it.
func (cm *ConnManager) handleInbound(conn net.Conn) {
	ip := remoteIP(conn)
	cm.mtx.Lock()
	if cm.stopped {
		cm.mtx.Unlock()
		conn.Close()
		return
	}
	if total := cm.outbound + len(cm.inbound); total >= cm.cfg.MaxPeers {
		cm.mtx.Unlock()
		log.Debugf("Refusing inbound connection from %s: %d connections, max %d",
			conn.RemoteAddr(), total, cm.cfg.MaxPeers)
		conn.Close()
		return
	}
	if n := cm.inboundIPs[ip]; n >= cm.cfg.MaxPeersPerIP {
		cm.mtx.Unlock()
		log.Debugf("Refusing inbound connection from %s: %d from that IP, max %d",
			conn.RemoteAddr(), n, cm.cfg.MaxPeersPerIP)
		conn.Close()
		return
	}
	tc := &trackedConn{Conn: conn}
	tc.onClose = func() { cm.inboundClosed(tc, ip) }
	cm.inbound[tc] = struct{}{}
	cm.inboundIPs[ip]++
	cm.mtx.Unlock()

	log.Debugf("Accepted connection from %s", conn.RemoteAddr())
	cm.cfg.OnAccept(tc)
}

// inboundClosed frees the slot of a closed inbound connection.
func (cm *ConnManager) inboundClosed(tc *trackedConn, ip string) {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	if _, ok := cm.inbound[tc]; !ok {
		return
	}
	delete(cm.inbound, tc)
	if cm.inboundIPs[ip]--; cm.inboundIPs[ip] <= 0 {
		delete(cm.inboundIPs, ip)
	}
}

// remoteIP returns the canonical IP of a connection's remote end, or its
// whole address if it has no IP.
func remoteIP(conn net.Conn) string {
	addr := conn.RemoteAddr().String()
	if _, key, err := canonicalHost(addr); err == nil {
		return key
	}
	return addr
}

// signalFill wakes the outbound handler without blocking.
func (cm *ConnManager) signalFill() {
	select {
	case cm.fillSignal <- struct{}{}:
	default:
	}
}

// outboundHandler keeps the outbound connections at TargetOutbound: it
// dials new addresses whenever a connection drops and every RetryDuration.
// Failed dials are only replaced on the next tick, so a run of dead
// addresses does not turn into a tight loop. It owns one count of cm.wg.
func (cm *ConnManager) outboundHandler() {
	defer cm.wg.Done()
	ticker := time.NewTicker(cm.cfg.RetryDuration)
	defer ticker.Stop()
	for {
		cm.fillOutbound()
		select {
		case <-ticker.C:
		case <-cm.fillSignal:
		case <-cm.quit:
			return
		}
	}
}

// fillOutbound starts dials until the outbound requests reach the target.
func (cm *ConnManager) fillOutbound() {
	for {
		cm.mtx.Lock()
		want := !cm.stopped && len(cm.reqs) < cm.cfg.TargetOutbound &&
			cm.outbound+len(cm.inbound) < cm.cfg.MaxPeers
		cm.mtx.Unlock()
		if !want {
			return
		}
		addr, err := cm.cfg.GetNewAddress()
		if err != nil {
			log.Debugf("No address for an outbound connection: %v", err)
			return
		}
		if cm.hasRequestFor(addr) {
			// The source offers what we already have; try again on
			// the next round rather than spin on it.
			log.Debugf("Already connecting to %s", addr)
			return
		}
		cm.Connect(&ConnReq{Addr: addr})
	}
}

// hasRequestFor reports whether an outbound request for addr exists.
func (cm *ConnManager) hasRequestFor(addr string) bool {
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	for _, req := range cm.reqs {
		if req.Addr == addr {
			return true
		}
	}
	return false
}

// trackedConn is a connection the manager handed out. Closing it, from
// anywhere and any number of times, closes the connection once and tells
// the manager.
type trackedConn struct {
	net.Conn
	once    sync.Once
	onClose func()
}

// Close closes the connection and frees its slot in the manager.
func (tc *trackedConn) Close() error {
	err := net.ErrClosed
	tc.once.Do(func() {
		err = tc.Conn.Close()
		tc.onClose()
	})
	return err
}
