package wanproxy

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// testBlock returns a block whose coinbase has a payload and an output,
// with the merkle root of its transactions.
func testBlock() *wire.MsgBlock {
	cb := &wire.MsgTx{
		Version: 1,
		TxOut:   []wire.TxOut{{Value: 5000}},
		Payload: []byte{1, 2, 3, 4},
	}
	b := &wire.MsgBlock{
		Header:       wire.BlockHeader{Version: 1, Timestamp: 1_700_000_000_000, Bits: 0x207fffff},
		Transactions: []*wire.MsgTx{cb},
	}
	b.Header.MerkleRoot = wire.BlockMerkleRoot(b.Transactions)
	return b
}

// frameServer accepts one connection and writes the frames to it, then
// waits for the test to end.
func frameServer(t *testing.T, frames ...[]byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for _, f := range frames {
			if _, err := c.Write(f); err != nil {
				return
			}
		}
		io.Copy(io.Discard, c)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// encode returns msg's frame on regtest.
func encode(t *testing.T, msg wire.Message) []byte {
	t.Helper()
	f, err := wire.EncodeMessage(msg, wire.ProtocolVersion, wire.RegTest)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCorruptBlocks checks the lying mode: a block arrives with a valid
// frame checksum and its own hash but transactions that do not match its
// merkle root, and other messages arrive unchanged.
func TestCorruptBlocks(t *testing.T) {
	block := testBlock()
	ping := &wire.MsgPing{Nonce: 42}
	target := frameServer(t, encode(t, ping), encode(t, block), encode(t, ping))
	p := startProxy(t, &Config{Target: target, Delay: time.Millisecond, CorruptBlocks: true})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))

	for i, want := range []string{wire.CmdPing, wire.CmdBlock, wire.CmdPing} {
		_, msg, _, err := wire.ReadMessage(c, wire.ProtocolVersion, wire.RegTest)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if msg.Command() != want {
			t.Fatalf("message %d: got %s, want %s", i, msg.Command(), want)
		}
		switch m := msg.(type) {
		case *wire.MsgPing:
			if m.Nonce != ping.Nonce {
				t.Errorf("message %d: ping nonce %d, want %d", i, m.Nonce, ping.Nonce)
			}
		case *wire.MsgBlock:
			if m.BlockHash() != block.BlockHash() {
				t.Errorf("corrupted block hash %s, want %s (the header is kept)", m.BlockHash(), block.BlockHash())
			}
			if wire.BlockMerkleRoot(m.Transactions) == m.Header.MerkleRoot {
				t.Errorf("corrupted block still matches its merkle root")
			}
		}
	}
	if got := p.Corrupted(); got != 1 {
		t.Errorf("Corrupted: got %d, want 1", got)
	}
}

// TestCorruptOversizedFrame checks that a frame declaring more than
// wire.MaxMessagePayload ends the connection instead of being allocated.
func TestCorruptOversizedFrame(t *testing.T) {
	hdr := make([]byte, wire.MessageHeaderSize)
	binary.LittleEndian.PutUint32(hdr, uint32(wire.RegTest))
	copy(hdr[frameCommand:], wire.CmdBlock)
	binary.LittleEndian.PutUint32(hdr[frameLength:], wire.MaxMessagePayload+1)
	target := frameServer(t, hdr)
	p := startProxy(t, &Config{Target: target, CorruptBlocks: true})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (want the proxy to close the connection)", err)
	}
	if len(got) != 0 {
		t.Errorf("got %d bytes of an oversized frame, want none", len(got))
	}
}

// FuzzCorruptBlockFrame feeds corruptBlockFrame arbitrary payloads: it
// never panics, and a frame it reports corrupted still carries a valid
// checksum and a block of the same hash.
func FuzzCorruptBlockFrame(f *testing.F) {
	f.Add(testBlock().Serialize())
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > wire.MaxMessagePayload {
			return
		}
		frame := make([]byte, wire.MessageHeaderSize+len(payload))
		copy(frame[frameCommand:], wire.CmdBlock)
		binary.LittleEndian.PutUint32(frame[frameLength:], uint32(len(payload)))
		copy(frame[wire.MessageHeaderSize:], payload)
		orig := bytes.Clone(frame)
		if !corruptBlockFrame(frame) {
			if !bytes.Equal(frame, orig) {
				t.Fatalf("frame changed although not corrupted")
			}
			return
		}
		sum := wire.Checksum(frame[wire.MessageHeaderSize:])
		if !bytes.Equal(frame[frameChecksum:wire.MessageHeaderSize], sum[:]) {
			t.Fatalf("checksum not set")
		}
		var before, after wire.MsgBlock
		if err := before.Decode(orig[wire.MessageHeaderSize:], wire.ProtocolVersion); err != nil {
			t.Fatalf("corrupted a payload that does not decode: %v", err)
		}
		if err := after.Decode(frame[wire.MessageHeaderSize:], wire.ProtocolVersion); err != nil {
			t.Fatalf("corrupted block does not decode: %v", err)
		}
		if before.BlockHash() != after.BlockHash() {
			t.Fatalf("block hash changed")
		}
	})
}
