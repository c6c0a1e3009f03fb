package connmgr

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// testServer is a loopback TCP server that accepts and holds connections,
// standing in for remote peers.
type testServer struct {
	ln    net.Listener
	mtx   sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &testServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mtx.Lock()
			s.conns = append(s.conns, c)
			s.mtx.Unlock()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *testServer) addr() string { return s.ln.Addr().String() }

func (s *testServer) count() int {
	s.mtx.Lock()
	defer s.mtx.Unlock()
	return len(s.conns)
}

// dropAll closes the server side of every accepted connection.
func (s *testServer) dropAll() {
	s.mtx.Lock()
	defer s.mtx.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

func (s *testServer) close() {
	s.ln.Close()
	s.wg.Wait()
	s.dropAll()
}

// connRecorder records OnConnection and OnDisconnection calls.
type connRecorder struct {
	mtx      sync.Mutex
	conns    []net.Conn
	reqs     []*ConnReq
	dropped  []*ConnReq
	accepted []net.Conn
}

func (r *connRecorder) onConnection(req *ConnReq, conn net.Conn) {
	r.mtx.Lock()
	defer r.mtx.Unlock()
	r.reqs = append(r.reqs, req)
	r.conns = append(r.conns, conn)
}

func (r *connRecorder) onDisconnection(req *ConnReq) {
	r.mtx.Lock()
	defer r.mtx.Unlock()
	r.dropped = append(r.dropped, req)
}

func (r *connRecorder) onAccept(conn net.Conn) {
	r.mtx.Lock()
	defer r.mtx.Unlock()
	r.accepted = append(r.accepted, conn)
}

func (r *connRecorder) counts() (connected, dropped, accepted int) {
	r.mtx.Lock()
	defer r.mtx.Unlock()
	return len(r.conns), len(r.dropped), len(r.accepted)
}

func (r *connRecorder) conn(i int) net.Conn {
	r.mtx.Lock()
	defer r.mtx.Unlock()
	return r.conns[i]
}

func (r *connRecorder) acceptedConn(i int) net.Conn {
	r.mtx.Lock()
	defer r.mtx.Unlock()
	return r.accepted[i]
}

// newTestManager returns a started manager wired to a recorder.
func newTestManager(t testing.TB, cfg Config) (*ConnManager, *connRecorder) {
	t.Helper()
	rec := &connRecorder{}
	if cfg.OnConnection == nil {
		cfg.OnConnection = rec.onConnection
	}
	if cfg.OnDisconnection == nil {
		cfg.OnDisconnection = rec.onDisconnection
	}
	if cfg.OnAccept == nil {
		cfg.OnAccept = rec.onAccept
	}
	cm, err := New(&cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cm.Start()
	t.Cleanup(cm.Stop)
	return cm, rec
}

// TestNewConfig checks config validation.
func TestNewConfig(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	tests := []struct {
		name string
		cfg  *Config
		ok   bool
	}{
		{"nil", nil, false},
		{"zero", &Config{}, true},
		{"negative target", &Config{TargetOutbound: -1}, false},
		{"negative max peers", &Config{MaxPeers: -1}, false},
		{"negative per IP", &Config{MaxPeersPerIP: -1}, false},
		{"negative retry", &Config{RetryDuration: -time.Second}, false},
		{"retry over cap", &Config{RetryDuration: time.Hour, MaxRetryDuration: time.Minute}, false},
		{"target over max peers", &Config{TargetOutbound: 10, MaxPeers: 5}, false},
		{"listeners without OnAccept", &Config{Listeners: []net.Listener{ln}}, false},
		{"retry over default cap", &Config{RetryDuration: time.Hour}, true},
	}
	for _, test := range tests {
		cm, err := New(test.cfg)
		if test.ok != (err == nil) {
			t.Errorf("%s: got error %v, want ok=%v", test.name, err, test.ok)
			continue
		}
		if !test.ok {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%s: got error %v, want %v", test.name, err, ErrInvalidConfig)
			}
			continue
		}
		if cm.cfg.MaxPeers != DefaultMaxPeers || cm.cfg.MaxPeersPerIP != DefaultMaxPeersPerIP ||
			cm.cfg.Dial == nil || cm.cfg.MaxRetryDuration < cm.cfg.RetryDuration {
			t.Errorf("%s: defaults not applied: %+v", test.name, cm.cfg)
		}
	}
}

// TestBackoff checks the redial delays: doubling from RetryDuration up to
// the cap.
func TestBackoff(t *testing.T) {
	cm, err := New(&Config{RetryDuration: time.Second, MaxRetryDuration: 10 * time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		retries uint32
		want    time.Duration
	}{
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{4, 8 * time.Second},
		{5, 10 * time.Second},
		{100, 10 * time.Second},
		{1 << 31, 10 * time.Second},
	}
	for _, test := range tests {
		if got := cm.backoff(test.retries); got != test.want {
			t.Errorf("retries %d: got %v, want %v", test.retries, got, test.want)
		}
	}
}

// TestOutboundConnection checks a one-off outbound connection from dial to
// close.
func TestOutboundConnection(t *testing.T) {
	srv := newTestServer(t)
	cm, rec := newTestManager(t, Config{RetryDuration: 10 * time.Millisecond})
	req := &ConnReq{Addr: srv.addr()}
	cm.Connect(req)
	if req.ID() == 0 {
		t.Fatalf("Connect did not assign an ID")
	}
	waitFor(t, "connection", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 1 })
	if state, ok := cm.State(req.ID()); !ok || state != ConnEstablished {
		t.Errorf("State: got %v %v, want %v", state, ok, ConnEstablished)
	}
	if cm.ConnectedCount() != 1 || cm.OutboundCount() != 1 {
		t.Errorf("counts: connected %d outbound %d", cm.ConnectedCount(), cm.OutboundCount())
	}
	// Closing the handed-out connection, twice, frees the slot once.
	rec.conn(0).Close()
	rec.conn(0).Close()
	waitFor(t, "disconnection", 5*time.Second, func() bool { _, d, _ := rec.counts(); return d == 1 })
	if cm.ConnectedCount() != 0 {
		t.Errorf("ConnectedCount after close: %d", cm.ConnectedCount())
	}
	if _, ok := cm.State(req.ID()); ok {
		t.Errorf("one-off request still known after its connection closed")
	}
	time.Sleep(50 * time.Millisecond)
	if c, _, _ := rec.counts(); c != 1 {
		t.Errorf("one-off request redialled: %d connections", c)
	}
}

// TestPersistentReconnect checks that a permanent request is redialled when
// its connection drops, through Disconnect too, and not after Remove.
func TestPersistentReconnect(t *testing.T) {
	srv := newTestServer(t)
	cm, rec := newTestManager(t, Config{RetryDuration: 10 * time.Millisecond})
	req := &ConnReq{Addr: srv.addr(), Permanent: true}
	cm.Connect(req)
	waitFor(t, "connection", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 1 })
	if got := cm.PersistentPeers(); len(got) != 1 || got[0] != req {
		t.Errorf("PersistentPeers: got %v", got)
	}

	// The remote hangs up; the node notices and closes its side.
	srv.dropAll()
	io.Copy(io.Discard, rec.conn(0))
	rec.conn(0).Close()
	waitFor(t, "redial after drop", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 2 })

	// The node asks for a disconnect.
	cm.Disconnect(req.ID())
	waitFor(t, "redial after Disconnect", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 3 })
	if _, d, _ := rec.counts(); d != 2 {
		t.Errorf("OnDisconnection calls: got %d, want 2", d)
	}
	// Two short-lived connections in a row: the backoff was not reset.
	cm.mtx.Lock()
	retries := req.retries
	cm.mtx.Unlock()
	if retries != 2 {
		t.Errorf("retries after two short connections: got %d, want 2", retries)
	}
	// A Disconnect of a request being redialled does nothing.
	cm.Disconnect(12345)

	cm.Remove(req.ID())
	time.Sleep(100 * time.Millisecond)
	if c, _, _ := rec.counts(); c != 3 {
		t.Errorf("removed request redialled: %d connections", c)
	}
	if len(cm.PersistentPeers()) != 0 || cm.ConnectedCount() != 0 {
		t.Errorf("after Remove: %d persistent, %d connected", len(cm.PersistentPeers()),
			cm.ConnectedCount())
	}
}

// TestRetrySchedule checks the redial times of a permanent request that
// never connects: the delays double up to the cap.
func TestRetrySchedule(t *testing.T) {
	var mtx sync.Mutex
	var attempts []time.Time
	dial := func(string, string) (net.Conn, error) {
		mtx.Lock()
		attempts = append(attempts, time.Now())
		mtx.Unlock()
		return nil, errors.New("connection refused")
	}
	const base = 40 * time.Millisecond
	cm, _ := newTestManager(t, Config{Dial: dial, RetryDuration: base, MaxRetryDuration: 4 * base})
	req := &ConnReq{Addr: "192.0.2.1:18555", Permanent: true}
	cm.Connect(req)
	waitFor(t, "six attempts", 10*time.Second, func() bool {
		mtx.Lock()
		defer mtx.Unlock()
		return len(attempts) >= 6
	})
	cm.Remove(req.ID())

	mtx.Lock()
	defer mtx.Unlock()
	want := []time.Duration{base, 2 * base, 4 * base, 4 * base, 4 * base}
	for i, w := range want {
		gap := attempts[i+1].Sub(attempts[i])
		// Timers never fire early; a loaded machine may fire them late.
		if gap < w || gap > w+400*time.Millisecond {
			t.Errorf("gap %d: got %v, want %v", i+1, gap, w)
		}
	}
	if state, ok := cm.State(req.ID()); ok {
		t.Errorf("removed request still known: %v", state)
	}
}

// TestMaxPeers checks that inbound connections beyond MaxPeers are closed
// at once and that a closed connection frees its slot.
func TestMaxPeers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	_, rec := newTestManager(t, Config{Listeners: []net.Listener{ln}, MaxPeers: 2,
		MaxPeersPerIP: 10})

	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	waitFor(t, "two accepted", 5*time.Second, func() bool { _, _, a := rec.counts(); return a == 2 })
	third := dial()
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := third.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("third connection: got %v, want it closed (EOF)", err)
	}
	if _, _, a := rec.counts(); a != 2 {
		t.Fatalf("accepted %d connections, want 2", a)
	}
	// Free a slot: the next connection is accepted.
	rec.acceptedConn(0).Close()
	dial()
	waitFor(t, "slot reused", 5*time.Second, func() bool { _, _, a := rec.counts(); return a == 3 })
}

// TestMaxPeersPerIP checks the per-IP bound on inbound connections.
func TestMaxPeersPerIP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cm, rec := newTestManager(t, Config{Listeners: []net.Listener{ln}, MaxPeersPerIP: 1})
	first, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer first.Close()
	waitFor(t, "first accepted", 5*time.Second, func() bool { _, _, a := rec.counts(); return a == 1 })
	second, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := second.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("second connection from the IP: got %v, want EOF", err)
	}
	if cm.InboundCount() != 1 {
		t.Errorf("InboundCount: got %d, want 1", cm.InboundCount())
	}
}

// TestTargetOutbound checks that automatic outbound connections are kept at
// the target and replaced when they drop.
func TestTargetOutbound(t *testing.T) {
	var servers []*testServer
	for i := 0; i < 4; i++ {
		servers = append(servers, newTestServer(t))
	}
	var next atomic.Int32
	getAddr := func() (string, error) {
		i := int(next.Add(1)-1) % len(servers)
		return servers[i].addr(), nil
	}
	cm, rec := newTestManager(t, Config{TargetOutbound: 2, GetNewAddress: getAddr,
		RetryDuration: 20 * time.Millisecond})
	waitFor(t, "two outbound", 5*time.Second, func() bool { return cm.OutboundCount() == 2 })
	time.Sleep(100 * time.Millisecond)
	if got := cm.OutboundCount(); got != 2 {
		t.Fatalf("outbound: got %d, want the target 2", got)
	}
	rec.conn(0).Close()
	waitFor(t, "replacement", 5*time.Second, func() bool {
		c, _, _ := rec.counts()
		return c == 3 && cm.OutboundCount() == 2
	})
}

// TestTargetOutboundNoAddress checks that a source without addresses is
// asked again later, not in a loop.
func TestTargetOutboundNoAddress(t *testing.T) {
	var calls atomic.Int32
	getAddr := func() (string, error) {
		calls.Add(1)
		return "", fmt.Errorf("empty")
	}
	newTestManager(t, Config{TargetOutbound: 3, GetNewAddress: getAddr,
		RetryDuration: 50 * time.Millisecond})
	time.Sleep(275 * time.Millisecond)
	if got := calls.Load(); got < 3 || got > 10 {
		t.Errorf("GetNewAddress called %d times in 275ms with a 50ms retry", got)
	}
}

// TestStopNoLeak checks that Stop closes everything, is idempotent, and
// leaves no goroutine behind.
func TestStopNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := newTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	rec := &connRecorder{}
	cm, err := New(&Config{
		Listeners:       []net.Listener{ln},
		OnAccept:        rec.onAccept,
		OnConnection:    rec.onConnection,
		OnDisconnection: rec.onDisconnection,
		RetryDuration:   time.Hour,
		TargetOutbound:  1,
		GetNewAddress:   func() (string, error) { return "", errors.New("none") },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cm.Start()
	cm.Connect(&ConnReq{Addr: srv.addr(), Permanent: true})
	cm.Connect(&ConnReq{Addr: "127.0.0.1:1", Permanent: true}) // refused: waits an hour
	in, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer in.Close()
	waitFor(t, "connections", 5*time.Second, func() bool { return cm.ConnectedCount() == 2 })

	stopped := make(chan struct{})
	go func() {
		cm.Stop()
		cm.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatalf("Stop did not return")
	}
	in.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := in.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("inbound connection not closed by Stop: %v", err)
	}
	if _, d, _ := rec.counts(); d != 0 {
		t.Errorf("OnDisconnection called %d times during Stop", d)
	}
	cm.Connect(&ConnReq{Addr: srv.addr()})
	srv.close()
	in.Close()

	deadline := time.Now().Add(5 * time.Second)
	after := runtime.NumGoroutine()
	for after > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		t.Fatalf("goroutines: %d before, %d after Stop", before, after)
	}
}

// TestStableConnectionResetsBackoff checks that a connection that lasted
// resets its request's backoff.
func TestStableConnectionResetsBackoff(t *testing.T) {
	srv := newTestServer(t)
	cm, rec := newTestManager(t, Config{RetryDuration: 10 * time.Millisecond})
	req := &ConnReq{Addr: srv.addr(), Permanent: true}
	cm.Connect(req)
	waitFor(t, "connection", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 1 })
	cm.mtx.Lock()
	req.retries = 5
	req.connectedAt = time.Now().Add(-stableConnDuration)
	cm.mtx.Unlock()
	rec.conn(0).Close()
	waitFor(t, "redial", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 2 })
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	// The redial after a working connection is in the quick window,
	// which does not count failures.
	if req.retries != 0 || !time.Now().Before(req.quickUntil) {
		t.Errorf("after a stable connection: retries %d, quick until %v, want 0 and a window",
			req.retries, req.quickUntil)
	}
}

// TestHandshakeQuickRedial checks that a connection that completed its
// handshake resets the backoff, and that while its peer is down for a short
// while the request is redialled every RetryDuration instead of ever more
// slowly.
func TestHandshakeQuickRedial(t *testing.T) {
	srv := newTestServer(t)
	var mtx sync.Mutex
	var attempts []time.Time
	down := false
	dial := func(network, addr string) (net.Conn, error) {
		mtx.Lock()
		attempts = append(attempts, time.Now())
		isDown := down
		mtx.Unlock()
		if isDown {
			return nil, errors.New("connection refused")
		}
		return net.Dial(network, addr)
	}
	const base = 40 * time.Millisecond
	cm, rec := newTestManager(t, Config{Dial: dial, RetryDuration: base, MaxRetryDuration: 100 * base})
	req := &ConnReq{Addr: srv.addr(), Permanent: true}
	cm.Connect(req)
	waitFor(t, "connection", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 1 })
	cm.mtx.Lock()
	req.retries = 5 // earlier failures
	cm.mtx.Unlock()
	cm.HandshakeDone(req.ID())
	cm.mtx.Lock()
	if req.retries != 0 {
		t.Errorf("retries after the handshake: got %d, want 0", req.retries)
	}
	cm.mtx.Unlock()

	// The peer goes down: six dials fail.
	mtx.Lock()
	down = true
	start := len(attempts)
	mtx.Unlock()
	rec.conn(0).Close()
	waitFor(t, "six failed redials", 10*time.Second, func() bool {
		mtx.Lock()
		defer mtx.Unlock()
		return len(attempts)-start >= 6
	})
	mtx.Lock()
	down = false
	gaps := make([]time.Duration, 0, 5)
	for i := start + 1; i < start+6; i++ {
		gaps = append(gaps, attempts[i].Sub(attempts[i-1]))
	}
	mtx.Unlock()
	for i, gap := range gaps {
		// Timers never fire early; a loaded machine may fire them late.
		if gap < base || gap > base+400*time.Millisecond {
			t.Errorf("gap %d: got %v, want %v (no backoff in the quick window)", i+1, gap, base)
		}
	}
	// The peer is back: reconnected within a retry.
	waitFor(t, "reconnection", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 2 })

	// A connection closed without a handshake does not reset the
	// backoff: after the quick window, failures double it again.
	cm.mtx.Lock()
	req.quickUntil = time.Time{}
	req.retries = 3
	cm.mtx.Unlock()
	rec.conn(1).Close()
	waitFor(t, "redial", 5*time.Second, func() bool { c, _, _ := rec.counts(); return c == 3 })
	cm.mtx.Lock()
	defer cm.mtx.Unlock()
	if req.retries != 4 {
		t.Errorf("retries after a connection without handshake: got %d, want 4", req.retries)
	}
}

// TestOnDialFailure checks that every failed dial is reported with its
// request and error.
func TestOnDialFailure(t *testing.T) {
	var failures atomic.Int32
	dialErr := errors.New("connection refused")
	var mtx sync.Mutex
	var gotAddr string
	var gotErr error
	cm, rec := newTestManager(t, Config{
		Dial:          func(string, string) (net.Conn, error) { return nil, dialErr },
		RetryDuration: 20 * time.Millisecond,
		OnDialFailure: func(req *ConnReq, err error) {
			mtx.Lock()
			gotAddr, gotErr = req.Addr, err
			mtx.Unlock()
			failures.Add(1)
		},
	})
	req := &ConnReq{Addr: "192.0.2.7:18555", Permanent: true}
	cm.Connect(req)
	waitFor(t, "two failures", 10*time.Second, func() bool { return failures.Load() >= 2 })
	cm.Remove(req.ID())
	mtx.Lock()
	defer mtx.Unlock()
	if gotAddr != req.Addr || !errors.Is(gotErr, dialErr) {
		t.Errorf("reported %q, %v; want %q, %v", gotAddr, gotErr, req.Addr, dialErr)
	}
	if connected, _, _ := rec.counts(); connected != 0 {
		t.Errorf("%d connections, want none", connected)
	}
}
