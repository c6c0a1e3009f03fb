package peer

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// TestHandshake checks that two peers complete the handshake and learn each
// other's version data.
func TestHandshake(t *testing.T) {
	outCfg, inCfg := testConfig(), testConfig()
	outTips := []wire.Hash{{0x11}, {0x22}}
	outCfg.NewestTips = func() (uint32, []wire.Hash) { return 42, outTips }
	inCfg.UserAgentName = "inbound"
	var versions, veracks sync.WaitGroup
	versions.Add(2)
	veracks.Add(2)
	for _, cfg := range []*Config{outCfg, inCfg} {
		cfg.Listeners.OnVersion = func(*Peer, *wire.MsgVersion) *wire.MsgReject {
			versions.Done()
			return nil
		}
		cfg.Listeners.OnVerAck = func(*Peer, *wire.MsgVerAck) { veracks.Done() }
	}

	out, in := connectPeers(t, outCfg, inCfg)
	defer in.Disconnect()
	defer out.Disconnect()
	versions.Wait()
	veracks.Wait()

	if !in.VersionKnown() || !out.VersionKnown() {
		t.Fatalf("version not known after handshake")
	}
	if got, want := in.MaxHeight(), uint32(42); got != want {
		t.Errorf("inbound MaxHeight: got %d, want %d", got, want)
	}
	if got := in.Tips(); len(got) != 2 || got[0] != outTips[0] || got[1] != outTips[1] {
		t.Errorf("inbound Tips: got %v, want %v", got, outTips)
	}
	if got, want := out.UserAgent(), "/inbound:1.0/"; got != want {
		t.Errorf("outbound UserAgent: got %q, want %q", got, want)
	}
	if got, want := in.UserAgent(), "/test:1.0/"; got != want {
		t.Errorf("inbound UserAgent: got %q, want %q", got, want)
	}
	if got, want := in.ProtocolVersion(), wire.ProtocolVersion; got != want {
		t.Errorf("ProtocolVersion: got %d, want %d", got, want)
	}
	if got, want := out.Services(), wire.SFNodeNetwork; got != want {
		t.Errorf("Services: got %v, want %v", got, want)
	}
	if !in.Inbound() || out.Inbound() {
		t.Errorf("Inbound: got in=%v out=%v", in.Inbound(), out.Inbound())
	}
	if !in.Connected() || !out.Connected() {
		t.Errorf("Connected false after handshake")
	}
	if in.ID() == out.ID() {
		t.Errorf("peer IDs not unique: %d", in.ID())
	}
	if off := in.TimeOffset(); off < -2 || off > 2 {
		t.Errorf("TimeOffset: got %d, want about 0", off)
	}

	snap := out.StatsSnapshot()
	if snap.MsgsSent[wire.CmdVersion] != 1 || snap.MsgsSent[wire.CmdVerAck] != 1 {
		t.Errorf("MsgsSent: got %v, want one version and one verack", snap.MsgsSent)
	}
	if snap.MsgsRecv[wire.CmdVersion] != 1 || snap.MsgsRecv[wire.CmdVerAck] != 1 {
		t.Errorf("MsgsRecv: got %v, want one version and one verack", snap.MsgsRecv)
	}
	if snap.BytesSent == 0 || snap.BytesRecv == 0 {
		t.Errorf("byte counters: sent %d, received %d", snap.BytesSent, snap.BytesRecv)
	}
	if snap.ConnTime.IsZero() || snap.LastSend.IsZero() || snap.LastRecv.IsZero() {
		t.Errorf("times not set: %+v", snap)
	}
	if snap.Addr != out.Addr() || snap.ID != out.ID() || snap.Inbound {
		t.Errorf("snapshot identity: got %+v", snap)
	}
}

// TestHandshakeFailures drives an inbound peer from a raw connection that
// breaks the handshake in each way the peer must notice.
func TestHandshakeFailures(t *testing.T) {
	otherGenesis := wire.Hash{0xee}
	tests := []struct {
		name string
		// send is what the raw remote writes (nil: nothing).
		send      func(t *testing.T, c net.Conn)
		onVersion func(*Peer, *wire.MsgVersion) *wire.MsgReject
		wantKind  ErrorKind
		wantScore uint32
		// wantReject is the reject code the remote should receive.
		wantReject wire.RejectCode
	}{{
		name: "wrong network",
		send: func(t *testing.T, c net.Conn) {
			if _, err := wire.WriteMessage(c, remoteVersion(), wire.ProtocolVersion, wire.MainNet); err != nil {
				t.Fatalf("write: %v", err)
			}
		},
		wantKind:  ErrWrongNetwork,
		wantScore: ScoreBadMagic,
	}, {
		name: "wrong genesis",
		send: func(t *testing.T, c net.Conn) {
			v := remoteVersion()
			v.GenesisHash = otherGenesis
			writeMsg(t, c, v)
		},
		wantKind:   ErrWrongGenesis,
		wantReject: wire.RejectInvalid,
	}, {
		name: "old version",
		send: func(t *testing.T, c net.Conn) {
			v := remoteVersion()
			v.ProtocolVersion = wire.MinProtocolVersion - 1
			writeMsg(t, c, v)
		},
		wantKind:   ErrOldVersion,
		wantReject: wire.RejectObsolete,
	}, {
		name: "verack before version",
		send: func(t *testing.T, c net.Conn) {
			writeMsg(t, c, &wire.MsgVerAck{})
		},
		wantKind:  ErrHandshakeProtocol,
		wantScore: ScoreHandshakeViolation,
	}, {
		name:     "timeout",
		send:     nil,
		wantKind: ErrHandshakeTimeout,
	}, {
		name: "garbage",
		send: func(t *testing.T, c net.Conn) {
			c.Write([]byte("GET / HTTP/1.1\r\nHost: example\r\n\r\n"))
		},
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreBadCommand,
	}, {
		name: "rejected by listener",
		send: func(t *testing.T, c net.Conn) {
			writeMsg(t, c, remoteVersion())
		},
		onVersion: func(*Peer, *wire.MsgVersion) *wire.MsgReject {
			return &wire.MsgReject{Cmd: wire.CmdVersion, Code: wire.RejectNonstandard,
				Reason: "no thanks"}
		},
		wantKind:   ErrVersionRejected,
		wantReject: wire.RejectNonstandard,
	}}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			var mis misbehaviorLog
			cfg := testConfig()
			cfg.HandshakeTimeout = 200 * time.Millisecond
			cfg.Listeners.OnMisbehavior = mis.listener
			cfg.Listeners.OnVersion = test.onVersion
			client, server := tcpPair(t)
			defer client.Close()
			p := NewInboundPeer(cfg)
			p.AssociateConnection(server)
			if test.send != nil {
				test.send(t, client)
			}

			// Collect what the peer sends back until it hangs up.
			var gotReject *wire.MsgReject
			client.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				_, msg, _, err := wire.ReadMessage(client, wire.ProtocolVersion, wire.SimNet)
				if err != nil {
					break
				}
				if r, ok := msg.(*wire.MsgReject); ok {
					gotReject = r
				}
			}

			err := waitDisconnect(t, p, 5*time.Second)
			if !isKind(err, test.wantKind) {
				t.Fatalf("%s: got reason %v, want %v", test.name, err, test.wantKind)
			}
			if got := mis.total(); got != test.wantScore {
				t.Errorf("%s: got misbehaviour score %d, want %d", test.name, got, test.wantScore)
			}
			if test.wantReject != 0 {
				if gotReject == nil {
					t.Errorf("%s: no reject received, want %v", test.name, test.wantReject)
				} else if gotReject.Code != test.wantReject {
					t.Errorf("%s: got reject %v, want %v", test.name, gotReject.Code, test.wantReject)
				}
			}
			if p.HandshakeDone() {
				t.Errorf("%s: handshake reported done", test.name)
			}
		})
	}
}

// TestSelfConnection connects a node's outbound peer to the same node's
// inbound side: the shared nonce set must catch it.
func TestSelfConnection(t *testing.T) {
	nonces := NewNonceSet()
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.Nonces = nonces
	inCfg.Nonces = nonces
	client, server := tcpPair(t)
	in := NewInboundPeer(inCfg)
	out, err := NewOutboundPeer(outCfg, client.RemoteAddr().String())
	if err != nil {
		t.Fatalf("NewOutboundPeer: %v", err)
	}
	in.AssociateConnection(server)
	out.AssociateConnection(client)

	if err := waitDisconnect(t, in, 5*time.Second); !isKind(err, ErrSelfConnection) {
		t.Fatalf("inbound reason: got %v, want %v", err, ErrSelfConnection)
	}
	if err := waitDisconnect(t, out, 5*time.Second); !isKind(err, ErrConnectionClosed) {
		t.Fatalf("outbound reason: got %v, want %v", err, ErrConnectionClosed)
	}
}

// TestIdleTimeout checks that a remote that goes silent after the handshake
// is dropped.
func TestIdleTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 200 * time.Millisecond
	p, client := rawInbound(t, cfg)
	defer client.Close()
	var wg sync.WaitGroup
	drain(client, &wg)
	start := time.Now()
	if err := waitDisconnect(t, p, 5*time.Second); !isKind(err, ErrIdleTimeout) {
		t.Fatalf("got reason %v, want %v", err, ErrIdleTimeout)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("disconnected after %v, before the idle timeout", took)
	}
	client.Close()
	wg.Wait()
}

// TestStallTimeout checks that unanswered getblocks and getdata disconnect
// the peer, and that an answer keeps it.
func TestStallTimeout(t *testing.T) {
	tests := []struct {
		name    string
		request wire.Message
		// answer is what the remote sends back (nil: nothing).
		answer    wire.Message
		wantStall bool
	}{{
		name:      "getdata unanswered",
		request:   &wire.MsgGetData{InvList: []wire.InvVect{{Type: wire.InvTypeBlock, Hash: wire.Hash{1}}}},
		wantStall: true,
	}, {
		name:      "getblocks unanswered",
		request:   &wire.MsgGetBlocks{StartHeight: 1},
		wantStall: true,
	}, {
		name:    "getdata answered by notfound",
		request: &wire.MsgGetData{InvList: []wire.InvVect{{Type: wire.InvTypeTx, Hash: wire.Hash{2}}}},
		answer:  &wire.MsgNotFound{InvList: []wire.InvVect{{Type: wire.InvTypeTx, Hash: wire.Hash{2}}}},
	}, {
		name:    "getblocks answered by inv",
		request: &wire.MsgGetBlocks{StartHeight: 1},
		answer:  &wire.MsgInv{},
	}}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.StallTimeout = 150 * time.Millisecond
			p, client := rawInbound(t, cfg)
			defer p.Disconnect()
			defer client.Close()

			// The raw remote answers pings so only the stall timer matters,
			// and sends the test's answer once it sees the request.
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					client.SetReadDeadline(time.Now().Add(10 * time.Second))
					_, msg, _, err := wire.ReadMessage(client, wire.ProtocolVersion, wire.SimNet)
					if err != nil {
						return
					}
					switch m := msg.(type) {
					case *wire.MsgPing:
						wire.WriteMessage(client, &wire.MsgPong{Nonce: m.Nonce}, wire.ProtocolVersion, wire.SimNet)
					case *wire.MsgGetData, *wire.MsgGetBlocks:
						if test.answer != nil {
							wire.WriteMessage(client, test.answer, wire.ProtocolVersion, wire.SimNet)
						}
					}
				}
			}()

			p.QueueMessage(test.request, nil)
			if test.wantStall {
				if err := waitDisconnect(t, p, 5*time.Second); !isKind(err, ErrStalled) {
					t.Fatalf("got reason %v, want %v", err, ErrStalled)
				}
				if got := p.StatsSnapshot().Stalls; got != 1 {
					t.Errorf("Stalls: got %d, want 1", got)
				}
			} else {
				time.Sleep(4 * cfg.StallTimeout)
				if !p.Connected() {
					t.Fatalf("answered request disconnected the peer: %v", p.DisconnectReason())
				}
			}
			p.Disconnect()
			client.Close()
			wg.Wait()
		})
	}
}

// TestStallPausedDuringCallback checks that the time our own listener takes
// does not count against the remote.
func TestStallPausedDuringCallback(t *testing.T) {
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.StallTimeout = 100 * time.Millisecond
	outCfg.Listeners.OnBlock = func(*Peer, *wire.MsgBlock, []byte) {
		time.Sleep(300 * time.Millisecond)
	}
	inCfg.Listeners.OnGetData = func(p *Peer, msg *wire.MsgGetData) {
		// Two blocks back to back: the second sits unread while the
		// first's slow listener runs.
		for i := range msg.InvList {
			p.QueueMessage(&wire.MsgBlock{Header: wire.BlockHeader{Nonce: uint64(i)}}, nil)
		}
	}
	out, in := connectPeers(t, outCfg, inCfg)
	defer in.Disconnect()
	defer out.Disconnect()
	out.QueueMessage(&wire.MsgGetData{InvList: []wire.InvVect{
		{Type: wire.InvTypeBlock, Hash: wire.Hash{1}},
		{Type: wire.InvTypeBlock, Hash: wire.Hash{2}},
	}}, nil)
	time.Sleep(800 * time.Millisecond)
	if !out.Connected() {
		t.Fatalf("peer disconnected while our listener ran: %v", out.DisconnectReason())
	}
	if got := out.StatsSnapshot().MsgsRecv[wire.CmdBlock]; got != 2 {
		t.Errorf("blocks received: got %d, want 2", got)
	}
}

// TestPingPong checks that pings are answered and the round-trip time is
// recorded on both sides.
func TestPingPong(t *testing.T) {
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.PingInterval = 30 * time.Millisecond
	inCfg.PingInterval = 30 * time.Millisecond
	var pongs, pings atomic.Int32
	outCfg.Listeners.OnPong = func(*Peer, *wire.MsgPong) { pongs.Add(1) }
	inCfg.Listeners.OnPing = func(*Peer, *wire.MsgPing) { pings.Add(1) }
	out, in := connectPeers(t, outCfg, inCfg)
	defer in.Disconnect()
	defer out.Disconnect()
	waitFor(t, "three pings and pongs", 5*time.Second, func() bool {
		return pongs.Load() >= 3 && pings.Load() >= 3
	})

	for _, p := range []*Peer{out, in} {
		waitFor(t, "ping time", 2*time.Second, func() bool { return p.LastPingMicros() > 0 })
		snap := p.StatsSnapshot()
		if snap.LastPingTime.IsZero() {
			t.Errorf("%s: LastPingTime not set", p)
		}
		if snap.LastPingMicros <= 0 || snap.LastPingMicros > int64(time.Second/time.Microsecond) {
			t.Errorf("%s: LastPingMicros %d out of range", p, snap.LastPingMicros)
		}
		if snap.MsgsSent[wire.CmdPing] < 2 || snap.MsgsRecv[wire.CmdPong] < 1 {
			t.Errorf("%s: pings sent %d, pongs received %d", p, snap.MsgsSent[wire.CmdPing],
				snap.MsgsRecv[wire.CmdPong])
		}
	}
}

// TestDisconnect checks that Disconnect is idempotent and safe from many
// goroutines, that WaitForDisconnect returns, and that done channels of
// dropped messages are signalled.
func TestDisconnect(t *testing.T) {
	out, in := connectPeers(t, testConfig(), testConfig())

	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Disconnect()
		}()
	}
	wg.Wait()
	if err := waitDisconnect(t, out, 5*time.Second); !isKind(err, ErrDisconnectRequested) {
		t.Errorf("outbound reason: got %v, want %v", err, ErrDisconnectRequested)
	}
	if err := waitDisconnect(t, in, 5*time.Second); !isKind(err, ErrConnectionClosed) {
		t.Errorf("inbound reason: got %v, want %v", err, ErrConnectionClosed)
	}
	if out.Connected() || in.Connected() {
		t.Errorf("Connected true after disconnect")
	}

	done := make(chan struct{}, 1)
	out.QueueMessage(&wire.MsgPing{Nonce: 1}, done)
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatalf("done not signalled for a message queued after disconnect")
	}
}

// TestDisconnectBeforeAssociate checks the lifecycle of a peer that never
// gets a connection, and one whose connection arrives too late.
func TestDisconnectBeforeAssociate(t *testing.T) {
	p := NewInboundPeer(testConfig())
	done := make(chan struct{}, 1)
	p.QueueMessage(&wire.MsgPing{Nonce: 1}, done)
	p.Disconnect()
	p.WaitForDisconnect()
	// The writer never ran; the queued message is still signalled when
	// the queue is refused.
	p.QueueMessage(&wire.MsgPing{Nonce: 2}, done)

	client, server := tcpPair(t)
	defer client.Close()
	p.AssociateConnection(server)
	client.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := client.Read(make([]byte, 1)); err == nil {
		t.Fatalf("connection given after Disconnect was not closed")
	}
	if p.Connected() {
		t.Fatalf("Connected true after Disconnect")
	}
}

// TestNoGoroutineLeak counts goroutines before and after peers run and
// disconnect.
func TestNoGoroutineLeak(t *testing.T) {
	before := settledGoroutines(0, 0)
	for i := 0; i < 10; i++ {
		cfg := testConfig()
		cfg.PingInterval = 10 * time.Millisecond
		out, in := connectPeers(t, cfg, testConfig())
		out.QueueInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: wire.Hash{byte(i)}})
		out.QueueMessage(&wire.MsgGetData{InvList: []wire.InvVect{{Type: wire.InvTypeTx}}}, nil)
		if i%2 == 0 {
			out.Disconnect()
		} else {
			in.Disconnect()
		}
		out.WaitForDisconnect()
		in.WaitForDisconnect()
	}
	// A failed handshake leaves nothing behind either.
	client, server := tcpPair(t)
	cfg := testConfig()
	cfg.HandshakeTimeout = 50 * time.Millisecond
	p := NewInboundPeer(cfg)
	p.AssociateConnection(server)
	p.WaitForDisconnect()
	client.Close()

	if after := settledGoroutines(before, 5*time.Second); after > before {
		t.Fatalf("goroutines: %d before, %d after disconnect", before, after)
	}
}

// TestNewOutboundPeerAddr checks address validation.
func TestNewOutboundPeerAddr(t *testing.T) {
	tests := []struct {
		name  string
		addr  string
		valid bool
	}{
		{"ipv4", "127.0.0.1:18555", true},
		{"ipv6", "[::1]:18555", true},
		{"hostname", "seed.example.org:18555", true},
		{"no port", "127.0.0.1", false},
		{"empty host", ":18555", false},
		{"port too big", "127.0.0.1:70000", false},
		{"port not a number", "127.0.0.1:http", false},
		{"empty", "", false},
	}
	for _, test := range tests {
		p, err := NewOutboundPeer(testConfig(), test.addr)
		if test.valid {
			if err != nil {
				t.Errorf("%s: got error %v, want none", test.name, err)
			} else if p.Addr() != test.addr || p.Inbound() {
				t.Errorf("%s: got addr %q inbound %v", test.name, p.Addr(), p.Inbound())
			}
			continue
		}
		if !isKind(err, ErrInvalidAddress) {
			t.Errorf("%s: got error %v, want %v", test.name, err, ErrInvalidAddress)
		}
	}
}

// TestSetMaxHeight checks that the known height only rises.
func TestSetMaxHeight(t *testing.T) {
	p := NewInboundPeer(testConfig())
	tips := []wire.Hash{{1}}
	p.SetMaxHeight(10, tips)
	p.SetMaxHeight(5, []wire.Hash{{2}})
	if got := p.MaxHeight(); got != 10 {
		t.Errorf("MaxHeight: got %d, want 10", got)
	}
	if got := p.Tips(); len(got) != 1 || got[0] != tips[0] {
		t.Errorf("Tips: got %v, want %v", got, tips)
	}
	p.SetMaxHeight(11, nil)
	if got := p.Tips(); p.MaxHeight() != 11 || len(got) != 1 {
		t.Errorf("nil tips: got height %d tips %v", p.MaxHeight(), got)
	}
}

// TestDefaults checks that zero config values take the defaults.
func TestDefaults(t *testing.T) {
	c := withDefaults(nil)
	if c.PingInterval != DefaultPingInterval || c.IdleTimeout != DefaultIdleTimeout ||
		c.HandshakeTimeout != DefaultHandshakeTimeout || c.StallTimeout != DefaultStallTimeout ||
		c.TrickleInterval != DefaultTrickleInterval || c.MaxQueuedMessages != DefaultMaxQueuedMessages ||
		c.ProtocolVersion != wire.ProtocolVersion || c.Nonces != defaultNonces {
		t.Errorf("defaults not applied: %+v", c)
	}
	long := &Config{UserAgentName: string(make([]byte, 300))}
	if got := len(long.userAgent()); got != wire.MaxUserAgentLen {
		t.Errorf("user agent length: got %d, want %d", got, wire.MaxUserAgentLen)
	}
}

// TestDisconnectFromVerAck checks that a listener may refuse a peer once
// the handshake completed, and that the peer then winds down.
func TestDisconnectFromVerAck(t *testing.T) {
	before := settledGoroutines(0, 0)
	inCfg := testConfig()
	var sawDone atomic.Bool
	inCfg.Listeners.OnVerAck = func(p *Peer, _ *wire.MsgVerAck) {
		sawDone.Store(p.HandshakeDone() && p.VersionKnown())
		p.Disconnect()
	}
	client, server := tcpPair(t)
	in := NewInboundPeer(inCfg)
	out, err := NewOutboundPeer(testConfig(), client.RemoteAddr().String())
	if err != nil {
		t.Fatalf("NewOutboundPeer: %v", err)
	}
	in.AssociateConnection(server)
	out.AssociateConnection(client)
	if err := waitDisconnect(t, in, 5*time.Second); !isKind(err, ErrDisconnectRequested) {
		t.Fatalf("inbound reason: got %v, want %v", err, ErrDisconnectRequested)
	}
	waitDisconnect(t, out, 5*time.Second)
	if !sawDone.Load() {
		t.Errorf("OnVerAck ran before the handshake was marked done")
	}
	if after := settledGoroutines(before, 5*time.Second); after > before {
		t.Fatalf("goroutines: %d before, %d after", before, after)
	}
}

// TestHandshakeLowestHeight checks that a pruned node's lowest height
// reaches the remote, and that an archive node announces none.
func TestHandshakeLowestHeight(t *testing.T) {
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.Services = wire.SFNodeNetwork | wire.SFNodePruned
	outCfg.LowestHeight = func() uint32 { return 1234 }
	inCfg.LowestHeight = func() uint32 { return 99 } // not pruned: not sent
	out, in := connectPeers(t, outCfg, inCfg)
	defer in.Disconnect()
	defer out.Disconnect()
	if got := in.LowestHeight(); got != 1234 {
		t.Errorf("inbound sees lowest height %d, want 1234", got)
	}
	if got := in.Services(); got&wire.SFNodePruned == 0 {
		t.Errorf("inbound sees services %v, want SFNodePruned", got)
	}
	if got := out.LowestHeight(); got != 0 {
		t.Errorf("outbound sees lowest height %d from an archive node, want 0", got)
	}
}

// TestHandshakeEarlyGetBlocks checks that an outbound peer with
// Config.EarlyGetBlocks sends its verack and the getblocks right after its
// version, before the remote's version arrives (the round trip it saves),
// that it sends no second verack, and that an inbound peer of ours answers
// them once its handshake is done.
func TestHandshakeEarlyGetBlocks(t *testing.T) {
	early := []*wire.MsgGetBlocks{{StartHeight: 5}, {StartHeight: 1004}}

	// Against a raw remote that sends its version only after reading
	// everything the peer sends first.
	cfg := testConfig()
	cfg.EarlyGetBlocks = func() []*wire.MsgGetBlocks { return early }
	client, server := tcpPair(t)
	out, err := NewOutboundPeer(cfg, client.RemoteAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	out.AssociateConnection(client)
	defer out.Disconnect()
	if _, ok := readMsg(t, server).(*wire.MsgVersion); !ok {
		t.Fatal("first message is not a version")
	}
	if _, ok := readMsg(t, server).(*wire.MsgVerAck); !ok {
		t.Fatal("the verack did not follow the version")
	}
	for _, want := range early {
		gb, ok := readMsg(t, server).(*wire.MsgGetBlocks)
		if !ok || gb.StartHeight != want.StartHeight {
			t.Fatalf("got %#v, want the getblocks from %d before the remote's version", gb, want.StartHeight)
		}
	}
	writeMsg(t, server, remoteVersion())
	writeMsg(t, server, &wire.MsgVerAck{})
	waitFor(t, "handshake", 5*time.Second, out.HandshakeDone)
	if got := out.EarlyGetBlocks(); len(got) != len(early) {
		t.Fatalf("EarlyGetBlocks: %d, want %d", len(got), len(early))
	}
	// Nothing more until the peer has something to say: no second
	// verack.
	server.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, msg, _, err := wire.ReadMessage(server, wire.ProtocolVersion, wire.SimNet); err == nil {
		if _, ok := msg.(*wire.MsgVerAck); ok {
			t.Fatal("a second verack after the remote's version")
		}
	}

	// Between two of our peers: the inbound one answers both.
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.EarlyGetBlocks = cfg.EarlyGetBlocks
	var mu sync.Mutex
	var starts []uint32
	inCfg.Listeners.OnGetBlocks = func(_ *Peer, m *wire.MsgGetBlocks) {
		mu.Lock()
		starts = append(starts, m.StartHeight)
		mu.Unlock()
	}
	o, in := connectPeers(t, outCfg, inCfg)
	defer o.Disconnect()
	defer in.Disconnect()
	waitFor(t, "the early getblocks answered", 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(starts) == 2
	})
	if starts[0] != 5 || starts[1] != 1004 {
		t.Fatalf("inbound peer got getblocks from %v, want [5 1004]", starts)
	}
	if got := in.EarlyGetBlocks(); got != nil {
		t.Fatalf("an inbound peer reports early getblocks %v", got)
	}
}
