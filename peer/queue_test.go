package peer

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// TestQueuePriority checks the order the writer takes messages in: control
// messages, then replies, then relayed inventory, each in FIFO order.
func TestQueuePriority(t *testing.T) {
	p := NewInboundPeer(testConfig())
	p.QueueInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{1}})
	p.QueueMessage(&wire.MsgBlock{}, nil)
	p.QueueMessage(&wire.MsgGetData{}, nil)
	p.QueueMessage(&wire.MsgPong{Nonce: 1}, nil)
	p.QueueInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{2}})
	p.QueueMessage(&wire.MsgVerAck{}, nil)

	want := []string{wire.CmdPong, wire.CmdVerAck, wire.CmdBlock, wire.CmdGetData,
		wire.CmdInv, wire.CmdInv}
	for i, cmd := range want {
		m, ok := p.dequeue()
		if !ok {
			t.Fatalf("message %d: queue empty, want %s", i, cmd)
		}
		if got := m.msg.Command(); got != cmd {
			t.Errorf("message %d: got %s, want %s", i, got, cmd)
		}
	}
	if _, ok := p.dequeue(); ok {
		t.Errorf("queue not empty after all messages")
	}
}

// TestMsgQueue checks the FIFO under interleaved pushes and pops, across
// compactions.
func TestMsgQueue(t *testing.T) {
	var q msgQueue
	next, expect := 0, 0
	for round := 0; round < 50; round++ {
		for i := 0; i < round%7+1; i++ {
			q.push(outMsg{msg: &wire.MsgPing{Nonce: uint64(next)}})
			next++
		}
		for i := 0; i < round%5 && q.len() > 0; i++ {
			m := q.pop()
			if got := m.msg.(*wire.MsgPing).Nonce; got != uint64(expect) {
				t.Fatalf("round %d: got %d, want %d", round, got, expect)
			}
			expect++
		}
	}
	for q.len() > 0 {
		if got := q.pop().msg.(*wire.MsgPing).Nonce; got != uint64(expect) {
			t.Fatalf("drain: got %d, want %d", got, expect)
		}
		expect++
	}
	if expect != next {
		t.Fatalf("popped %d of %d", expect, next)
	}
}

// TestInventoryBatching checks that transaction announcements are batched
// and deduplicated, that blocks flush at once, and that what the remote
// announced is never announced back.
func TestInventoryBatching(t *testing.T) {
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.TrickleInterval = time.Hour
	var mtx sync.Mutex
	var invs []*wire.MsgInv
	inCfg.Listeners.OnInv = func(_ *Peer, m *wire.MsgInv) {
		mtx.Lock()
		invs = append(invs, m)
		mtx.Unlock()
	}
	received := func() []*wire.MsgInv {
		mtx.Lock()
		defer mtx.Unlock()
		return append([]*wire.MsgInv(nil), invs...)
	}
	out, in := connectPeers(t, outCfg, inCfg)
	defer in.Disconnect()
	defer out.Disconnect()

	tx1 := &wire.InvVect{Type: wire.InvTypeTx, Hash: wire.Hash{1}}
	tx2 := &wire.InvVect{Type: wire.InvTypeTx, Hash: wire.Hash{2}}
	block := &wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{3}, Height: 5}
	out.QueueInventory(tx1)
	out.QueueInventory(tx2)
	out.QueueInventory(tx1)
	time.Sleep(50 * time.Millisecond)
	if got := len(received()); got != 0 {
		t.Fatalf("transactions sent before the trickle interval: %d invs", got)
	}
	// The block flushes the pending transactions with it.
	out.QueueInventory(block)
	waitFor(t, "block inv", 2*time.Second, func() bool { return len(received()) == 1 })
	got := received()[0].InvList
	if len(got) != 3 || got[0] != *tx1 || got[1] != *tx2 || got[2] != *block {
		t.Fatalf("inv: got %v, want tx1, tx2, block", got)
	}
	// Known now on both sides: nothing is announced twice.
	out.QueueInventory(block)
	out.QueueInventory(tx2)
	if !in.IsKnownInventory(block) || !out.IsKnownInventory(tx1) {
		t.Errorf("inventory not marked as known")
	}
	in.QueueInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: block.Hash, Height: 6})
	time.Sleep(50 * time.Millisecond)
	if got := out.StatsSnapshot().MsgsRecv[wire.CmdInv]; got != 0 {
		t.Errorf("inventory announced back: %d invs", got)
	}
	if got := len(received()); got != 1 {
		t.Errorf("duplicate announcement: %d invs, want 1", got)
	}
}

// TestInventoryTrickle checks that a transaction batch goes out on the
// trickle timer, and that a full batch goes out at once.
func TestInventoryTrickle(t *testing.T) {
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.TrickleInterval = 30 * time.Millisecond
	var items atomic.Int64
	var msgs atomic.Int32
	inCfg.Listeners.OnInv = func(_ *Peer, m *wire.MsgInv) {
		items.Add(int64(len(m.InvList)))
		msgs.Add(1)
	}
	out, in := connectPeers(t, outCfg, inCfg)
	defer in.Disconnect()
	defer out.Disconnect()

	out.QueueInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: wire.Hash{0xff}})
	waitFor(t, "trickled inv", 2*time.Second, func() bool { return items.Load() == 1 })

	p := NewInboundPeer(testConfig())
	for i := 0; i < wire.MaxInvPerMsg; i++ {
		var h wire.Hash
		h[0], h[1], h[2] = byte(i), byte(i>>8), byte(i>>16)
		p.QueueInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: h})
	}
	m, ok := p.dequeue()
	if !ok {
		t.Fatalf("full batch not queued at once")
	}
	if got := len(m.msg.(*wire.MsgInv).InvList); got != wire.MaxInvPerMsg {
		t.Errorf("full batch: got %d items, want %d", got, wire.MaxInvPerMsg)
	}
}

// TestSlowReader checks that a remote that never reads cannot block the
// caller of QueueMessage: the calls return at once and the peer is
// disconnected when its queue passes the bound.
func TestSlowReader(t *testing.T) {
	cfg := testConfig()
	cfg.MaxQueuedMessages = 200
	p, client := rawInbound(t, cfg)
	defer client.Close()

	// About 34 KB each: far more than the socket buffers hold in total.
	addrs := make([]wire.NetAddress, wire.MaxAddrPerMsg)
	for i := range addrs {
		addrs[i] = wire.NetAddress{IP: net.IPv4(10, 0, byte(i>>8), byte(i)), Port: 1}
	}
	msg := &wire.MsgAddr{AddrList: addrs}
	done := make(chan struct{}, 1000)
	start := time.Now()
	for i := 0; i < 1000; i++ {
		p.QueueMessage(msg, done)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("queueing 1000 messages took %v: the caller was blocked", took)
	}
	if err := waitDisconnect(t, p, 10*time.Second); !isKind(err, ErrSendQueueFull) {
		t.Fatalf("got reason %v, want %v", err, ErrSendQueueFull)
	}
	// Every message is accounted for: written, refused or dropped.
	for i := 0; i < 1000; i++ {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("only %d of 1000 done signals", i)
		}
	}
}

// TestListeners sends every message type from one peer to the other and
// checks that each reaches its listener.
func TestListeners(t *testing.T) {
	var mtx sync.Mutex
	got := make(map[string]int)
	var blockBuf []byte
	note := func(cmd string) {
		mtx.Lock()
		got[cmd]++
		mtx.Unlock()
	}
	inCfg := testConfig()
	l := &inCfg.Listeners
	l.OnInv = func(*Peer, *wire.MsgInv) { note(wire.CmdInv) }
	l.OnGetData = func(*Peer, *wire.MsgGetData) { note(wire.CmdGetData) }
	l.OnNotFound = func(*Peer, *wire.MsgNotFound) { note(wire.CmdNotFound) }
	l.OnGetBlocks = func(*Peer, *wire.MsgGetBlocks) { note(wire.CmdGetBlocks) }
	l.OnGetHeaders = func(*Peer, *wire.MsgGetHeaders) { note(wire.CmdGetHeaders) }
	l.OnHeaders = func(*Peer, *wire.MsgHeaders) { note(wire.CmdHeaders) }
	l.OnBlock = func(_ *Peer, _ *wire.MsgBlock, buf []byte) {
		mtx.Lock()
		blockBuf = buf
		mtx.Unlock()
		note(wire.CmdBlock)
	}
	l.OnTx = func(*Peer, *wire.MsgTx) { note(wire.CmdTx) }
	l.OnAddr = func(*Peer, *wire.MsgAddr) { note(wire.CmdAddr) }
	l.OnGetAddr = func(*Peer, *wire.MsgGetAddr) { note(wire.CmdGetAddr) }
	l.OnMemPool = func(*Peer, *wire.MsgMemPool) { note(wire.CmdMemPool) }
	l.OnReject = func(*Peer, *wire.MsgReject) { note(wire.CmdReject) }
	var reads, writes atomic.Int32
	l.OnRead = func(*Peer, int, wire.Message, error) { reads.Add(1) }
	outCfg := testConfig()
	outCfg.Listeners.OnWrite = func(*Peer, int, wire.Message, error) { writes.Add(1) }

	out, in := connectPeers(t, outCfg, inCfg)
	defer in.Disconnect()
	defer out.Disconnect()

	block := &wire.MsgBlock{Header: wire.BlockHeader{Version: 1, Nonce: 99}}
	tx := &wire.MsgTx{Version: 1, Payload: []byte{1}}
	msgs := []wire.Message{
		&wire.MsgInv{InvList: []wire.InvVect{{Type: wire.InvTypeBlock, Hash: wire.Hash{9}}}},
		&wire.MsgGetData{}, &wire.MsgNotFound{}, &wire.MsgGetBlocks{},
		&wire.MsgGetHeaders{Wanted: []wire.Hash{{7}}},
		&wire.MsgHeaders{Headers: []wire.BlockHeader{block.Header}},
		block, tx, &wire.MsgAddr{}, &wire.MsgGetAddr{}, &wire.MsgMemPool{},
		&wire.MsgReject{Cmd: wire.CmdTx, Code: wire.RejectInvalid, Reason: "bad"},
	}
	for _, m := range msgs {
		out.QueueMessage(m, nil)
	}
	waitFor(t, "every listener", 5*time.Second, func() bool {
		mtx.Lock()
		defer mtx.Unlock()
		return len(got) == len(msgs)
	})
	for _, m := range msgs {
		if got[m.Command()] != 1 {
			t.Errorf("%s: listener called %d times, want 1", m.Command(), got[m.Command()])
		}
	}
	mtx.Lock()
	if string(blockBuf) != string(block.Serialize()) {
		t.Errorf("OnBlock buffer does not hold the serialized block")
	}
	mtx.Unlock()
	if !in.IsKnownInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: block.BlockHash()}) {
		t.Errorf("received block not marked as known")
	}
	if !in.IsKnownInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: tx.TxID()}) {
		t.Errorf("received tx not marked as known")
	}
	if !in.IsKnownInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{9}}) {
		t.Errorf("announced inventory not marked as known")
	}
	if reads.Load() < int32(len(msgs)) || writes.Load() < int32(len(msgs)) {
		t.Errorf("OnRead %d, OnWrite %d calls, want at least %d", reads.Load(),
			writes.Load(), len(msgs))
	}
}

// TestQueueByteBound checks that the write queue is bounded in bytes, not
// only in messages: a remote that does not read is disconnected once the
// queued answers pass MaxQueuedBytes, long before the count bound.
func TestQueueByteBound(t *testing.T) {
	cfg := testConfig()
	cfg.MaxQueuedMessages = 1_000_000
	cfg.MaxQueuedBytes = 256 * 1024
	p, client := rawInbound(t, cfg)
	defer client.Close()

	page := make([]wire.InvVect, wire.MaxBlocksPerInv)
	for i := range page {
		page[i] = wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{byte(i), byte(i >> 8)}}
	}
	msg := &wire.MsgInv{InvList: page}
	for range 200 {
		p.QueueMessage(msg, nil)
		if max := cfg.MaxQueuedBytes + msgSize(msg, 0); p.QueuedBytes() > max {
			t.Fatalf("queued %d bytes, over the bound of %d", p.QueuedBytes(), max)
		}
	}
	if err := waitDisconnect(t, p, 10*time.Second); !isKind(err, ErrSendQueueFull) {
		t.Fatalf("got reason %v, want %v", err, ErrSendQueueFull)
	}
}

// TestQueueMessageWait checks the backpressure: QueueMessageWait waits
// while the queue has no room, goes on once the remote reads, and gives up
// with ErrConnectionClosed when the peer disconnects.
func TestQueueMessageWait(t *testing.T) {
	cfg := testConfig()
	cfg.MaxQueuedBytes = 64 * 1024
	p, client := rawInbound(t, cfg)
	defer client.Close()

	addrs := make([]wire.NetAddress, wire.MaxAddrPerMsg)
	for i := range addrs {
		addrs[i] = wire.NetAddress{IP: net.IPv4(10, 0, byte(i>>8), byte(i)), Port: 1}
	}
	big := &wire.MsgAddr{AddrList: addrs}
	var sent atomic.Int64
	result := make(chan error, 1)
	go func() {
		for {
			if err := p.QueueMessageWait(big, nil); err != nil {
				result <- err
				return
			}
			sent.Add(1)
		}
	}()
	// The socket buffers take some messages, then the producer waits.
	time.Sleep(time.Second)
	before := sent.Load()
	time.Sleep(300 * time.Millisecond)
	if after := sent.Load(); after != before {
		t.Fatalf("producer went on from %d to %d messages while the remote did not read", before, after)
	}
	if got := p.QueuedBytes(); got > cfg.MaxQueuedBytes {
		t.Errorf("queued %d bytes, over the bound of %d", got, cfg.MaxQueuedBytes)
	}
	if !p.Connected() {
		t.Fatalf("a waiting producer got the peer disconnected: %v", p.DisconnectReason())
	}
	// What is queued without waiting has room left: a slow reader is
	// not disconnected for a pong or an announcement.
	for i := range 20 {
		p.QueueMessage(&wire.MsgPong{Nonce: uint64(i)}, nil)
		p.QueueInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{byte(i), 0xaa}})
	}
	if !p.Connected() {
		t.Fatalf("small messages on a queue filled by a waiting producer disconnected the peer: %v",
			p.DisconnectReason())
	}
	// Reading makes room.
	var wg sync.WaitGroup
	drain(client, &wg)
	waitFor(t, "producer to go on", 5*time.Second, func() bool { return sent.Load() > before+10 })
	p.Disconnect()
	select {
	case err := <-result:
		if !isKind(err, ErrConnectionClosed) {
			t.Errorf("after disconnect: got %v, want %v", err, ErrConnectionClosed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("producer still running after the disconnect")
	}
	client.Close()
	wg.Wait()
}

// rawTestMsg is a message carrying its encoded payload.
type rawTestMsg struct{ payload []byte }

func (m *rawTestMsg) Command() string                           { return wire.CmdTx }
func (m *rawTestMsg) MaxPayloadLength(uint32) uint32            { return wire.MaxBlockPayload }
func (m *rawTestMsg) Encode(d []byte, _ uint32) ([]byte, error) { return append(d, m.payload...), nil }
func (m *rawTestMsg) Decode(b []byte, _ uint32) error           { m.payload = b; return nil }
func (m *rawTestMsg) RawPayload() []byte                        { return m.payload }

// TestRawPayloadFrame checks that a RawPayloader is written as the same
// frame wire.EncodeMessage builds.
func TestRawPayloadFrame(t *testing.T) {
	p, client := rawInbound(t, testConfig())
	defer client.Close()
	tx := &wire.MsgTx{Version: wire.TxVersion, Payload: []byte("raw payload")}
	p.QueueMessage(&rawTestMsg{payload: tx.Serialize()}, nil)
	var got *wire.MsgTx
	for got == nil {
		// The peer pings right after the handshake.
		switch m := readMsg(t, client).(type) {
		case *wire.MsgTx:
			got = m
		case *wire.MsgPing:
		default:
			t.Fatalf("got %s, want the raw tx", m.Command())
		}
	}
	if got.TxHash() != tx.TxHash() {
		t.Errorf("got tx %s, want %s", got.TxHash(), tx.TxHash())
	}
}
