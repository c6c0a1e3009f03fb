package wire

import "fmt"

// The commands of the header messages, which a node uses to learn which
// blocks are in the past of a block before it has their bodies
// (--assumevalid).
const (
	CmdGetHeaders = "getheaders"
	CmdHeaders    = "headers"
)

// Bounds of the header messages. The decoders check each one before
// allocating.
const (
	// MaxGetHeadersWanted bounds the hashes of one getheaders. The
	// requester's frontier (the blocks it wants headers of next) is about
	// as wide as the DAG, tens of blocks; the bound leaves room for a
	// DAG hundreds of times wider and keeps a request under 320 KB.
	MaxGetHeadersWanted = 10000

	// MaxHeadersPerMsg bounds the headers of one headers message: 2,000
	// headers of the most parents the wire allows are 4.2 MB, within
	// MaxMessagePayload, and of ten parents (the networks' MaxParents)
	// 0.8 MB.
	MaxHeadersPerMsg = 2000
)

// MsgGetHeaders asks for the headers of the blocks in Wanted and in their
// past, newest first: the serving node walks back from Wanted in strictly
// descending (blue work, hash) order, which is a reverse topological
// order, and answers with one headers message of at most MaxHeadersPerMsg
// headers, each block once. Hashes it does not know are skipped; it
// answers an empty headers message when it knows none of them. Payload:
//
//	field   type             size
//	wanted  varint + hashes  1-3 + up to 10,000*32
type MsgGetHeaders struct {
	Wanted []Hash
}

// Command implements Message.
func (m *MsgGetHeaders) Command() string { return CmdGetHeaders }

// MaxPayloadLength implements Message.
func (m *MsgGetHeaders) MaxPayloadLength(uint32) uint32 {
	return 3 + MaxGetHeadersWanted*HashSize
}

// Encode implements Message.
func (m *MsgGetHeaders) Encode(dst []byte, _ uint32) ([]byte, error) {
	if err := checkCount("getheaders wanted", len(m.Wanted), MaxGetHeadersWanted); err != nil {
		return nil, err
	}
	dst = AppendVarInt(dst, uint64(len(m.Wanted)))
	for i := range m.Wanted {
		dst = append(dst, m.Wanted[i][:]...)
	}
	return dst, nil
}

// Decode implements Message.
func (m *MsgGetHeaders) Decode(b []byte, _ uint32) error {
	r := newReader(b, "getheaders")
	n := r.count("wanted count", MaxGetHeadersWanted, HashSize)
	m.Wanted = nil
	if n > 0 {
		m.Wanted = make([]Hash, n)
		for i := range m.Wanted {
			m.Wanted[i] = r.hash("wanted hash")
		}
	}
	return r.finish()
}

// MsgHeaders answers a getheaders with block headers, each encoded as it
// is hashed, so the receiver can check that a header is the block it
// asked for by hashing it, and learn the block's parents from it.
// Payload:
//
//	field    type                       size
//	headers  varint + block headers     1-3 + up to 2,000*(57+32*parents)
type MsgHeaders struct {
	Headers []BlockHeader
}

// Command implements Message.
func (m *MsgHeaders) Command() string { return CmdHeaders }

// MaxPayloadLength implements Message.
func (m *MsgHeaders) MaxPayloadLength(uint32) uint32 {
	return 3 + MaxHeadersPerMsg*MaxBlockHeaderSize
}

// Encode implements Message.
func (m *MsgHeaders) Encode(dst []byte, _ uint32) ([]byte, error) {
	if err := checkCount("headers", len(m.Headers), MaxHeadersPerMsg); err != nil {
		return nil, err
	}
	for i := range m.Headers {
		if err := checkCount(fmt.Sprintf("headers: header %d parents", i),
			len(m.Headers[i].Parents), MaxParentsPerHeader); err != nil {
			return nil, err
		}
	}
	dst = AppendVarInt(dst, uint64(len(m.Headers)))
	for i := range m.Headers {
		dst = m.Headers[i].AppendSerialize(dst)
	}
	return dst, nil
}

// Decode implements Message.
func (m *MsgHeaders) Decode(b []byte, _ uint32) error {
	r := newReader(b, "headers")
	// Each header takes at least MinBlockHeaderSize bytes, so the count
	// is bounded by the payload as well as by MaxHeadersPerMsg.
	n := r.count("header count", MaxHeadersPerMsg, MinBlockHeaderSize)
	m.Headers = nil
	if r.err != nil || n == 0 {
		return r.finish()
	}
	m.Headers = make([]BlockHeader, n)
	for i := range m.Headers {
		m.Headers[i].decode(r)
		if r.err != nil {
			m.Headers = nil
			return r.err
		}
	}
	return r.finish()
}
