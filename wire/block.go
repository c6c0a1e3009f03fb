package wire

import (
	"encoding/binary"
	"time"
)

// Block header layout (little-endian integers):
//
//	field       type                      size
//	version     int32                     4
//	parents     varint count + hashes     1-9 + count*32 (sorted ascending, unique)
//	merkleRoot  hash                      32 (over tx hashes, signatures included)
//	timestamp   int64, unix milliseconds  8
//	bits        uint32, compact target    4
//	nonce       uint64                    8
//
// A block is its header followed by a varint transaction count and the
// transactions. The block hash is the double SHA-256 of the header, so it
// commits to every parent.

const (
	// MaxParentsPerHeader bounds the parent count a header may carry on the
	// wire. Each network allows fewer (blockdag's MaxParents); this bound
	// only keeps decoding cheap.
	MaxParentsPerHeader = 64

	// MinBlockHeaderSize is the encoded size of a header with no parents.
	MinBlockHeaderSize = 4 + 1 + HashSize + 8 + 4 + 8

	// MaxBlockHeaderSize is the encoded size of a header with the most
	// parents the wire allows.
	MaxBlockHeaderSize = MinBlockHeaderSize + MaxParentsPerHeader*HashSize

	// MaxBlockPayload is the largest encoded block the wire accepts. Each
	// network's MaxBlockSize is at most this.
	MaxBlockPayload = 4 * 1024 * 1024

	// MaxTxPerBlock is the most transactions a decodable block can hold.
	MaxTxPerBlock = MaxBlockPayload / MinTxSerializeSize
)

// BlockHeader is a block's header.
type BlockHeader struct {
	Version    int32
	Parents    []Hash
	MerkleRoot Hash
	// Timestamp is in unix milliseconds.
	Timestamp int64
	Bits      uint32
	Nonce     uint64
}

// Time returns the header timestamp as a time.Time.
func (h *BlockHeader) Time() time.Time {
	return time.UnixMilli(h.Timestamp)
}

// IsGenesis reports whether the header has no parents, which only a genesis
// block may have.
func (h *BlockHeader) IsGenesis() bool {
	return len(h.Parents) == 0
}

// SerializeSize returns the encoded size of the header.
func (h *BlockHeader) SerializeSize() int {
	return MinBlockHeaderSize - 1 + VarIntSerializeSize(uint64(len(h.Parents))) +
		len(h.Parents)*HashSize
}

// AppendSerialize appends the header's encoding to dst.
func (h *BlockHeader) AppendSerialize(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(h.Version))
	dst = AppendVarInt(dst, uint64(len(h.Parents)))
	for i := range h.Parents {
		dst = append(dst, h.Parents[i][:]...)
	}
	dst = append(dst, h.MerkleRoot[:]...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(h.Timestamp))
	dst = binary.LittleEndian.AppendUint32(dst, h.Bits)
	return binary.LittleEndian.AppendUint64(dst, h.Nonce)
}

// Serialize returns the header's encoding.
func (h *BlockHeader) Serialize() []byte {
	return h.AppendSerialize(make([]byte, 0, h.SerializeSize()))
}

// BlockHash returns the block hash: the double SHA-256 of the header.
func (h *BlockHeader) BlockHash() Hash {
	var stack [MinBlockHeaderSize + 16*HashSize]byte
	buf := stack[:0]
	if h.SerializeSize() > len(stack) {
		buf = make([]byte, 0, h.SerializeSize())
	}
	return DoubleHashH(h.AppendSerialize(buf))
}

// Deserialize decodes a header from b, which must hold exactly one header.
func (h *BlockHeader) Deserialize(b []byte) error {
	r := newReader(b, "block header")
	h.decode(r)
	return r.finish()
}

func (h *BlockHeader) decode(r *reader) {
	h.Version = int32(r.uint32("version"))
	n := r.count("parent count", MaxParentsPerHeader, HashSize)
	h.Parents = nil
	if n > 0 {
		h.Parents = make([]Hash, n)
		for i := range h.Parents {
			h.Parents[i] = r.hash("parent")
		}
	}
	h.MerkleRoot = r.hash("merkle root")
	h.Timestamp = int64(r.uint64("timestamp"))
	h.Bits = r.uint32("bits")
	h.Nonce = r.uint64("nonce")
}

// Copy returns a deep copy of the header.
func (h *BlockHeader) Copy() *BlockHeader {
	c := *h
	if h.Parents != nil {
		c.Parents = append([]Hash(nil), h.Parents...)
	}
	return &c
}

// MsgBlock is a block. It is also the payload of the "block" message.
type MsgBlock struct {
	Header       BlockHeader
	Transactions []*MsgTx
}

// BlockHash returns the block's hash.
func (b *MsgBlock) BlockHash() Hash {
	return b.Header.BlockHash()
}

// SerializeSize returns the encoded size of the block.
func (b *MsgBlock) SerializeSize() int {
	n := b.Header.SerializeSize() + VarIntSerializeSize(uint64(len(b.Transactions)))
	for _, tx := range b.Transactions {
		n += tx.SerializeSize()
	}
	return n
}

// AppendSerialize appends the block's encoding to dst.
func (b *MsgBlock) AppendSerialize(dst []byte) []byte {
	dst = b.Header.AppendSerialize(dst)
	dst = AppendVarInt(dst, uint64(len(b.Transactions)))
	for _, tx := range b.Transactions {
		dst = tx.AppendSerialize(dst)
	}
	return dst
}

// Serialize returns the block's encoding, the bytes used both on the wire
// and on disk.
func (b *MsgBlock) Serialize() []byte {
	return b.AppendSerialize(make([]byte, 0, b.SerializeSize()))
}

// Deserialize decodes a block from buf, which must hold exactly one block.
// The decoded block shares no memory with buf.
func (b *MsgBlock) Deserialize(buf []byte) error {
	if len(buf) > MaxBlockPayload {
		return messageError(ErrPayloadTooLarge, "block: encoded size over the maximum block payload")
	}
	r := newReader(buf, "block")
	b.decode(r)
	return r.finish()
}

func (b *MsgBlock) decode(r *reader) {
	b.Header.decode(r)
	n := r.count("transaction count", MaxTxPerBlock, MinTxSerializeSize)
	b.Transactions = nil
	if r.err != nil || n == 0 {
		return
	}
	// One allocation for every transaction struct of the block.
	txs := make([]MsgTx, n)
	b.Transactions = make([]*MsgTx, n)
	for i := range txs {
		txs[i].decode(r)
		if r.err != nil {
			b.Transactions = nil
			return
		}
		b.Transactions[i] = &txs[i]
	}
}

// TxIDs returns the ids of the block's transactions in order.
func (b *MsgBlock) TxIDs() []Hash {
	ids := make([]Hash, len(b.Transactions))
	for i, tx := range b.Transactions {
		ids[i] = tx.TxID()
	}
	return ids
}
