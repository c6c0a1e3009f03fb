package blockdag

import (
	"encoding/binary"
	"math/big"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// Block records. Every record of a block is written in the batch that
// accepts the block; records that change later (a block's reachability
// data, the selected chain, the state records) are rewritten in the batch
// of the block that changed them. So the store is consistent after every
// batch, and a start reads only the state records: no scan. Each accepted
// block costs few keys (LevelDB's per-key cost dominates the processing of
// small blocks): its body, its node record, its height key, and the
// records it changes.
//
// BucketBlocks: key bucket 0x02 | block hash 32; value the serialized
// wire.MsgBlock, the bytes served to peers as they are.
//
// BucketBlockIndex: key bucket 0x03 | block hash 32; value the node record,
// rewritten when the block's reachability data changes (it gains a tree
// child or a covering block, or a reindex moves its interval):
//
//	field            type                                   size
//	header length    varint                                 1-9
//	header           wire.BlockHeader encoding              length
//	height           uint32 little-endian                   4
//	status           byte (1 valid, 2 pending, 3 invalid)   1
//	block size       uint32 little-endian                   4
//	tx count         uint32 little-endian                   4
//	blue score       uint64 little-endian                   8
//	blue work        varint length + big-endian bytes       1+(<=64)
//	blues            varint count + hashes (sp first)       1-9 + 32n
//	reds             varint count + hashes                  1-9 + 32n
//	anticone sizes   varint count + (hash 32, uint32 4)     1-9 + 36n
//	interval start   uint64 little-endian                   8
//	interval end     uint64 little-endian                   8
//	tree children    varint count + hashes, in order        1-9 + 32n
//	future covering  varint count + hashes, by start        1-9 + 32n
//
// A block's children are not stored: each is a tree child (the block is its
// selected parent) or in the future covering set (it merged the block), so
// BlockInfo filters those two lists by parenthood.
//
// BucketHeights: key bucket 0x0a | height uint32 big-endian | hash 32,
// empty value. Big-endian heights iterate in height order, which
// LocateBlocks and the transaction index build need.
//
// BucketOrder: key bucket 0x09 | position uint64 big-endian; value, for the
// block at that position of the virtual's selected chain (genesis at 0):
//
//	field            type                                   size
//	hash             wire.Hash                              32
//	order position   uint64 little-endian                   8
//	blue score       uint64 little-endian                   8
//
// The order position of chain block i is where the mergeset of chain block
// i+1 starts in the GHOSTDAG order (chainPrefix in the code); blue scores
// grow along the chain, so the finality point is a binary search.
//
// BucketVirtual: key bucket 0x08 | "state", rewritten by every block:
//
//	field            type                                   size
//	parents          varint count + hashes                  1-9 + 32n
//	utxo count       uint64 little-endian                   8
//	utxo total       uint64 little-endian                   8
//	block count      uint64 little-endian                   8
//	max height       uint32 little-endian                   4
//	chain length     uint64 little-endian                   8
//	finality point   uint64 little-endian (chain position)  8
//	tips             varint count + hashes                  1-9 + 32n
//
// key bucket 0x08 | "utxomultiset", the UTXO commitment state of the virtual
// with the given parents, rewritten every commitmentInterval blocks and at
// Close rather than with every block (it is 512 bytes, a third of what a
// small block writes); a start replays the past diffs from that virtual to
// the stored one:
//
//	field            type                                   size
//	parents          varint count + hashes                  1-9 + 32n
//	multiset         UTXO commitment state                  512
//
// (A store written before the ChaCha8 element construction holds its state
// under 0x08 | "commitment" instead; the first start recomputes it from the
// UTXO set and deletes that key: recomputeCommitment.)
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
	commitmentKey     = database.Key(database.BucketVirtual, []byte("utxomultiset"))
	// legacyCommitmentKey held the state under the first element
	// construction (sixteen SHA-256 per element), which no longer adds up.
	legacyCommitmentKey = database.Key(database.BucketVirtual, []byte("commitment"))
)

func blockKey(hash *wire.Hash) []byte {
	return database.Key(database.BucketBlocks, hash[:])
}

func indexKey(hash *wire.Hash) []byte {
	return database.Key(database.BucketBlockIndex, hash[:])
}

// heightKey returns the height index key of a block.
func heightKey(height uint32, hash *wire.Hash) []byte {
	k := make([]byte, 1+4+wire.HashSize)
	k[0] = byte(database.BucketHeights)
	binary.BigEndian.PutUint32(k[1:], height)
	copy(k[5:], hash[:])
	return k
}

// heightPrefix returns the prefix of the height index keys at a height.
func heightPrefix(height uint32) []byte {
	k := make([]byte, 1+4)
	k[0] = byte(database.BucketHeights)
	binary.BigEndian.PutUint32(k[1:], height)
	return k
}

// chainKey returns the key of a selected chain position.
func chainKey(pos uint64) []byte {
	k := make([]byte, 1+8)
	k[0] = byte(database.BucketOrder)
	binary.BigEndian.PutUint64(k[1:], pos)
	return k
}

// encodeNodeRecord encodes a node's record: the index fields, then the
// reachability fields.
func encodeNodeRecord(n *blockNode) []byte {
	b := encodeIndexFields(n)
	return appendReachFields(b, &n.reach)
}

// encodeIndexFields encodes the fields of a node record that never change.
func encodeIndexFields(n *blockNode) []byte {
	h := n.header()
	hdr := h.Serialize()
	bw := n.blueWork.Bytes()
	size := 9 + len(hdr) + 4 + 1 + 4 + 4 + 8 + 1 + len(bw) +
		27 + (len(n.blues)+len(n.reds))*wire.HashSize + len(n.anticoneSizes)*(wire.HashSize+4) +
		16 + 18 + (len(n.reach.treeChildren)+len(n.reach.fcs))*wire.HashSize
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
	b = appendHashes(b, n.blues)
	b = appendHashes(b, n.reds)
	b = wire.AppendVarInt(b, uint64(len(n.anticoneSizes)))
	for _, a := range n.anticoneSizes {
		b = append(b, a.hash[:]...)
		b = binary.LittleEndian.AppendUint32(b, a.size)
	}
	return b
}

// appendHashes appends a varint count and the hashes.
func appendHashes(b []byte, hashes []wire.Hash) []byte {
	b = wire.AppendVarInt(b, uint64(len(hashes)))
	for i := range hashes {
		b = append(b, hashes[i][:]...)
	}
	return b
}

// readHashes reads a varint count and that many hashes.
func (r *byteReader) hashes(what string) []wire.Hash {
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

// decodeNodeRecord decodes a node record into a node without its hash and
// past key, which the caller sets.
func decodeNodeRecord(b []byte) (*blockNode, error) {
	r := &byteReader{b: b}
	n := &blockNode{}
	hlen := r.count("header length", 1)
	if hdr := r.take(hlen, "header"); hdr != nil {
		var h wire.BlockHeader
		if err := h.Deserialize(hdr); err != nil {
			r.fail("header does not decode: " + err.Error())
		}
		n.version = h.Version
		n.merkleRoot = h.MerkleRoot
		n.timestamp = h.Timestamp
		n.bits = h.Bits
		n.nonce = h.Nonce
		n.parents = h.Parents
	}
	n.height = r.uint32()
	if st := r.take(1, "status"); st != nil {
		n.status = blockStatus(st[0])
	}
	n.size = r.uint32()
	n.txCount = r.uint32()
	n.blueScore = r.uint64()
	bwLen := r.count("blue work length", 1)
	if bwLen > maxBlueWorkBytes {
		r.fail("blue work is too long")
	}
	n.blueWork = new(big.Int)
	if bw := r.take(bwLen, "blue work"); bw != nil {
		if len(bw) > 0 && bw[0] == 0 {
			r.fail("blue work has a leading zero byte")
		}
		n.blueWork.SetBytes(bw)
	}
	n.blues = r.hashes("blues")
	n.reds = r.hashes("reds")
	count := r.count("anticone sizes", wire.HashSize+4)
	if count > 0 {
		n.anticoneSizes = make([]anticoneSize, count)
		for i := range n.anticoneSizes {
			n.anticoneSizes[i].hash = r.hash("anticone block")
			n.anticoneSizes[i].size = r.uint32()
		}
	}
	readReachFields(r, &n.reach)
	if err := r.finish("node record"); err != nil {
		return nil, err
	}
	if n.reach.start > n.reach.end {
		return nil, ruleError(ErrCorruptState, "node record has an empty interval")
	}
	if n.status < statusValid || n.status > statusInvalid {
		return nil, ruleError(ErrCorruptState, "index record has an unknown status")
	}
	switch {
	case len(n.parents) == 0 && len(n.blues) != 0:
		return nil, ruleError(ErrCorruptState, "index record of a block without parents has blues")
	case len(n.parents) != 0 && len(n.blues) == 0:
		return nil, ruleError(ErrCorruptState, "index record has no selected parent")
	}
	if len(n.blues) > 0 {
		n.selectedParent = n.blues[0]
	}
	return n, nil
}

// appendReachFields appends the reachability fields of a node record.
func appendReachFields(b []byte, r *reachData) []byte {
	b = binary.LittleEndian.AppendUint64(b, r.start)
	b = binary.LittleEndian.AppendUint64(b, r.end)
	b = appendHashes(b, r.treeChildren)
	return appendHashes(b, r.fcs)
}

// readReachFields reads the reachability fields of a node record.
func readReachFields(br *byteReader, r *reachData) {
	r.start = br.uint64()
	r.end = br.uint64()
	r.treeChildren = br.hashes("tree children")
	r.fcs = br.hashes("future covering set")
}

// chainEntry is one position of the virtual's selected chain.
type chainEntry struct {
	hash wire.Hash
	// prefix is the order position where the next chain block's mergeset
	// starts (chainPrefix).
	prefix    uint64
	blueScore uint64
}

// chainEntrySize is the size of an encoded chain record.
const chainEntrySize = wire.HashSize + 8 + 8

func encodeChainEntry(e *chainEntry) []byte {
	b := make([]byte, 0, chainEntrySize)
	b = append(b, e.hash[:]...)
	b = binary.LittleEndian.AppendUint64(b, e.prefix)
	return binary.LittleEndian.AppendUint64(b, e.blueScore)
}

func decodeChainEntry(b []byte) (chainEntry, error) {
	if len(b) != chainEntrySize {
		return chainEntry{}, ruleError(ErrCorruptState, "selected chain record of the wrong size")
	}
	return chainEntry{
		hash:      wire.Hash(b[:wire.HashSize]),
		prefix:    binary.LittleEndian.Uint64(b[wire.HashSize:]),
		blueScore: binary.LittleEndian.Uint64(b[wire.HashSize+8:]),
	}, nil
}

// dagCounters holds what a start needs without a scan besides the virtual.
type dagCounters struct {
	blockCount  uint64
	maxHeight   uint32
	chainLen    uint64
	finalityPos uint64
	tips        []wire.Hash
}

// virtualRecord is the stored virtual state with the DAG's counters and
// tips.
type virtualRecord struct {
	parents []wire.Hash
	count   uint64
	total   uint64
	dag     dagCounters
}

// encodeVirtualRecord encodes the virtual state record.
func encodeVirtualRecord(v *virtualRecord) []byte {
	b := make([]byte, 0, 9+len(v.parents)*wire.HashSize+16+28+9+len(v.dag.tips)*wire.HashSize)
	b = appendHashes(b, v.parents)
	b = binary.LittleEndian.AppendUint64(b, v.count)
	b = binary.LittleEndian.AppendUint64(b, v.total)
	b = binary.LittleEndian.AppendUint64(b, v.dag.blockCount)
	b = binary.LittleEndian.AppendUint32(b, v.dag.maxHeight)
	b = binary.LittleEndian.AppendUint64(b, v.dag.chainLen)
	b = binary.LittleEndian.AppendUint64(b, v.dag.finalityPos)
	return appendHashes(b, v.dag.tips)
}

// decodeVirtualRecord decodes the virtual state record.
func decodeVirtualRecord(b []byte) (*virtualRecord, error) {
	r := &byteReader{b: b}
	v := &virtualRecord{}
	v.parents = r.hashes("virtual parent")
	if len(v.parents) == 0 && r.err == nil {
		r.fail("virtual has no parents")
	}
	v.count = r.uint64()
	v.total = r.uint64()
	v.dag.blockCount = r.uint64()
	v.dag.maxHeight = r.uint32()
	v.dag.chainLen = r.uint64()
	v.dag.finalityPos = r.uint64()
	v.dag.tips = r.hashes("tips")
	if err := r.finish("virtual record"); err != nil {
		return nil, err
	}
	st := &v.dag
	if st.chainLen == 0 || st.finalityPos >= st.chainLen || st.blockCount == 0 || len(st.tips) == 0 {
		return nil, ruleError(ErrCorruptState, "virtual record has inconsistent counters")
	}
	return v, nil
}

// commitmentRecord is the stored UTXO commitment state of the virtual with
// the given parents.
type commitmentRecord struct {
	parents  []wire.Hash
	multiset multiset
}

func encodeCommitmentRecord(c *commitmentRecord) []byte {
	b := make([]byte, 0, 9+len(c.parents)*wire.HashSize+multisetWords*8)
	b = appendHashes(b, c.parents)
	return append(b, c.multiset.bytes()...)
}

func decodeCommitmentRecord(b []byte) (*commitmentRecord, error) {
	r := &byteReader{b: b}
	c := &commitmentRecord{parents: r.hashes("commitment parents")}
	if len(c.parents) == 0 && r.err == nil {
		r.fail("commitment record has no parents")
	}
	if ms := r.take(multisetWords*8, "multiset"); ms != nil {
		c.multiset.setBytes(ms)
	}
	if err := r.finish("commitment record"); err != nil {
		return nil, err
	}
	return c, nil
}
