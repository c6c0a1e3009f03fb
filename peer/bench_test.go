package peer

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// BenchmarkKnownInventory measures the check-and-add of the known-inventory
// set, done once per announced object per peer.
func BenchmarkKnownInventory(b *testing.B) {
	p := NewInboundPeer(testConfig())
	iv := &wire.InvVect{Type: wire.InvTypeTx}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		iv.Hash[0], iv.Hash[1], iv.Hash[2] = byte(i), byte(i>>8), byte(i>>16)
		if !p.IsKnownInventory(iv) {
			p.AddKnownInventory(iv)
		}
	}
}

// BenchmarkQueueMessage measures queueing and dequeueing one message
// without a connection: the cost the caller and the writer pay per message.
func BenchmarkQueueMessage(b *testing.B) {
	p := NewInboundPeer(testConfig())
	msg := &wire.MsgPing{Nonce: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.QueueMessage(msg, nil)
		p.dequeue()
	}
}

// BenchmarkPingRoundTrip measures a ping answered by a pong over loopback
// TCP between two peers, through both queues and both read loops.
func BenchmarkPingRoundTrip(b *testing.B) {
	outCfg, inCfg := testConfig(), testConfig()
	outCfg.PingInterval = time.Hour
	inCfg.PingInterval = time.Hour
	outCfg.IdleTimeout = time.Hour
	inCfg.IdleTimeout = time.Hour
	pongs := make(chan struct{}, 1)
	var want atomic.Uint64
	outCfg.Listeners.OnPong = func(_ *Peer, m *wire.MsgPong) {
		if m.Nonce == want.Load() {
			pongs <- struct{}{}
		}
	}
	out, in := connectPeers(b, outCfg, inCfg)
	defer in.WaitForDisconnect()
	defer out.Disconnect()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nonce := uint64(i) + 1<<40
		want.Store(nonce)
		out.QueueMessage(&wire.MsgPing{Nonce: nonce}, nil)
		<-pongs
	}
}

// BenchmarkBlockRelay measures sending a 1 MB block between two peers over
// loopback TCP: encode, write, read, checksum and decode.
func BenchmarkBlockRelay(b *testing.B) {
	outCfg, inCfg := testConfig(), testConfig()
	// The receiver sends nothing back; only a long idle timeout keeps a
	// long run from ending the sender's side.
	outCfg.IdleTimeout = time.Hour
	got := make(chan struct{}, 1)
	inCfg.Listeners.OnBlock = func(*Peer, *wire.MsgBlock, []byte) { got <- struct{}{} }
	out, in := connectPeers(b, outCfg, inCfg)
	defer in.WaitForDisconnect()
	defer out.Disconnect()

	block := &wire.MsgBlock{Header: wire.BlockHeader{Version: 1}}
	for block.SerializeSize() < 1<<20 {
		block.Transactions = append(block.Transactions, &wire.MsgTx{
			Version: 1, Payload: make([]byte, wire.MaxTxPayloadSize)})
	}
	if _, err := wire.EncodeMessage(block, wire.ProtocolVersion, wire.SimNet); err != nil {
		b.Fatalf("encode: %v", err)
	}
	b.SetBytes(int64(block.SerializeSize()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.QueueMessage(block, nil)
		<-got
	}
}
