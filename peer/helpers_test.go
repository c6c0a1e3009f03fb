package peer

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// testGenesis is the genesis hash every test peer agrees on.
var testGenesis = wire.Hash{0x01, 0x02, 0x03}

// testConfig returns a config with short timeouts and its own nonce set, so
// that two peers of one test act as two nodes.
func testConfig() *Config {
	return &Config{
		Net:              wire.SimNet,
		GenesisHash:      testGenesis,
		Services:         wire.SFNodeNetwork,
		UserAgentName:    "test",
		UserAgentVersion: "1.0",
		Nonces:           NewNonceSet(),
		PingInterval:     time.Minute,
		IdleTimeout:      10 * time.Second,
		HandshakeTimeout: 5 * time.Second,
		StallTimeout:     10 * time.Second,
		TrickleInterval:  20 * time.Millisecond,
	}
}

// tcpPair returns both ends of a loopback TCP connection: the dialled
// (client) end and the accepted (server) end.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	server = <-accepted
	if server == nil {
		t.Fatalf("accept failed")
	}
	return client, server
}

// connectPeers returns an outbound and an inbound peer joined over
// loopback, after their handshake completed.
func connectPeers(t testing.TB, outCfg, inCfg *Config) (out, in *Peer) {
	t.Helper()
	client, server := tcpPair(t)
	in = NewInboundPeer(inCfg)
	out, err := NewOutboundPeer(outCfg, client.RemoteAddr().String())
	if err != nil {
		t.Fatalf("NewOutboundPeer: %v", err)
	}
	in.AssociateConnection(server)
	out.AssociateConnection(client)
	waitFor(t, "handshake", 5*time.Second, func() bool {
		return in.HandshakeDone() && out.HandshakeDone()
	})
	return out, in
}

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

// waitDisconnect waits for p to finish disconnecting and returns its
// reason.
func waitDisconnect(t testing.TB, p *Peer, timeout time.Duration) error {
	t.Helper()
	done := make(chan struct{})
	go func() {
		p.WaitForDisconnect()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("peer %s did not disconnect within %v", p, timeout)
	}
	return p.DisconnectReason()
}

// remoteVersion is a valid version message from a raw test remote.
func remoteVersion() *wire.MsgVersion {
	return &wire.MsgVersion{
		ProtocolVersion: wire.ProtocolVersion,
		Services:        wire.SFNodeNetwork,
		Timestamp:       time.Now().Unix(),
		AddrRecv:        wire.NetAddress{IP: net.IPv4(127, 0, 0, 1), Port: 1},
		AddrFrom:        wire.NetAddress{IP: net.IPv4(127, 0, 0, 1), Port: 2},
		Nonce:           0x5eed,
		UserAgent:       "/raw:0.0/",
		GenesisHash:     testGenesis,
		MaxHeight:       7,
		Tips:            []wire.Hash{{0xaa}},
	}
}

// writeMsg writes one frame on a raw connection.
func writeMsg(t testing.TB, c net.Conn, msg wire.Message) {
	t.Helper()
	if _, err := wire.WriteMessage(c, msg, wire.ProtocolVersion, wire.SimNet); err != nil {
		t.Fatalf("write %s: %v", msg.Command(), err)
	}
}

// readMsg reads one frame from a raw connection.
func readMsg(t testing.TB, c net.Conn) wire.Message {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, _, err := wire.ReadMessage(c, wire.ProtocolVersion, wire.SimNet)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return msg
}

// rawInbound starts an inbound peer whose remote is a raw connection the
// test drives, and completes the handshake from the raw side.
func rawInbound(t testing.TB, cfg *Config) (*Peer, net.Conn) {
	t.Helper()
	client, server := tcpPair(t)
	p := NewInboundPeer(cfg)
	p.AssociateConnection(server)
	writeMsg(t, client, remoteVersion())
	if _, ok := readMsg(t, client).(*wire.MsgVersion); !ok {
		t.Fatalf("raw remote: expected version")
	}
	if _, ok := readMsg(t, client).(*wire.MsgVerAck); !ok {
		t.Fatalf("raw remote: expected verack")
	}
	writeMsg(t, client, &wire.MsgVerAck{})
	waitFor(t, "handshake", 5*time.Second, p.HandshakeDone)
	return p, client
}

// drain reads and discards everything from c until it fails, so the peer's
// writes never block. It returns when c is closed.
func drain(c net.Conn, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(io.Discard, c)
	}()
}

// frame builds a frame by hand, for broken frames the encoder refuses.
func frame(magic wire.SoterNet, cmd string, length uint32, checksum [4]byte, payload []byte) []byte {
	b := make([]byte, wire.MessageHeaderSize, wire.MessageHeaderSize+len(payload))
	binary.LittleEndian.PutUint32(b[0:4], uint32(magic))
	copy(b[4:16], cmd)
	binary.LittleEndian.PutUint32(b[16:20], length)
	copy(b[20:24], checksum[:])
	return append(b, payload...)
}

// misbehaviorLog records OnMisbehavior calls.
type misbehaviorLog struct {
	mtx     sync.Mutex
	scores  []uint32
	reasons []string
}

func (m *misbehaviorLog) listener(_ *Peer, score uint32, reason string) {
	m.mtx.Lock()
	m.scores = append(m.scores, score)
	m.reasons = append(m.reasons, reason)
	m.mtx.Unlock()
}

func (m *misbehaviorLog) total() uint32 {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	var sum uint32
	for _, s := range m.scores {
		sum += s
	}
	return sum
}

// isKind reports whether err is a RuleError of kind.
func isKind(err error, kind ErrorKind) bool {
	return errors.Is(err, kind)
}

// settledGoroutines waits for the goroutine count to fall to at most want
// and returns the last count seen.
func settledGoroutines(want int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}
