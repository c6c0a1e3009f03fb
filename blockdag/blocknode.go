package blockdag

import (
	"math/big"

	"github.com/soterdag/soterd/wire"
)

// blockStatus records what is known about a block in the index. Blocks
// that fail validation on arrival are never stored; a block stored below
// the finality point waits for stage three (pending.go) and gets its
// verdict when something merges it.
type blockStatus byte

const (
	// statusValid marks a block that passed every validation stage.
	statusValid blockStatus = 1

	// statusPending marks a block whose selected chain did not hold the
	// finality point when it arrived: stages one and two passed, stage
	// three has not run.
	statusPending blockStatus = 2

	// statusInvalid marks a pending block that failed stage three, or
	// has such a block in its past.
	statusInvalid blockStatus = 3
)

// String returns the status name used by BlockInfo.
func (s blockStatus) String() string {
	switch s {
	case statusValid:
		return "valid"
	case statusPending:
		return "pending"
	case statusInvalid:
		return "invalid"
	}
	return "unknown"
}

// anticoneSize records, in the context of one block's blue set, how many
// blues are in the anticone of a blue block. GHOSTDAG keeps every such count
// at most K.
type anticoneSize struct {
	hash wire.Hash
	size uint32
}

// ghostdagData is the GHOSTDAG result of one block (or of the virtual).
// Blocks are named by hash, never by pointer: the index lives in the store
// and only a bounded working set of it is in memory (nodestore.go), so a
// pointer from one node to another would keep the whole past alive.
type ghostdagData struct {
	// selectedParent is the parent with the most blue work (ties: the
	// larger hash); the zero hash for genesis.
	selectedParent wire.Hash

	// blueScore is the number of blue blocks in the block's past and
	// blueWork the sum of their work.
	blueScore uint64
	blueWork  *big.Int

	// blues are the blue blocks of the mergeset: the selected parent
	// first, then the others in ascending (blue work, hash) order. reds
	// are the red blocks of the mergeset in the same order.
	blues []wire.Hash
	reds  []wire.Hash

	// anticoneSizes holds the blue anticone size, within this block's blue
	// set, of each of its mergeset blues and of every older blue whose
	// count this block's blues raised. A lookup walks the selected chain
	// down to the first block that records the blue.
	anticoneSizes []anticoneSize
}

// isGenesis reports whether the data is genesis's (no selected parent).
func (g *ghostdagData) isGenesis() bool {
	return g.selectedParent.IsZero()
}

// mergeSetSize returns the number of blocks in the mergeset, selected parent
// included.
func (g *ghostdagData) mergeSetSize() int {
	return len(g.blues) + len(g.reds)
}

// isBlue reports whether h is one of the mergeset blues.
func (g *ghostdagData) isBlue(h wire.Hash) bool {
	for i := range g.blues {
		if g.blues[i] == h {
			return true
		}
	}
	return false
}

// blockNode is one block of the DAG as the index keeps it: the header
// fields, the GHOSTDAG data and the reachability data. It is the decoded
// form of the block's index and reachability records; the node store
// (nodestore.go) keeps a bounded set of them in memory. Fields set at
// creation never change; the reachability data changes under the DAG's
// state lock, and every change is written in the batch of the block that
// caused it (see nodeStore.markDirty).
type blockNode struct {
	hash    wire.Hash
	parents []wire.Hash // in header order (ascending hash)

	// Header fields other than the parents and hash.
	version    int32
	merkleRoot wire.Hash
	timestamp  int64
	bits       uint32
	nonce      uint64

	height  uint32
	status  blockStatus
	size    uint32 // serialized block size
	txCount uint32

	// pastKey identifies the block's past by its parent set: blocks with
	// the same parents share their past, so they share the UTXO diff that
	// BucketUndo stores under this key.
	pastKey wire.Hash

	ghostdagData

	reach reachData
}

// header rebuilds the block header from the node.
func (n *blockNode) header() wire.BlockHeader {
	h := wire.BlockHeader{
		Version:    n.version,
		MerkleRoot: n.merkleRoot,
		Timestamp:  n.timestamp,
		Bits:       n.bits,
		Nonce:      n.nonce,
	}
	if len(n.parents) > 0 {
		h.Parents = append([]wire.Hash(nil), n.parents...)
	}
	return h
}

// memSize estimates the node's memory in bytes, for the node cache's
// bound: the struct, its slices and big.Int, and the cache's map entry.
func (n *blockNode) memSize() int {
	const fixed = 400 // struct, blue work, map entry and slice headers
	return fixed + wire.HashSize*(len(n.parents)+len(n.blues)+len(n.reds)+
		len(n.reach.treeChildren)+len(n.reach.fcs)) +
		(wire.HashSize+4)*len(n.anticoneSizes)
}

// blockLess orders blocks by (blue work, hash) ascending, the order in which
// GHOSTDAG sorts a mergeset. Because blue work strictly grows along every
// edge, the order is topological.
func blockLess(a, b *blockNode) bool {
	return blockCmp(a, b) < 0
}

// blockCmp compares blocks by (blue work, hash), for slices.SortFunc.
func blockCmp(a, b *blockNode) int {
	if c := a.blueWork.Cmp(b.blueWork); c != 0 {
		return c
	}
	return a.hash.Compare(&b.hash)
}

// pastKeyOf returns the key that identifies the past of a block with the
// given parents (sorted ascending): the double SHA-256 of their hashes.
func pastKeyOf(parents []wire.Hash) wire.Hash {
	var stack [10 * wire.HashSize]byte
	buf := stack[:0]
	for i := range parents {
		buf = append(buf, parents[i][:]...)
	}
	return wire.DoubleHashH(buf)
}

// hashesOf returns the hashes of nodes.
func hashesOf(nodes []*blockNode) []wire.Hash {
	if len(nodes) == 0 {
		return nil
	}
	out := make([]wire.Hash, len(nodes))
	for i, n := range nodes {
		out[i] = n.hash
	}
	return out
}
