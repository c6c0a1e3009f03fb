package peer

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// fuzzFrames concatenates the frames of msgs.
func fuzzFrames(f *testing.F, msgs ...wire.Message) []byte {
	var b []byte
	for _, m := range msgs {
		fr, err := wire.EncodeMessage(m, wire.ProtocolVersion, wire.SimNet)
		if err != nil {
			f.Fatalf("encode %s: %v", m.Command(), err)
		}
		b = append(b, fr...)
	}
	return b
}

// FuzzInboundStream feeds arbitrary bytes to an inbound peer as its remote
// and checks that the peer never panics and always winds down: it either
// disconnects on bad input or at the end of the stream.
func FuzzInboundStream(f *testing.F) {
	handshake := fuzzFrames(f, remoteVersion(), &wire.MsgVerAck{})
	f.Add(handshake)
	f.Add(append(append([]byte(nil), handshake...), fuzzFrames(f,
		&wire.MsgPing{Nonce: 1},
		&wire.MsgInv{InvList: []wire.InvVect{{Type: wire.InvTypeTx}}},
		&wire.MsgGetData{}, &wire.MsgBlock{}, &wire.MsgAddr{},
		&wire.MsgGetBlocks{}, &wire.MsgNotFound{}, &wire.MsgReject{},
		remoteVersion())...))
	f.Add([]byte("garbage"))
	f.Add(frame(wire.SimNet, wire.CmdVersion, 3, wire.Checksum([]byte{1, 2, 3}), []byte{1, 2, 3}))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := testConfig()
		cfg.HandshakeTimeout = time.Second
		cfg.IdleTimeout = time.Second
		cfg.Listeners.OnGetData = func(p *Peer, _ *wire.MsgGetData) {
			p.QueueMessage(&wire.MsgNotFound{}, nil)
		}
		client, server := net.Pipe()
		p := NewInboundPeer(cfg)
		p.AssociateConnection(server)
		drained := make(chan struct{})
		go func() {
			io.Copy(io.Discard, client)
			close(drained)
		}()
		client.Write(data)
		// The end of the stream ends the peer if the data did not.
		client.Close()
		p.WaitForDisconnect()
		<-drained
		if p.Connected() || p.DisconnectReason() == nil {
			t.Fatalf("peer still connected after the stream ended")
		}
	})
}
