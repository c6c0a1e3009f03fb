package node

import (
	"bytes"
	"errors"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// TestNewConfig checks the configuration errors of New.
func TestNewConfig(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "db"))
	defer db.Close()
	dir := t.TempDir()
	params := testParams()
	tests := []struct {
		name string
		cfg  *Config
	}{
		{name: "nil config", cfg: nil},
		{name: "no params", cfg: &Config{DB: db, DataDir: dir}},
		{name: "no store", cfg: &Config{Params: params, DataDir: dir}},
		{name: "no data dir", cfg: &Config{Params: params, DB: db}},
		{name: "negative max peers", cfg: &Config{Params: params, DB: db, DataDir: dir, MaxPeers: -1}},
		{name: "negative orphan txs", cfg: &Config{Params: params, DB: db, DataDir: dir, MaxOrphanTxs: -1}},
	}
	for _, test := range tests {
		_, err := New(test.cfg)
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: got error %v, want %v", test.name, err, ErrInvalidConfig)
		}
	}
}

// TestStartStop checks that Stop is idempotent and that ConnectPeer needs a
// running server.
func TestStartStop(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	defer db.Close()
	s, err := New(&Config{Params: testParams(), DB: db, DataDir: dir, ListenAddrs: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConnectPeer("127.0.0.1:1", false); !errors.Is(err, ErrNotRunning) {
		t.Errorf("ConnectPeer before Start: got %v, want %v", err, ErrNotRunning)
	}
	s.Start()
	if err := s.ConnectPeer("no port", false); err == nil {
		t.Error("ConnectPeer accepted an address without a port")
	}
	if len(s.P2PListenAddrs()) != 1 {
		t.Errorf("listen addresses: %v", s.P2PListenAddrs())
	}
	s.Stop()
	s.Stop()
	if err := s.ConnectPeer("127.0.0.1:1", false); !errors.Is(err, ErrNotRunning) {
		t.Errorf("ConnectPeer after Stop: got %v, want %v", err, ErrNotRunning)
	}
	// The listener is closed.
	if conn, err := net.DialTimeout("tcp", s.P2PListenAddrs()[0].String(), time.Second); err == nil {
		conn.Close()
		t.Error("listener still open after Stop")
	}
}

// TestServeRequests checks the answers to getdata, getblocks and a
// request for unknown objects.
func TestServeRequests(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	mined := n.mine(3, 0)
	fp := dialFakePeer(t, n, n.DAG().MaxHeight(), nil, nil)

	// getblocks from height 1 to the tips lists the three blocks.
	fp.send(&wire.MsgGetBlocks{StartHeight: 1})
	waitFor(t, 5*time.Second, "inv", func() bool { return len(fp.receivedOf(wire.CmdInv)) > 0 })
	inv := fp.receivedOf(wire.CmdInv)[0].(*wire.MsgInv)
	if len(inv.InvList) != 3 {
		t.Fatalf("getblocks answer: %d entries, want 3", len(inv.InvList))
	}
	for i, iv := range inv.InvList {
		if iv.Hash != mined[i] || iv.Height != uint32(i+1) {
			t.Errorf("entry %d: got %s at %d, want %s at %d", i, iv.Hash, iv.Height, mined[i], i+1)
		}
	}

	// An unknown end hash is answered with an empty inv.
	fp.send(&wire.MsgGetBlocks{EndHash: wire.Hash{0xab}})
	waitFor(t, 5*time.Second, "empty inv", func() bool { return len(fp.receivedOf(wire.CmdInv)) > 1 })
	if got := fp.receivedOf(wire.CmdInv)[1].(*wire.MsgInv); len(got.InvList) != 0 {
		t.Errorf("unknown end hash: got %d entries, want 0", len(got.InvList))
	}

	// getdata serves the stored block bytes and names the unknown.
	fp.send(&wire.MsgGetData{InvList: []wire.InvVect{
		{Type: wire.InvTypeBlock, Hash: mined[1]},
		{Type: wire.InvTypeBlock, Hash: wire.Hash{1}},
		{Type: wire.InvTypeTx, Hash: wire.Hash{2}},
	}})
	waitFor(t, 5*time.Second, "block and notfound", func() bool {
		return len(fp.receivedOf(wire.CmdBlock)) == 1 && len(fp.receivedOf(wire.CmdNotFound)) == 1
	})
	got := fp.receivedOf(wire.CmdBlock)[0].(*wire.MsgBlock)
	want, err := n.DAG().BlockBytesByHash(&mined[1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Serialize(), want) {
		t.Error("served block differs from the stored one")
	}
	nf := fp.receivedOf(wire.CmdNotFound)[0].(*wire.MsgNotFound)
	if len(nf.InvList) != 2 || nf.InvList[0].Hash != (wire.Hash{1}) || nf.InvList[1].Hash != (wire.Hash{2}) {
		t.Errorf("notfound: got %+v", nf.InvList)
	}
}

// TestRawBlockMsg checks that the stored-bytes block message frames like
// the block it holds.
func TestRawBlockMsg(t *testing.T) {
	block := testParams().GenesisBlock
	raw := &rawBlockMsg{buf: block.Serialize()}
	a, err := wire.EncodeMessage(raw, wire.ProtocolVersion, wire.RegTest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wire.EncodeMessage(block, wire.ProtocolVersion, wire.RegTest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("raw block frame differs from the encoded block's")
	}
	var back rawBlockMsg
	if err := back.Decode(raw.buf, wire.ProtocolVersion); err != nil || !bytes.Equal(back.buf, raw.buf) {
		t.Errorf("decode: %v", err)
	}
}

// badMerkleBlock returns a block on n's tips whose merkle root is wrong but
// whose proof of work is valid.
func badMerkleBlock(t *testing.T, n *testNode) *wire.MsgBlock {
	block := makeBlock(t, n.DAG(), minerKey(0))
	block.Header.MerkleRoot[0] ^= 0xff
	solve(block)
	return block
}

// TestInvalidBlockBans sends an invalid block: the sender is disconnected
// and banned, unless whitelisted.
func TestInvalidBlockBans(t *testing.T) {
	tests := []struct {
		name           string
		whitelist      bool
		noBanning      bool
		wantDisconnect bool
		wantBan        bool
	}{
		{name: "banned", wantDisconnect: true, wantBan: true},
		{name: "banning off", noBanning: true, wantDisconnect: true},
		{name: "whitelisted", whitelist: true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			n := newTestNode(t, nodeOptions{mutate: func(c *Config) {
				c.NoBanning = test.noBanning
				if test.whitelist {
					_, ipnet, _ := net.ParseCIDR("127.0.0.0/8")
					c.Whitelists = []*net.IPNet{ipnet}
				}
			}})
			n.mine(1, 0)
			fp := dialFakePeer(t, n, n.DAG().MaxHeight(), nil, nil)
			bad := badMerkleBlock(t, n)
			fp.send(bad)
			if test.wantDisconnect {
				waitFor(t, 5*time.Second, "disconnect", fp.isClosed)
				if got := n.BanManager().IsBanned("127.0.0.1"); got != test.wantBan {
					t.Errorf("banned: got %v, want %v", got, test.wantBan)
				}
				return
			}
			// A valid block after it is processed after it too.
			good := makeBlock(t, n.DAG(), minerKey(1))
			fp.send(good)
			waitFor(t, 5*time.Second, "valid block", func() bool {
				h := good.BlockHash()
				return n.DAG().HaveBlock(&h)
			})
			if fp.isClosed() || n.BanManager().IsBanned("127.0.0.1") {
				t.Error("whitelisted sender disconnected or banned")
			}
		})
	}
}

// TestTxRelay sends a transaction into one node's pool: it reaches the
// other node through inv, getdata and tx, and a mempool request lists it.
func TestTxRelay(t *testing.T) {
	a, b, tx := syncedPairWithTx(t)
	accepted, _, err := a.TxPool().ProcessTransaction(tx, false)
	if err != nil {
		t.Fatalf("ProcessTransaction: %v", err)
	}
	a.RelayTransactions(accepted)
	txID := tx.TxID()
	waitFor(t, 10*time.Second, "tx relayed", func() bool { return b.TxPool().HaveTransaction(&txID) })

	fp := dialFakePeer(t, b, b.DAG().MaxHeight(), nil, nil)
	fp.send(&wire.MsgMemPool{})
	waitFor(t, 5*time.Second, "mempool inv", func() bool {
		for _, m := range fp.receivedOf(wire.CmdInv) {
			for _, iv := range m.(*wire.MsgInv).InvList {
				if iv.Type == wire.InvTypeTx && iv.Hash == txID {
					return true
				}
			}
		}
		return false
	})

	// A block that accepts the transaction takes it out of both pools.
	withTx := makeBlock(t, a.DAG(), minerKey(0))
	withTx.Transactions = append(withTx.Transactions, tx)
	withTx.Header.MerkleRoot = wire.BlockMerkleRoot(withTx.Transactions)
	solve(withTx)
	if orphan, err := a.SyncManager().ProcessBlock(withTx, blockdag.BFNone); err != nil || orphan {
		t.Fatalf("block with the transaction: orphan %v, err %v", orphan, err)
	}
	waitFor(t, 10*time.Second, "pools emptied", func() bool {
		return !a.TxPool().HaveTransaction(&txID) && !b.TxPool().HaveTransaction(&txID)
	})
}

// TestHooks checks that the registered hooks see accepted blocks, virtual
// changes and accepted transactions.
func TestHooks(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	accepted := make(chan wire.Hash, 8)
	virtual := make(chan struct{}, 8)
	n.AddBlockAcceptedHook(func(d *blockdag.BlockAcceptedData) { accepted <- d.Hash })
	n.AddVirtualChangedHook(func(*blockdag.VirtualChangedData) { virtual <- struct{}{} })
	mined := n.mine(1, 0)[0]
	select {
	case h := <-accepted:
		if h != mined {
			t.Errorf("block hook: got %s, want %s", h, mined)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("block hook not called")
	}
	select {
	case <-virtual:
	case <-time.After(5 * time.Second):
		t.Fatal("virtual hook not called")
	}
}

// TestPeersAndTotals checks the peer list and the byte counters.
func TestPeersAndTotals(t *testing.T) {
	a := newTestNode(t, nodeOptions{})
	b := newTestNode(t, nodeOptions{})
	a.mine(5, 0)
	b.connectTo(a)
	waitFor(t, 10*time.Second, "sync", func() bool { return sameState(a, b) })
	peers := b.Peers()
	if len(peers) != 1 {
		t.Fatalf("peers: got %d, want 1", len(peers))
	}
	if peers[0].Inbound || peers[0].UserAgent == "" {
		t.Errorf("peer info: %+v", peers[0])
	}
	// Our end of b's outbound connection is a loopback address with an
	// ephemeral port, never a's listening port.
	if host, port, err := net.SplitHostPort(peers[0].AddrLocal); err != nil ||
		host != "127.0.0.1" || port == "0" || peers[0].AddrLocal == a.addr() {
		t.Errorf("addrlocal %q, want 127.0.0.1 and b's own port", peers[0].AddrLocal)
	}
	if inbound := a.Peers(); len(inbound) != 1 || inbound[0].AddrLocal != a.addr() {
		t.Errorf("a's addrlocal for its inbound peer: %+v, want %s", inbound, a.addr())
	}
	if tot := b.NetTotals(); tot.BytesRecv == 0 || tot.BytesSent == 0 {
		t.Errorf("net totals: %+v", tot)
	}
}

// TestPersistentPeer checks that a peer given in AddPeers is redialled
// after it drops.
func TestPersistentPeer(t *testing.T) {
	b := newTestNode(t, nodeOptions{})
	a := newTestNode(t, nodeOptions{mutate: func(c *Config) {
		c.AddPeers = []string{b.addr()}
	}})
	waitFor(t, 10*time.Second, "first connection", func() bool { return a.ConnectedCount() == 1 })
	firstID := a.Peers()[0].ID
	// b hangs up on a.
	b.peersMtx.RLock()
	for _, sp := range b.peers {
		sp.Disconnect()
	}
	b.peersMtx.RUnlock()
	waitFor(t, 10*time.Second, "redial", func() bool {
		peers := a.Peers()
		return len(peers) == 1 && peers[0].ID != firstID && peers[0].Persistent &&
			b.ConnectedCount() == 1
	})

	// DisconnectPeer drops it (it is redialled), RemovePeer for good.
	if err := a.DisconnectPeer(-1); !errors.Is(err, ErrPeerNotFound) {
		t.Errorf("DisconnectPeer of an unknown id: got %v, want %v", err, ErrPeerNotFound)
	}
	if err := a.RemovePeer("127.0.0.1:1"); !errors.Is(err, ErrPeerNotFound) {
		t.Errorf("RemovePeer of an unknown address: got %v, want %v", err, ErrPeerNotFound)
	}
	secondID := a.Peers()[0].ID
	if err := a.DisconnectPeer(secondID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "second redial", func() bool {
		peers := a.Peers()
		return len(peers) == 1 && peers[0].ID != secondID
	})
	if err := a.RemovePeer(b.addr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "removal", func() bool { return a.ConnectedCount() == 0 })
	time.Sleep(300 * time.Millisecond)
	if a.ConnectedCount() != 0 {
		t.Error("removed peer redialled")
	}
}

// TestAddrGossip checks that gossiped addresses enter the address book and
// that an inbound peer's getaddr is answered once from it.
func TestAddrGossip(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	gossip := dialFakePeer(t, n, 0, nil, nil)
	gossip.send(&wire.MsgAddr{AddrList: []wire.NetAddress{{
		Timestamp: time.Now().Unix(), Services: wire.SFNodeNetwork,
		IP: net.IPv4(127, 0, 0, 1), Port: 18999,
	}}})
	waitFor(t, 5*time.Second, "address book", func() bool { return n.AddrManager().NumAddresses() == 1 })

	asker := dialFakePeer(t, n, 0, nil, nil)
	asker.send(&wire.MsgGetAddr{})
	asker.send(&wire.MsgGetAddr{})
	waitFor(t, 5*time.Second, "addr", func() bool { return len(asker.receivedOf(wire.CmdAddr)) == 1 })
	addr := asker.receivedOf(wire.CmdAddr)[0].(*wire.MsgAddr)
	if len(addr.AddrList) != 1 || addr.AddrList[0].Port != 18999 {
		t.Errorf("addr answer: %+v", addr.AddrList)
	}
	// The second getaddr is not answered; a ping round trip shows the
	// node read it.
	asker.send(&wire.MsgPing{Nonce: 7})
	waitFor(t, 5*time.Second, "pong", func() bool { return len(asker.receivedOf(wire.CmdPong)) == 1 })
	if got := len(asker.receivedOf(wire.CmdAddr)); got != 1 {
		t.Errorf("getaddr answered %d times, want once", got)
	}
}

// TestNoGoroutineLeak checks that stopped nodes leave no goroutine behind.
func TestNoGoroutineLeak(t *testing.T) {
	settle := func(want int) int {
		n := runtime.NumGoroutine()
		for i := 0; i < 200 && n > want; i++ {
			time.Sleep(10 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		return n
	}
	before := runtime.NumGoroutine()
	a := newTestNode(t, nodeOptions{})
	b := newTestNode(t, nodeOptions{})
	a.mine(10, 0)
	b.connectTo(a)
	waitFor(t, 10*time.Second, "sync", func() bool { return sameState(a, b) })
	for _, n := range []*testNode{a, b} {
		n.Stop()
		if err := n.db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := settle(before); after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
