package wire

import "fmt"

// InvType is the kind of object an inventory vector names.
type InvType uint32

// The inventory types.
const (
	InvTypeTx    InvType = 1
	InvTypeBlock InvType = 2
)

// String returns the type's name.
func (t InvType) String() string {
	switch t {
	case InvTypeTx:
		return "tx"
	case InvTypeBlock:
		return "block"
	}
	return fmt.Sprintf("unknown inv type %d", uint32(t))
}

// InvVectSize is the encoded size of an inventory vector:
//
//	field   type     size
//	type    uint32   4
//	hash    hash     32
//	height  uint32   4 (block height; 0 for transactions)
const InvVectSize = 4 + HashSize + 4

// InvVect names a block or transaction. Blocks carry their height so a
// receiver can order and prioritise requests before it has the block.
type InvVect struct {
	Type   InvType
	Hash   Hash
	Height uint32
}

// NewInvVect returns an inventory vector.
func NewInvVect(typ InvType, hash *Hash, height uint32) *InvVect {
	return &InvVect{Type: typ, Hash: *hash, Height: height}
}

// String returns "type hash" for logs.
func (iv *InvVect) String() string {
	return fmt.Sprintf("%s %s", iv.Type, iv.Hash)
}

func (iv *InvVect) decode(r *reader) {
	iv.Type = InvType(r.uint32("inv type"))
	iv.Hash = r.hash("inv hash")
	iv.Height = r.uint32("inv height")
	if r.err == nil && iv.Type != InvTypeTx && iv.Type != InvTypeBlock {
		r.fail(ErrInvalidValue, "unknown inventory type %d", uint32(iv.Type))
	}
}
