package blockdag

import (
	"encoding/binary"
	"math/big"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// Block records.
//
// BucketBlocks: key bucket 0x02 | block hash 32; value the serialized
// wire.MsgBlock, the bytes served to peers as they are.
//
// BucketBlockIndex: key bucket 0x03 | block hash 32; value:
//
//	field            type                                   size
//	header length    varint                                 1-9
//	header           wire.BlockHeader encoding              length
//	height           uint32 little-endian                   4
//	status           byte (1 = valid)                       1
//	block size       uint32 little-endian                   4
//	tx count         uint32 little-endian                   4
//	blue score       uint64 little-endian                   8
//	blue work        varint length + big-endian bytes       1+(<=64)
//	blues            varint count + hashes (sp first)       1-9 + 32n
//	reds             varint count + hashes                  1-9 + 32n
//	anticone sizes   varint count + (hash 32, uint32 4)     1-9 + 36n
//
// BucketHeights is not used: loading reads the whole index and sorts it by
// height in memory, which costs less than a key per block.
//
// BucketTips is not used: the tips are the blocks without children, which
// loading the index finds without another record to keep in step.
//
// BucketVirtual: key bucket 0x08 | "state":
//
//	field            type                                   size
//	parents          varint count + hashes                  1-9 + 32n
//	multiset         UTXO commitment state                  512
//	utxo count       uint64 little-endian                   8
//	utxo total       uint64 little-endian                   8
//
// and key bucket 0x08 | "genesis": the genesis hash (32 bytes), which ties
// the store to its network. The virtual's own diff is the past diff stored
// under the past key of the virtual's parents.

// maxBlueWorkBytes bounds the stored blue work: 2^512 is far beyond any sum
// of 2^256-bounded work values.
const maxBlueWorkBytes = 64

var (
	virtualStateKey   = database.Key(database.BucketVirtual, []byte("state"))
	virtualGenesisKey = database.Key(database.BucketVirtual, []byte("genesis"))
)

func blockKey(hash *wire.Hash) []byte {
	return database.Key(database.BucketBlocks, hash[:])
}

func indexKey(hash *wire.Hash) []byte {
	return database.Key(database.BucketBlockIndex, hash[:])
}

// encodeIndexRecord encodes a node's index record.
func encodeIndexRecord(n *blockNode) []byte {
	h := n.header()
	hdr := h.Serialize()
	bw := n.blueWork.Bytes()
	size := 9 + len(hdr) + 4 + 1 + 4 + 4 + 8 + 1 + len(bw) +
		27 + (len(n.blues)+len(n.reds))*wire.HashSize + len(n.anticoneSizes)*(wire.HashSize+4)
	b := make([]byte, 0, size)
	b = wire.AppendVarInt(b, uint64(len(hdr)))
	b = append(b, hdr...)
	b = binary.LittleEndian.AppendUint32(b, n.height)
	b = append(b, byte(n.status))
	b = binary.LittleEndian.AppendUint32(b, n.size)
	b = binary.LittleEndian.AppendUint32(b, n.txCount)
	b = binary.LittleEndian.AppendUint64(b, n.blueScore)
	b = wire.AppendVarInt(b, uint64(len(bw)))
	b = append(b, bw...)
	b = wire.AppendVarInt(b, uint64(len(n.blues)))
	for _, x := range n.blues {
		b = append(b, x.hash[:]...)
	}
	b = wire.AppendVarInt(b, uint64(len(n.reds)))
	for _, x := range n.reds {
		b = append(b, x.hash[:]...)
	}
	b = wire.AppendVarInt(b, uint64(len(n.anticoneSizes)))
	for _, a := range n.anticoneSizes {
		b = append(b, a.node.hash[:]...)
		b = binary.LittleEndian.AppendUint32(b, a.size)
	}
	return b
}

// indexRecord is a decoded index record whose links are still hashes.
type indexRecord struct {
	header        wire.BlockHeader
	height        uint32
	status        blockStatus
	size          uint32
	txCount       uint32
	blueScore     uint64
	blueWork      *big.Int
	blues         []wire.Hash
	reds          []wire.Hash
	anticoneNodes []wire.Hash
	anticoneSizes []uint32
}

// decodeIndexRecord decodes an index record.
func decodeIndexRecord(b []byte) (*indexRecord, error) {
	r := &byteReader{b: b}
	rec := &indexRecord{}
	hlen := r.count("header length", 1)
	if hdr := r.take(hlen, "header"); hdr != nil {
		if err := rec.header.Deserialize(hdr); err != nil {
			r.fail("header does not decode: " + err.Error())
		}
	}
	rec.height = r.uint32()
	if st := r.take(1, "status"); st != nil {
		rec.status = blockStatus(st[0])
	}
	rec.size = r.uint32()
	rec.txCount = r.uint32()
	rec.blueScore = r.uint64()
	bwLen := r.count("blue work length", 1)
	if bwLen > maxBlueWorkBytes {
		r.fail("blue work is too long")
	}
	if bw := r.take(bwLen, "blue work"); bw != nil {
		if len(bw) > 0 && bw[0] == 0 {
			r.fail("blue work has a leading zero byte")
		}
		rec.blueWork = new(big.Int).SetBytes(bw)
	}
	readHashes := func(what string) []wire.Hash {
		n := r.count(what, wire.HashSize)
		if n == 0 {
			return nil
		}
		out := make([]wire.Hash, n)
		for i := range out {
			out[i] = r.hash(what)
		}
		return out
	}
	rec.blues = readHashes("blues")
	rec.reds = readHashes("reds")
	n := r.count("anticone sizes", wire.HashSize+4)
	if n > 0 {
		rec.anticoneNodes = make([]wire.Hash, n)
		rec.anticoneSizes = make([]uint32, n)
		for i := 0; i < n; i++ {
			rec.anticoneNodes[i] = r.hash("anticone block")
			rec.anticoneSizes[i] = r.uint32()
		}
	}
	if err := r.finish("index record"); err != nil {
		return nil, err
	}
	if rec.status != statusValid {
		return nil, ruleError(ErrCorruptState, "index record has an unknown status")
	}
	return rec, nil
}

// virtualRecord is the stored virtual state.
type virtualRecord struct {
	parents  []wire.Hash
	multiset multiset
	count    uint64
	total    uint64
}

// encodeVirtualRecord encodes the virtual state record.
func encodeVirtualRecord(v *virtualRecord) []byte {
	b := make([]byte, 0, 9+len(v.parents)*wire.HashSize+multisetWords*8+16)
	b = wire.AppendVarInt(b, uint64(len(v.parents)))
	for i := range v.parents {
		b = append(b, v.parents[i][:]...)
	}
	b = append(b, v.multiset.bytes()...)
	b = binary.LittleEndian.AppendUint64(b, v.count)
	return binary.LittleEndian.AppendUint64(b, v.total)
}

// decodeVirtualRecord decodes the virtual state record.
func decodeVirtualRecord(b []byte) (*virtualRecord, error) {
	r := &byteReader{b: b}
	v := &virtualRecord{}
	n := r.count("virtual parent count", wire.HashSize)
	if n == 0 && r.err == nil {
		r.fail("virtual has no parents")
	}
	v.parents = make([]wire.Hash, n)
	for i := range v.parents {
		v.parents[i] = r.hash("virtual parent")
	}
	if ms := r.take(multisetWords*8, "multiset"); ms != nil {
		v.multiset.setBytes(ms)
	}
	v.count = r.uint64()
	v.total = r.uint64()
	if err := r.finish("virtual record"); err != nil {
		return nil, err
	}
	return v, nil
}
