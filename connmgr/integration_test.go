package connmgr_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/connmgr"
	"github.com/soterdag/soterd/peer"
	"github.com/soterdag/soterd/wire"
)

// TestBadFramesBanHost wires the three parts the way a node does: inbound
// connections from the manager become peers, a peer's misbehaviour goes to
// the ban manager, and banned hosts are refused at accept. Two connections
// that each send a bad checksum (score 50) get 127.0.0.1 banned; the third
// is refused without a handshake.
func TestBadFramesBanHost(t *testing.T) {
	genesis := wire.Hash{0x42}
	bm, err := connmgr.NewBanManager(&connmgr.BanConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("NewBanManager: %v", err)
	}
	var peersMtx sync.Mutex
	var peers []*peer.Peer
	onAccept := func(conn net.Conn) {
		host := conn.RemoteAddr().String()
		if bm.IsBanned(host) {
			conn.Close()
			return
		}
		var p *peer.Peer
		p = peer.NewInboundPeer(&peer.Config{
			Net:         wire.SimNet,
			GenesisHash: genesis,
			Nonces:      peer.NewNonceSet(),
			Listeners: peer.MessageListeners{
				OnMisbehavior: func(_ *peer.Peer, score uint32, reason string) {
					if bm.AddScore(host, score, 0, reason) {
						p.Disconnect()
					}
				},
			},
		})
		peersMtx.Lock()
		peers = append(peers, p)
		peersMtx.Unlock()
		p.AssociateConnection(conn)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cm, err := connmgr.New(&connmgr.Config{Listeners: []net.Listener{ln}, OnAccept: onAccept})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cm.Start()
	defer cm.Stop()

	// A raw remote: a good handshake, then a ping whose checksum is wrong.
	ping, err := wire.EncodeMessage(&wire.MsgPing{Nonce: 1}, wire.ProtocolVersion, wire.SimNet)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	ping[20] ^= 0xff
	misbehave := func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		ver := &wire.MsgVersion{ProtocolVersion: wire.ProtocolVersion, GenesisHash: genesis,
			Nonce: 99, AddrRecv: wire.NetAddress{IP: net.IPv4zero}, AddrFrom: wire.NetAddress{IP: net.IPv4zero}}
		if _, err := wire.WriteMessage(c, ver, wire.ProtocolVersion, wire.SimNet); err != nil {
			t.Fatalf("write version: %v", err)
		}
		if _, err := wire.WriteMessage(c, &wire.MsgVerAck{}, wire.ProtocolVersion, wire.SimNet); err != nil {
			t.Fatalf("write verack: %v", err)
		}
		if _, err := c.Write(ping); err != nil {
			t.Fatalf("write ping: %v", err)
		}
		// The peer hangs up after the bad frame.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("connection not closed after a bad checksum: %v", err)
		}
	}

	misbehave()
	if bm.IsBanned("127.0.0.1") {
		t.Fatalf("banned after one bad checksum (score %d)", peer.ScoreBadChecksum)
	}
	if got := bm.Score("127.0.0.1"); got != peer.ScoreBadChecksum {
		t.Errorf("score after one bad checksum: got %d, want %d", got, peer.ScoreBadChecksum)
	}
	misbehave()
	if !bm.IsBanned("127.0.0.1") {
		t.Fatalf("not banned after two bad checksums")
	}

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("banned host: read %d bytes, %v; want the connection closed", n, err)
	}

	peersMtx.Lock()
	defer peersMtx.Unlock()
	if len(peers) != 2 {
		t.Errorf("peers started: got %d, want 2", len(peers))
	}
	for _, p := range peers {
		p.WaitForDisconnect()
	}
}
