package node

import (
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// fakePeer is a remote node made of a raw TCP connection speaking the wire
// protocol by hand. It answers pings, and when it has a backing DAG and is
// not silent it answers getblocks and getdata from it. Every message it
// reads is kept for the test to inspect.
type fakePeer struct {
	t      testing.TB
	conn   net.Conn
	params *blockdag.Params
	dag    *blockdag.BlockDAG

	// silent stops every answer but pong: a stalled peer.
	silent atomic.Bool

	// handle, when set, sees every message first; returning true skips
	// the default answer. Set it before the handshake (dialFakePeerWith).
	handle func(fp *fakePeer, msg wire.Message) bool

	// noRead stops the read loop after the handshake: a peer that never
	// reads what the node sends.
	noRead bool

	writeMtx sync.Mutex

	mtx      sync.Mutex
	received []wire.Message
	closed   bool
	done     chan struct{}
}

// dialFakePeer connects to node, completes the handshake advertising
// height and tips, and starts the read loop. backing may be nil.
func dialFakePeer(t testing.TB, node *testNode, height uint32, tips []wire.Hash, backing *blockdag.BlockDAG) *fakePeer {
	t.Helper()
	return dialFakePeerWith(t, node, fakePeerOptions{height: height, tips: tips, backing: backing})
}

// fakePeerOptions describe a fake peer for dialFakePeerWith.
type fakePeerOptions struct {
	height  uint32
	tips    []wire.Hash
	backing *blockdag.BlockDAG
	// localIP is the loopback address to dial from (127.0.0.x), so that
	// the node's ban manager tells this peer apart; nil means any.
	localIP net.IP
	handle  func(fp *fakePeer, msg wire.Message) bool
	noRead  bool
}

// dialFakePeerWith is dialFakePeer with more options.
func dialFakePeerWith(t testing.TB, node *testNode, o fakePeerOptions) *fakePeer {
	t.Helper()
	height, tips, backing := o.height, o.tips, o.backing
	dialer := net.Dialer{Timeout: 5 * time.Second}
	if o.localIP != nil {
		dialer.LocalAddr = &net.TCPAddr{IP: o.localIP}
	}
	conn, err := dialer.Dial("tcp", node.addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	fp := &fakePeer{t: t, conn: conn, params: node.params, dag: backing, done: make(chan struct{}),
		handle: o.handle, noRead: o.noRead}

	ver := &wire.MsgVersion{
		ProtocolVersion: wire.ProtocolVersion,
		Services:        wire.SFNodeNetwork,
		Timestamp:       time.Now().Unix(),
		AddrRecv:        wire.NetAddress{IP: net.IPv4(127, 0, 0, 1)},
		AddrFrom:        wire.NetAddress{IP: net.IPv4(127, 0, 0, 1)},
		Nonce:           rand.Uint64(),
		UserAgent:       "/fakepeer:1.0/",
		GenesisHash:     node.params.GenesisHash,
		MaxHeight:       height,
		Tips:            tips,
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fp.send(ver)
	gotVersion, gotVerAck := false, false
	for !gotVersion || !gotVerAck {
		_, msg, _, err := wire.ReadMessage(conn, wire.ProtocolVersion, node.params.Net)
		if err != nil {
			conn.Close()
			t.Fatalf("fake peer handshake: %v", err)
		}
		switch msg.(type) {
		case *wire.MsgVersion:
			gotVersion = true
			fp.send(&wire.MsgVerAck{})
		case *wire.MsgVerAck:
			gotVerAck = true
		default:
			fp.record(msg)
		}
	}
	conn.SetDeadline(time.Time{})
	go fp.readLoop()
	t.Cleanup(fp.close)
	return fp
}

// send writes one message; errors end the fake peer quietly (the node may
// have hung up on purpose).
func (fp *fakePeer) send(msg wire.Message) {
	fp.writeMtx.Lock()
	defer fp.writeMtx.Unlock()
	if _, err := wire.WriteMessage(fp.conn, msg, wire.ProtocolVersion, fp.params.Net); err != nil {
		fp.conn.Close()
	}
}

func (fp *fakePeer) record(msg wire.Message) {
	fp.mtx.Lock()
	fp.received = append(fp.received, msg)
	fp.mtx.Unlock()
}

// receivedOf returns the messages of one command read so far.
func (fp *fakePeer) receivedOf(cmd string) []wire.Message {
	fp.mtx.Lock()
	defer fp.mtx.Unlock()
	var out []wire.Message
	for _, m := range fp.received {
		if m.Command() == cmd {
			out = append(out, m)
		}
	}
	return out
}

// isClosed reports whether the node hung up.
func (fp *fakePeer) isClosed() bool {
	select {
	case <-fp.done:
		return true
	default:
		return false
	}
}

func (fp *fakePeer) readLoop() {
	defer close(fp.done)
	if fp.noRead {
		// Read a byte every 100 ms, only to notice the end: the
		// node's writes pile up as if nothing were read.
		one := make([]byte, 1)
		for {
			if _, err := fp.conn.Read(one); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for {
		_, msg, _, err := wire.ReadMessage(fp.conn, wire.ProtocolVersion, fp.params.Net)
		if err != nil {
			var me wire.MessageError
			if errors.As(err, &me) {
				fp.t.Errorf("fake peer read a bad frame: %v", err)
			}
			return
		}
		fp.record(msg)
		if fp.handle != nil && fp.handle(fp, msg) {
			continue
		}
		switch m := msg.(type) {
		case *wire.MsgPing:
			fp.send(&wire.MsgPong{Nonce: m.Nonce})
		case *wire.MsgGetBlocks:
			if fp.silent.Load() || fp.dag == nil {
				continue
			}
			list, err := fp.dag.LocateBlocks(m.StartHeight, &m.EndHash, wire.MaxBlocksPerInv)
			if err != nil {
				list = nil
			}
			fp.send(&wire.MsgInv{InvList: list})
		case *wire.MsgGetData:
			if fp.silent.Load() || fp.dag == nil {
				continue
			}
			var nf wire.MsgNotFound
			for _, iv := range m.InvList {
				b, err := fp.dag.BlockByHash(&iv.Hash)
				if err != nil {
					nf.InvList = append(nf.InvList, iv)
					continue
				}
				fp.send(b)
			}
			if len(nf.InvList) > 0 {
				fp.send(&nf)
			}
		}
	}
}

func (fp *fakePeer) close() {
	fp.conn.Close()
	<-fp.done
}
