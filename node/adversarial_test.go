package node

import (
	"crypto/rand"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/connmgr"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// The tests of this file attack a real node over the wire, each attacker
// from a connection of its own (a loopback address of its own, so that the
// ban manager tells it apart from the honest nodes on 127.0.0.1), with
// well-formed messages, and assert on what honest users see: their blocks
// and transactions arrive in time, the attacker is scored or dropped, and
// the node's memory stays bounded.

// longAdversarialEnv, set to anything, runs the long form of the floods;
// the short form is what make test runs.
const longAdversarialEnv = "NODE_ADVERSARIAL_LONG"

// floodCount returns the short count, or the long one when
// NODE_ADVERSARIAL_LONG is set.
func floodCount(short, long int) int {
	if os.Getenv(longAdversarialEnv) != "" {
		return long
	}
	return short
}

// attackerIP returns the loopback address of attacker i (127.0.0.2 on).
func attackerIP(i int) net.IP {
	return net.IPv4(127, 0, 0, byte(2+i))
}

// randomHash returns a hash nobody has.
func randomHash() wire.Hash {
	var h wire.Hash
	rand.Read(h[:])
	return h
}

// fakePage answers a getblocks with a full page of made-up blocks from its
// start height, as a liar keeping a download busy would.
func fakePage(m *wire.MsgGetBlocks) *wire.MsgInv {
	inv := &wire.MsgInv{InvList: make([]wire.InvVect, wire.MaxBlocksPerInv)}
	for i := range inv.InvList {
		inv.InvList[i] = wire.InvVect{Type: wire.InvTypeBlock, Hash: randomHash(), Height: m.StartHeight + uint32(i)}
	}
	return inv
}

// mineAndExpect mines a block on from and waits until to has it.
func mineAndExpect(t *testing.T, from, to *testNode, within time.Duration, what string) {
	t.Helper()
	mined := from.mine(1, 4)[0]
	start := time.Now()
	waitFor(t, within, what, func() bool { return to.DAG().HaveBlock(&mined) })
	t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
}

// syncingWith reports whether n's sync peer is the attacker at ip.
func syncingWith(n *testNode, ip net.IP) bool {
	return strings.HasPrefix(n.SyncManager().SyncState().SyncPeerAddr, ip.String()+":")
}

// TestLyingSyncPeer makes a fresh node sync from a peer that claims a
// greater height and lies: it lists made-up blocks and answers getdata with
// notfound, or not at all. While it is the sync peer, the node's own new
// blocks reach an honest peer within 5 s and the honest peer's blocks reach
// the node; the liar is replaced within the stall timeout and scored.
func TestLyingSyncPeer(t *testing.T) {
	const stallTimeout = 6 * time.Second
	tests := []struct {
		name     string
		notFound bool
	}{
		{name: "notfound", notFound: true},
		{name: "silent getdata"},
	}
	for i, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			n := newTestNode(t, nodeOptions{mutate: func(c *Config) {
				c.SyncStallTimeout = stallTimeout
				c.SyncRequestTimeout = time.Minute
			}})
			honest := newTestNode(t, nodeOptions{})
			honest.connectTo(n)
			ip := attackerIP(i)
			// getblocks goes to the sync peer only. A notfound liar is
			// chosen and dropped within milliseconds, faster than a
			// poll of the sync state may see, so the first getblocks
			// it gets is what says it was chosen.
			var chosenOnce atomic.Bool
			liar := dialFakePeerWith(t, n, fakePeerOptions{height: 5000, localIP: ip,
				handle: func(fp *fakePeer, msg wire.Message) bool {
					switch m := msg.(type) {
					case *wire.MsgGetBlocks:
						chosenOnce.Store(true)
						fp.send(fakePage(m))
						return true
					case *wire.MsgGetData:
						if test.notFound {
							fp.send(&wire.MsgNotFound{InvList: m.InvList})
						}
						return true
					}
					return false
				}})
			waitFor(t, 5*time.Second, "the liar as sync peer", func() bool {
				return chosenOnce.Load() || syncingWith(n, ip)
			})
			chosen := time.Now()

			mineAndExpect(t, n, honest, 5*time.Second, "own block at the honest peer")
			mineAndExpect(t, honest, n, 5*time.Second, "honest peer's block at the node")
			// Mining goes on: a liar does not make the node stale.
			waitFor(t, 3*time.Second, "the node current", n.SyncManager().IsCurrent)

			waitFor(t, stallTimeout+3*time.Second-time.Since(chosen), "the liar replaced", func() bool {
				return !syncingWith(n, ip) && n.BanManager().Score(ip.String()) > 0 || n.BanManager().IsBanned(ip.String())
			})
			t.Logf("liar replaced after %v, score %d, banned %v, disconnected %v",
				time.Since(chosen).Round(time.Millisecond), n.BanManager().Score(ip.String()),
				n.BanManager().IsBanned(ip.String()), liar.isClosed())
			if n.BanManager().IsBanned("127.0.0.1") {
				t.Error("the honest peer's address was banned")
			}
		})
	}
}

// TestHeightClaimCosts announces a block at height 4 billion, which makes
// the node sync from the claimant. The claim must not hold the node's relay
// and must cost the claimant, whether it then stays silent or answers
// notfound.
func TestHeightClaimCosts(t *testing.T) {
	tests := []struct {
		name     string
		notFound bool
	}{
		{name: "silent"},
		{name: "notfound", notFound: true},
	}
	for i, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			n := newTestNode(t, nodeOptions{mutate: func(c *Config) {
				c.PeerStallTimeout = 3 * time.Second
			}})
			honest := newTestNode(t, nodeOptions{})
			honest.connectTo(n)
			ip := attackerIP(2 + i)
			claimant := dialFakePeerWith(t, n, fakePeerOptions{localIP: ip,
				handle: func(fp *fakePeer, msg wire.Message) bool {
					switch m := msg.(type) {
					case *wire.MsgGetData:
						if test.notFound {
							fp.send(&wire.MsgNotFound{InvList: m.InvList})
						}
						return true
					case *wire.MsgGetBlocks:
						return true
					}
					return false
				}})
			claimant.send(&wire.MsgInv{InvList: []wire.InvVect{
				{Type: wire.InvTypeBlock, Hash: randomHash(), Height: 4_000_000_000}}})
			if !test.notFound {
				// A notfound ends the claim at once, often before
				// a poll could see the sync start.
				waitFor(t, 5*time.Second, "the claimant as sync peer", func() bool { return syncingWith(n, ip) })
			}

			mineAndExpect(t, n, honest, 5*time.Second, "own block at the honest peer")
			waitFor(t, 10*time.Second, "the claim to cost", func() bool {
				return n.BanManager().Score(ip.String()) > 0
			})
			if syncingWith(n, ip) && test.notFound {
				t.Error("the claimant is still the sync peer after its notfound")
			}
		})
	}
}

// TestWrongBlockAnswer has an attacker announce a block an honest peer has
// too, and answer the node's getdata with another block. The request must
// be freed at once and given to the honest peer, well before the request
// timeout, and the attacker scored.
func TestWrongBlockAnswer(t *testing.T) {
	n := newTestNode(t, nodeOptions{mutate: func(c *Config) {
		c.SyncRequestTimeout = time.Minute
	}})
	honest := newTestNode(t, nodeOptions{})
	honest.connectTo(n)

	want := makeBlock(t, honest.DAG(), minerKey(1))
	other := makeBlock(t, honest.DAG(), minerKey(2))
	wantHash := want.BlockHash()
	asked := make(chan struct{}, 1)
	ip := attackerIP(4)
	attacker := dialFakePeerWith(t, n, fakePeerOptions{localIP: ip,
		handle: func(fp *fakePeer, msg wire.Message) bool {
			if m, ok := msg.(*wire.MsgGetData); ok {
				for _, iv := range m.InvList {
					if iv.Hash == wantHash {
						select {
						case asked <- struct{}{}:
						default:
						}
					}
				}
				return true
			}
			return false
		}})
	attacker.send(&wire.MsgInv{InvList: []wire.InvVect{{Type: wire.InvTypeBlock, Hash: wantHash, Height: 1}}})
	select {
	case <-asked:
	case <-time.After(5 * time.Second):
		t.Fatal("the node did not ask the attacker for the block it announced")
	}
	// The honest peer gets the block and announces it: the node already
	// asked the attacker, so it waits on it.
	if orphan, err := honest.SyncManager().ProcessBlock(want, blockdag.BFNone); err != nil || orphan {
		t.Fatalf("honest block: orphan %v, err %v", orphan, err)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	attacker.send(other)
	waitFor(t, 5*time.Second, "the block from the honest peer", func() bool { return n.DAG().HaveBlock(&wantHash) })
	t.Logf("block arrived %v after the wrong answer", time.Since(start).Round(time.Millisecond))
	if score := n.BanManager().Score(ip.String()); score == 0 && !n.BanManager().IsBanned(ip.String()) {
		t.Error("the attacker was not scored for the wrong block")
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// floodAsync writes msgs to fp's connection until they are all written or a
// write blocks for a second (the node stopped reading), and returns how
// many bytes went out.
func floodAsync(fp *fakePeer, msgs func(i int) wire.Message, count int) <-chan int {
	out := make(chan int, 1)
	go func() {
		sent := 0
		for i := range count {
			fp.writeMtx.Lock()
			fp.conn.SetWriteDeadline(time.Now().Add(time.Second))
			n, err := wire.WriteMessage(fp.conn, msgs(i), wire.ProtocolVersion, fp.params.Net)
			fp.writeMtx.Unlock()
			sent += n
			if err != nil {
				break
			}
		}
		out <- sent
	}()
	return out
}

// TestNeverReadingPeer sends getblocks (2,000; 8,000 in the long form) and
// getdata for 1,000 blocks, 100 times over, from a peer that never reads. The node's memory stays within
// 10 MB of where it was, its write queue for the peer within its byte
// bound, and it keeps relaying its own blocks to an honest peer.
func TestNeverReadingPeer(t *testing.T) {
	n := newTestNode(t, nodeOptions{store: sharedStore(t, chainStore)})
	honest := newTestNode(t, nodeOptions{store: sharedStore(t, chainStore)})
	honest.connectTo(n)

	hashes, err := n.DAG().LocateBlocks(0, &wire.Hash{}, wire.MaxBlocksPerInv)
	if err != nil {
		t.Fatal(err)
	}
	getData := &wire.MsgGetData{InvList: hashes}
	// Warm the store's caches with a reader, so that they do not count
	// as the attacker's.
	reader := dialFakePeer(t, n, n.DAG().MaxHeight(), nil, nil)
	reader.send(getData)
	waitFor(t, 10*time.Second, "the reader's blocks", func() bool {
		return len(reader.receivedOf(wire.CmdBlock)) == len(hashes)
	})
	before := heapInUse()

	ip := attackerIP(5)
	attacker := dialFakePeerWith(t, n, fakePeerOptions{height: n.DAG().MaxHeight(), localIP: ip, noRead: true})
	count := floodCount(2000, 8000)
	sentGetBlocks := floodAsync(attacker, func(int) wire.Message {
		return &wire.MsgGetBlocks{StartHeight: 0}
	}, count)
	sent := <-sentGetBlocks
	sentGetData := floodAsync(attacker, func(int) wire.Message { return getData }, 100)
	sent += <-sentGetData
	time.Sleep(time.Second)

	after := heapInUse()
	grew := int64(after) - int64(before)
	t.Logf("attacker sent %d bytes; node heap %d -> %d bytes (%+d)", sent, before, after, grew)
	const limit = 10 << 20
	if grew > limit {
		t.Errorf("heap grew by %d bytes for a peer that never reads, over %d", grew, limit)
	}
	n.peersMtx.RLock()
	for sp := range n.allPeers {
		if strings.HasPrefix(sp.Addr(), ip.String()+":") {
			if q := sp.QueuedBytes(); q > 5<<20 {
				t.Errorf("write queue of the attacker holds %d bytes", q)
			}
		}
	}
	n.peersMtx.RUnlock()
	mineAndExpect(t, n, honest, 5*time.Second, "own block at the honest peer")
}

// TestGetDataAnsweredOnce asks for the same block many times in one
// getdata: it is sent once.
func TestGetDataAnsweredOnce(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	mined := n.mine(2, 0)
	fp := dialFakePeer(t, n, n.DAG().MaxHeight(), nil, nil)
	gd := &wire.MsgGetData{}
	for range 1000 {
		gd.InvList = append(gd.InvList, wire.InvVect{Type: wire.InvTypeBlock, Hash: mined[0]})
	}
	gd.InvList = append(gd.InvList, wire.InvVect{Type: wire.InvTypeBlock, Hash: mined[1]})
	fp.send(gd)
	waitFor(t, 5*time.Second, "the second block", func() bool {
		for _, m := range fp.receivedOf(wire.CmdBlock) {
			if m.(*wire.MsgBlock).BlockHash() == mined[1] {
				return true
			}
		}
		return false
	})
	if got := len(fp.receivedOf(wire.CmdBlock)); got != 2 {
		t.Errorf("got %d blocks for a getdata naming 2 distinct blocks, want 2", got)
	}
}

// TestMalleatedTx sends a copy of a transaction with one signature byte
// flipped before the genuine one is relayed: the copy's sender is banned,
// and the genuine transaction is accepted all the same.
func TestMalleatedTx(t *testing.T) {
	a, b, tx := syncedPairWithTx(t)
	mal := tx.Copy()
	mal.TxIn[0].Signature[7] ^= 1
	if mal.TxID() != tx.TxID() {
		t.Fatal("the txid commits to the signature: the test is moot")
	}
	ip := attackerIP(6)
	attacker := dialFakePeerWith(t, b, fakePeerOptions{height: b.DAG().MaxHeight(), localIP: ip})
	attacker.send(&wire.MsgInv{InvList: []wire.InvVect{{Type: wire.InvTypeTx, Hash: tx.TxID()}}})
	attacker.send(mal)
	waitFor(t, 5*time.Second, "the attacker banned", func() bool { return b.BanManager().IsBanned(ip.String()) })

	accepted, _, err := a.TxPool().ProcessTransaction(tx, false)
	if err != nil {
		t.Fatalf("ProcessTransaction: %v", err)
	}
	a.RelayTransactions(accepted)
	txID := tx.TxID()
	waitFor(t, 10*time.Second, "the genuine transaction", func() bool { return b.TxPool().HaveTransaction(&txID) })
}

// TestMessageFloods sends floods of every message type, each from an
// attacker of its own, to a node with an honest peer. Whatever the flood,
// the node keeps relaying its own blocks to the honest peer within 5 s and
// its heap stays bounded. make test runs the short form; the long form
// (NODE_ADVERSARIAL_LONG=1) sends ten times as many copies.
func TestMessageFloods(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	honest := newTestNode(t, nodeOptions{})
	honest.connectTo(n)
	n.mine(3, 0)
	tip := n.DAG().Tips()[0]
	block, err := n.DAG().BlockByHash(&tip)
	if err != nil {
		t.Fatal(err)
	}
	count := floodCount(500, 5000)
	var seq atomic.Uint32
	addrs := make([]wire.NetAddress, wire.MaxAddrPerMsg)
	for i := range addrs {
		addrs[i] = wire.NetAddress{IP: net.IPv4(10, byte(i>>8), byte(i), 1), Port: 18444,
			Timestamp: time.Now().Unix()}
	}
	invList := func(typ wire.InvType) []wire.InvVect {
		list := make([]wire.InvVect, 100)
		for i := range list {
			list[i] = wire.InvVect{Type: typ, Hash: randomHash(), Height: seq.Add(1) % 3}
		}
		return list
	}
	floods := []struct {
		name string
		msg  func() wire.Message
	}{
		{"version", func() wire.Message { return &wire.MsgVersion{ProtocolVersion: wire.ProtocolVersion} }},
		{"verack", func() wire.Message { return &wire.MsgVerAck{} }},
		{"ping", func() wire.Message { return &wire.MsgPing{Nonce: uint64(seq.Add(1))} }},
		{"pong", func() wire.Message { return &wire.MsgPong{Nonce: uint64(seq.Add(1))} }},
		{"inv blocks", func() wire.Message { return &wire.MsgInv{InvList: invList(wire.InvTypeBlock)} }},
		{"inv txs", func() wire.Message { return &wire.MsgInv{InvList: invList(wire.InvTypeTx)} }},
		{"getdata", func() wire.Message { return &wire.MsgGetData{InvList: invList(wire.InvTypeBlock)} }},
		{"notfound", func() wire.Message { return &wire.MsgNotFound{InvList: invList(wire.InvTypeBlock)} }},
		{"getblocks", func() wire.Message { return &wire.MsgGetBlocks{} }},
		{"block", func() wire.Message { return block }},
		{"tx", func() wire.Message {
			return &wire.MsgTx{Version: wire.TxVersion,
				TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: randomHash()}}},
				TxOut: []wire.TxOut{{Value: 1000}}}
		}},
		{"addr", func() wire.Message { return &wire.MsgAddr{AddrList: addrs} }},
		{"getaddr", func() wire.Message { return &wire.MsgGetAddr{} }},
		{"mempool", func() wire.Message { return &wire.MsgMemPool{} }},
		{"reject", func() wire.Message {
			return &wire.MsgReject{Cmd: wire.CmdTx, Code: wire.RejectInvalid, Reason: "flood", Hash: randomHash()}
		}},
	}
	before := heapInUse()
	for i, f := range floods {
		t.Run(f.name, func(t *testing.T) {
			ip := net.IPv4(127, 0, 1, byte(1+i))
			fp := dialFakePeerWith(t, n, fakePeerOptions{height: n.DAG().MaxHeight(), localIP: ip})
			<-floodAsync(fp, func(int) wire.Message { return f.msg() }, count)
			// The node handles a peer's messages in order: the pong
			// to a ping sent after the flood says it went through
			// all of it (unless it hung up, which is its right).
			nonce := uint64(1<<40) + uint64(i)
			fp.send(&wire.MsgPing{Nonce: nonce})
			waitFor(t, 30*time.Second, "the flood handled", func() bool {
				if fp.isClosed() {
					return true
				}
				for _, m := range fp.receivedOf(wire.CmdPong) {
					if m.(*wire.MsgPong).Nonce == nonce {
						return true
					}
				}
				return false
			})
			mineAndExpect(t, n, honest, 5*time.Second, "own block at the honest peer")
			t.Logf("%s flood: attacker disconnected %v, score %d", f.name, fp.isClosed(),
				n.BanManager().Score(ip.String()))
		})
	}
	after := heapInUse()
	t.Logf("node heap %d -> %d bytes over all floods", before, after)
	if grew := int64(after) - int64(before); grew > 64<<20 {
		t.Errorf("heap grew by %d bytes over the floods", grew)
	}
}

// TestMalleatedOrphanTx sends a child transaction with a flipped signature
// byte before its parent exists anywhere: the bad copy waits as an orphan.
// The genuine parent and child then arrive from an honest node: the child
// is fetched in spite of the orphan copy, the copy fails when the parent
// arrives, its sender is banned, and the genuine child enters the pool.
func TestMalleatedOrphanTx(t *testing.T) {
	a := newTestNode(t, nodeOptions{})
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv2, pub2, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	first := a.mineTo(1, pub)[0]
	a.mine(int(testParams().CoinbaseMaturity)+1, 0)
	b := newTestNode(t, nodeOptions{mutate: func(c *Config) { c.MaxOrphanTxs = 100 }})
	b.connectTo(a)
	waitFor(t, 30*time.Second, "sync", func() bool { return sameState(a, b) && !b.SyncManager().InSyncMode() })

	block, err := a.DAG().BlockByHash(&first)
	if err != nil {
		t.Fatal(err)
	}
	coinbase := block.Transactions[0]
	parent := &wire.MsgTx{
		Version: wire.TxVersion,
		TxIn:    []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: coinbase.TxID()}}},
		TxOut:   []wire.TxOut{{Value: coinbase.TxOut[0].Value - 100_000, PubKey: pub2}},
	}
	if err := keys.SignTx(parent, []wire.TxOut{coinbase.TxOut[0]}, []*btcec.PrivateKey{priv}); err != nil {
		t.Fatal(err)
	}
	child := &wire.MsgTx{
		Version: wire.TxVersion,
		TxIn:    []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: parent.TxID()}}},
		TxOut:   []wire.TxOut{{Value: parent.TxOut[0].Value - 100_000, PubKey: minerKey(7)}},
	}
	if err := keys.SignTx(child, []wire.TxOut{parent.TxOut[0]}, []*btcec.PrivateKey{priv2}); err != nil {
		t.Fatal(err)
	}
	bad := child.Copy()
	bad.TxIn[0].Signature[9] ^= 1
	childID := child.TxID()

	ip := attackerIP(7)
	attacker := dialFakePeerWith(t, b, fakePeerOptions{height: b.DAG().MaxHeight(), localIP: ip})
	attacker.send(bad)
	waitFor(t, 5*time.Second, "the bad copy as an orphan", func() bool { return b.TxPool().IsOrphanInPool(&childID) })

	for _, tx := range []*wire.MsgTx{parent, child} {
		accepted, _, err := a.TxPool().ProcessTransaction(tx, false)
		if err != nil {
			t.Fatalf("ProcessTransaction: %v", err)
		}
		a.RelayTransactions(accepted)
	}
	start := time.Now()
	waitFor(t, 10*time.Second, "the genuine child in the pool", func() bool {
		got, ok := b.TxPool().FetchTransaction(&childID)
		return ok && got.TxHash() == child.TxHash()
	})
	t.Logf("genuine child in the pool %v after the honest relay", time.Since(start).Round(time.Millisecond))
	waitFor(t, 5*time.Second, "the bad copy's sender banned", func() bool { return b.BanManager().IsBanned(ip.String()) })
}

// TestAddrFloodCannotOwnBook floods the address book from one peer, then
// has another peer gossip a few addresses: a getaddr answer still holds
// every address of the small source.
func TestAddrFloodCannotOwnBook(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	flooder := dialFakePeerWith(t, n, fakePeerOptions{localIP: attackerIP(8)})
	now := time.Now().Unix()
	for m := range 20 {
		msg := &wire.MsgAddr{}
		for i := range wire.MaxAddrPerMsg {
			msg.AddrList = append(msg.AddrList, wire.NetAddress{Timestamp: now, Services: wire.SFNodeNetwork,
				IP: net.IPv4(44, byte(m), byte(i>>8), byte(i)), Port: 18444})
		}
		flooder.send(msg)
	}
	honestAddrs := []wire.NetAddress{
		{Timestamp: now, Services: wire.SFNodeNetwork, IP: net.IPv4(45, 1, 1, 1), Port: 18444},
		{Timestamp: now, Services: wire.SFNodeNetwork, IP: net.IPv4(46, 1, 1, 1), Port: 18444},
	}
	gossip := dialFakePeerWith(t, n, fakePeerOptions{localIP: attackerIP(9)})
	// A ping after the flood: its pong says the flood was handled.
	flooder.send(&wire.MsgPing{Nonce: 77})
	waitFor(t, 10*time.Second, "the flood handled", func() bool { return len(flooder.receivedOf(wire.CmdPong)) > 0 })
	gossip.send(&wire.MsgAddr{AddrList: honestAddrs})
	gossip.send(&wire.MsgPing{Nonce: 78})
	waitFor(t, 10*time.Second, "the gossip handled", func() bool { return len(gossip.receivedOf(wire.CmdPong)) > 0 })
	if got := n.AddrManager().NumAddresses(); got > connmgr.MaxAddresses/8+len(honestAddrs) {
		t.Errorf("the book holds %d addresses after one source's flood", got)
	}

	asker := dialFakePeerWith(t, n, fakePeerOptions{localIP: attackerIP(10)})
	asker.send(&wire.MsgGetAddr{})
	waitFor(t, 5*time.Second, "the addr answer", func() bool { return len(asker.receivedOf(wire.CmdAddr)) > 0 })
	answer := asker.receivedOf(wire.CmdAddr)[0].(*wire.MsgAddr)
	found := 0
	for _, na := range answer.AddrList {
		for _, h := range honestAddrs {
			if na.IP.Equal(h.IP) {
				found++
			}
		}
	}
	t.Logf("book %d addresses; answer %d addresses, %d of the small source's %d",
		n.AddrManager().NumAddresses(), len(answer.AddrList), found, len(honestAddrs))
	if found != len(honestAddrs) {
		t.Errorf("the getaddr answer holds %d of the small source's %d addresses", found, len(honestAddrs))
	}
}
