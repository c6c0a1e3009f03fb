package wanproxy

import (
	"io"

	"github.com/soterdag/soterd/wire"
)

// A proxy with Config.CorruptBlocks reads the target's side of every
// connection frame by frame instead of in chunks, and rewrites block
// messages: a byte of the coinbase changes, so the block's transactions no
// longer match the merkle root of its header. The header is untouched, so
// the block still has the hash the node asked for, and the frame's
// checksum is computed again, so the peer layer passes it on: what catches
// it is block validation, as it would catch a peer that lies. Every other
// frame passes unchanged.
//
// Frame layout (package wire): magic 4, command 12, payload length 4,
// checksum 4, then the payload.

// Offsets in a frame header.
const (
	frameCommand  = 4
	frameLength   = frameCommand + wire.CommandSize
	frameChecksum = frameLength + 4
)

// readFrames is the read loop of the target's side of a connection when
// blocks are corrupted: it schedules one frame at a time. A frame longer
// than wire.MaxMessagePayload ends the connection, before its payload is
// allocated: the node would refuse it anyway.
func (pp *pipe) readFrames() {
	defer pp.finish()
	hdr := make([]byte, wire.MessageHeaderSize)
	for {
		if _, err := io.ReadFull(pp.src, hdr); err != nil {
			return
		}
		h, err := wire.DecodeMessageHeader(hdr)
		if err != nil {
			log.Warnf("Proxy %s: bad frame header from %s: %v: closing", pp.p.Addr(), pp.p.target, err)
			return
		}
		n := h.Length
		if n > wire.MaxMessagePayload {
			log.Warnf("Proxy %s: frame of %d bytes from %s is over the limit of %d: closing",
				pp.p.Addr(), n, pp.p.target, wire.MaxMessagePayload)
			return
		}
		frame := make([]byte, wire.MessageHeaderSize+int(n))
		copy(frame, hdr)
		if _, err := io.ReadFull(pp.src, frame[wire.MessageHeaderSize:]); err != nil {
			return
		}
		if h.Command == wire.CmdBlock && corruptBlockFrame(frame) {
			pp.p.corrupted.Add(1)
		}
		if !pp.put(frame) {
			return
		}
	}
}

// corruptBlockFrame flips a byte of the coinbase of the block in frame, in
// place, and sets the frame's checksum again. It reports false, leaving
// the frame as it was, when the payload is not a block it can re-encode to
// the same length.
func corruptBlockFrame(frame []byte) bool {
	payload := frame[wire.MessageHeaderSize:]
	var block wire.MsgBlock
	if err := block.Decode(payload, wire.ProtocolVersion); err != nil || len(block.Transactions) == 0 {
		return false
	}
	cb := block.Transactions[0]
	switch {
	case len(cb.Payload) > 0:
		cb.Payload[len(cb.Payload)-1] ^= 0x01
	case len(cb.TxOut) > 0:
		cb.TxOut[0].Value ^= 0x01
	default:
		return false
	}
	out, err := block.Encode(make([]byte, 0, len(payload)), wire.ProtocolVersion)
	if err != nil || len(out) != len(payload) {
		return false
	}
	copy(payload, out)
	sum := wire.Checksum(payload)
	copy(frame[frameChecksum:wire.MessageHeaderSize], sum[:])
	return true
}

// Corrupted returns the block messages the proxy corrupted.
func (p *Proxy) Corrupted() uint64 {
	return p.corrupted.Load()
}
