package blockdag

import (
	"math/big"

	"github.com/soterdag/soterd/wire"
)

// blockStatus records what is known about a block in the index. Only valid
// blocks enter the index (invalid ones are never stored), so today the only
// status is statusValid; the byte is kept in the index record so that a
// later version can add states without a new schema.
type blockStatus byte

// statusValid marks a block that passed every validation stage.
const statusValid blockStatus = 1

// String returns the status name used by BlockInfo.
func (s blockStatus) String() string {
	if s == statusValid {
		return "valid"
	}
	return "unknown"
}

// anticoneSize records, in the context of one block's blue set, how many
// blues are in the anticone of a blue block. GHOSTDAG keeps every such count
// at most K.
type anticoneSize struct {
	node *blockNode
	size uint32
}

// ghostdagData is the GHOSTDAG result of one block (or of the virtual).
type ghostdagData struct {
	// selectedParent is the parent with the most blue work (ties: the
	// larger hash); nil for genesis.
	selectedParent *blockNode

	// blueScore is the number of blue blocks in the block's past and
	// blueWork the sum of their work.
	blueScore uint64
	blueWork  *big.Int

	// blues are the blue blocks of the mergeset: the selected parent
	// first, then the others in ascending (blue work, hash) order. reds
	// are the red blocks of the mergeset in the same order.
	blues []*blockNode
	reds  []*blockNode

	// anticoneSizes holds the blue anticone size, within this block's blue
	// set, of each of its mergeset blues and of every older blue whose
	// count this block's blues raised. A lookup walks the selected chain
	// down to the first block that records the blue.
	anticoneSizes []anticoneSize
}

// mergeSetSize returns the number of blocks in the mergeset, selected parent
// included.
func (g *ghostdagData) mergeSetSize() int {
	return len(g.blues) + len(g.reds)
}

// orderedMergeSet returns the mergeset in GHOSTDAG order: the selected
// parent, then the other blues and the reds merged in ascending (blue work,
// hash) order. Both input lists are already in that order.
func (g *ghostdagData) orderedMergeSet() []*blockNode {
	if len(g.blues) == 0 {
		return nil
	}
	out := make([]*blockNode, 0, g.mergeSetSize())
	out = append(out, g.blues[0])
	blues, reds := g.blues[1:], g.reds
	for len(blues) > 0 && len(reds) > 0 {
		if blockLess(blues[0], reds[0]) {
			out = append(out, blues[0])
			blues = blues[1:]
		} else {
			out = append(out, reds[0])
			reds = reds[1:]
		}
	}
	out = append(out, blues...)
	return append(out, reds...)
}

// isBlue reports whether n is one of the mergeset blues.
func (g *ghostdagData) isBlue(n *blockNode) bool {
	for _, b := range g.blues {
		if b == n {
			return true
		}
	}
	return false
}

// blockNode is one block of the DAG as the in-memory index keeps it. Nodes
// are created only for valid blocks and never removed. Fields set at
// creation never change; children, the reachability data and the scratch
// fields change under the DAG's state lock (see BlockDAG).
type blockNode struct {
	hash    wire.Hash
	parents []*blockNode // in header order (ascending hash)

	// children are the blocks that name this block as a parent, in the
	// order they were accepted.
	children []*blockNode

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

	// visit is a scratch mark for graph walks, compared with a walk's
	// epoch; only the goroutine holding the process lock uses it.
	visit uint64
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
		h.Parents = make([]wire.Hash, len(n.parents))
		for i, p := range n.parents {
			h.Parents[i] = p.hash
		}
	}
	return h
}

// parentHashes returns the hashes of the node's parents.
func (n *blockNode) parentHashes() []wire.Hash {
	out := make([]wire.Hash, len(n.parents))
	for i, p := range n.parents {
		out[i] = p.hash
	}
	return out
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
func pastKeyOf(parents []*blockNode) wire.Hash {
	var stack [10 * wire.HashSize]byte
	buf := stack[:0]
	for _, p := range parents {
		buf = append(buf, p.hash[:]...)
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
