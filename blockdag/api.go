package blockdag

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// BlockInfo describes a block of the DAG.
type BlockInfo struct {
	Hash      wire.Hash
	Header    wire.BlockHeader
	Height    uint32
	BlueScore uint64
	BlueWork  *big.Int
	// SelectedParent is zero for genesis.
	SelectedParent wire.Hash
	Parents        []wire.Hash
	Children       []wire.Hash
	MergeSetBlues  []wire.Hash
	MergeSetReds   []wire.Hash
	// IsChainBlock is set for blocks on the virtual's selected chain.
	IsChainBlock bool
	// IsBlue is the block's color in the coloring of the chain block that
	// merged it (true for chain blocks); for a block only the virtual
	// merges (a tip, or a block in a tip's mergeset) it is the virtual's
	// coloring, which can still change when new blocks arrive, but which
	// is the one the virtual's blue score counts.
	IsBlue bool
	// AcceptingBlock is the chain block that merged it, zero if none yet.
	AcceptingBlock wire.Hash
	Size           int
	TxCount        int
	Status         string
}

// VirtualInfo describes the virtual block, the DAG's current state.
type VirtualInfo struct {
	Parents        []wire.Hash
	SelectedParent wire.Hash
	BlueScore      uint64
	BlueWork       *big.Int
	// PastMedianTime is in unix milliseconds.
	PastMedianTime int64
	// RequiredBits are the bits the next block needs.
	RequiredBits   uint32
	UTXOCount      uint64
	UTXOCommitment wire.Hash
	// Difficulty is how many times harder than the proof-of-work limit
	// RequiredBits are.
	Difficulty float64
	// ChainHeight is the number of blocks on the virtual's selected chain,
	// genesis counting 1.
	ChainHeight uint64
}

// OrderedBlock is one block of the GHOSTDAG total order.
type OrderedBlock struct {
	Hash  wire.Hash
	Index uint64
	// IsBlue and AcceptingBlock are as in BlockInfo.
	IsBlue         bool
	AcceptingBlock wire.Hash
}

// TemplateInfo is what a miner needs to build a block on the current
// virtual.
type TemplateInfo struct {
	// Parents are the virtual's parents, sorted as a header lists them.
	Parents []wire.Hash
	// BlueScore is the blue score of a block naming exactly Parents; its
	// coinbase payload starts with it and its subsidy depends on it.
	BlueScore uint64
	Bits      uint32
	// MinTimestamp is the earliest valid timestamp (ms): the past median
	// time plus one.
	MinTimestamp int64
	Height       uint32
}

// HaveBlock reports whether the block is in the DAG (orphans excluded).
func (d *BlockDAG) HaveBlock(hash *wire.Hash) bool {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	_, ok := d.index[*hash]
	return ok
}

// IsKnownOrphan reports whether the block is in the orphan pool.
func (d *BlockDAG) IsKnownOrphan(hash *wire.Hash) bool {
	return d.orphans.has(hash)
}

// IsKnownInvalid reports whether the block failed validation before (and is
// still remembered).
func (d *BlockDAG) IsKnownInvalid(hash *wire.Hash) bool {
	return d.invalid.has(hash)
}

// OrphanMissingParents returns the parents that the orphan's roots in the
// pool (the orphan itself, or the orphan ancestors it waits for) lack and
// that are neither in the DAG nor in the pool: the blocks to ask peers for.
func (d *BlockDAG) OrphanMissingParents(hash *wire.Hash) []wire.Hash {
	return d.orphans.missingParents(hash, d.HaveBlock)
}

// OrphanCount returns the number of orphans in the pool.
func (d *BlockDAG) OrphanCount() int {
	return d.orphans.count()
}

// notFound is the error for unknown blocks.
func notFound(hash *wire.Hash) error {
	return ruleError(ErrBlockNotFound, fmt.Sprintf("block %s is not in the DAG", hash))
}

// BlockBytesByHash returns the serialized block, for serving getdata
// without re-encoding.
func (d *BlockDAG) BlockBytesByHash(hash *wire.Hash) ([]byte, error) {
	if !d.HaveBlock(hash) {
		return nil, notFound(hash)
	}
	b, err := d.db.Get(blockKey(hash))
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return nil, notFound(hash)
		}
		return nil, fmt.Errorf("read block %s: %w", hash, err)
	}
	return b, nil
}

// BlockByHash returns the block.
func (d *BlockDAG) BlockByHash(hash *wire.Hash) (*wire.MsgBlock, error) {
	b, err := d.BlockBytesByHash(hash)
	if err != nil {
		return nil, err
	}
	msg := new(wire.MsgBlock)
	if err := msg.Deserialize(b); err != nil {
		return nil, ruleError(ErrCorruptState, fmt.Sprintf("stored block %s does not decode: %v", hash, err))
	}
	return msg, nil
}

// HeaderByHash returns the block's header.
func (d *BlockDAG) HeaderByHash(hash *wire.Hash) (*wire.BlockHeader, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	n, ok := d.index[*hash]
	if !ok {
		return nil, notFound(hash)
	}
	h := n.header()
	return &h, nil
}

// acceptingChainIndex returns the index in d.chain of the chain block that
// merged n, or -1 when none has (n is merged only by the virtual, or not
// at all). The chain is ordered by past, so a binary search finds the
// lowest chain block whose past holds n. The state lock must be held.
func (d *BlockDAG) acceptingChainIndex(n *blockNode) int {
	i := sort.Search(len(d.chain), func(i int) bool { return isAncestor(n, d.chain[i]) })
	if i == len(d.chain) {
		return -1
	}
	return i
}

// BlockInfo returns what the DAG knows about a block.
func (d *BlockDAG) BlockInfo(hash *wire.Hash) (*BlockInfo, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	n, ok := d.index[*hash]
	if !ok {
		return nil, notFound(hash)
	}
	info := &BlockInfo{
		Hash:          n.hash,
		Header:        n.header(),
		Height:        n.height,
		BlueScore:     n.blueScore,
		BlueWork:      new(big.Int).Set(n.blueWork),
		Parents:       n.parentHashes(),
		Children:      hashesOf(n.children),
		MergeSetBlues: hashesOf(n.blues),
		MergeSetReds:  hashesOf(n.reds),
		Size:          int(n.size),
		TxCount:       int(n.txCount),
		Status:        n.status.String(),
	}
	if n.selectedParent != nil {
		info.SelectedParent = n.selectedParent.hash
	}
	info.IsChainBlock = isTreeAncestorOrSelf(n, d.virtual.selectedParent)
	if i := d.acceptingChainIndex(n); i >= 0 {
		acc := d.chain[i]
		info.AcceptingBlock = acc.hash
		info.IsBlue = info.IsChainBlock || acc.isBlue(n)
	} else {
		info.IsBlue = info.IsChainBlock || d.virtual.isBlue(n)
	}
	return info, nil
}

// Tips returns the blocks without children, by blue work descending, ties
// by hash descending (so the first is the virtual's selected parent).
func (d *BlockDAG) Tips() []wire.Hash {
	d.stateLock.RLock()
	tips := append([]*blockNode(nil), d.tips...)
	d.stateLock.RUnlock()
	sort.Slice(tips, func(i, j int) bool { return blockLess(tips[j], tips[i]) })
	return hashesOf(tips)
}

// MaxHeight returns the highest block height.
func (d *BlockDAG) MaxHeight() uint32 {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.maxHeightLocked()
}

// BlockCount returns the number of blocks in the DAG, genesis included.
func (d *BlockDAG) BlockCount() uint64 {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.blockCount
}

// BlockHashesAtHeight returns the blocks at a height, sorted by hash.
func (d *BlockDAG) BlockHashesAtHeight(height uint32) []wire.Hash {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	if int(height) >= len(d.byHeight) {
		return nil
	}
	return hashesOf(d.byHeight[height])
}

// LocateBlocks returns inventory for getblocks: every block with height >=
// startHeight that is in the past of endHash (or of any tip when endHash
// is zero), endHash itself included, sorted by (height, hash), at most max
// entries. An unknown endHash is ErrBlockNotFound.
func (d *BlockDAG) LocateBlocks(startHeight uint32, endHash *wire.Hash, max int) ([]wire.InvVect, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	var end *blockNode
	top := d.maxHeightLocked()
	if endHash != nil && !endHash.IsZero() {
		n, ok := d.index[*endHash]
		if !ok {
			return nil, notFound(endHash)
		}
		end, top = n, n.height
	}
	var out []wire.InvVect
	for h := uint64(startHeight); h <= uint64(top) && len(out) < max; h++ {
		for _, n := range d.byHeight[h] {
			if end != nil && !isAncestorOrSelf(n, end) {
				continue
			}
			out = append(out, wire.InvVect{Type: wire.InvTypeBlock, Hash: n.hash, Height: n.height})
			if len(out) >= max {
				break
			}
		}
	}
	return out, nil
}

// VirtualInfo returns the virtual block's state.
func (d *BlockDAG) VirtualInfo() *VirtualInfo {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	vs := d.virtual
	return &VirtualInfo{
		Parents:        hashesOf(vs.parents),
		SelectedParent: vs.selectedParent.hash,
		BlueScore:      vs.blueScore,
		BlueWork:       new(big.Int).Set(vs.blueWork),
		PastMedianTime: vs.pmt,
		RequiredBits:   vs.requiredBits,
		UTXOCount:      vs.count,
		UTXOCommitment: vs.multiset.hash(),
		Difficulty:     difficultyRatio(vs.requiredBits, d.params),
		ChainHeight:    uint64(len(d.chain)),
	}
}

// TemplateInfo returns what a miner needs to build a block on the current
// virtual. A block naming exactly these parents has the virtual's past, so
// FetchUTXO answers for its transactions.
func (d *BlockDAG) TemplateInfo() *TemplateInfo {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	vs := d.virtual
	return &TemplateInfo{
		Parents:      hashesOf(vs.parents),
		BlueScore:    vs.blueScore,
		Bits:         vs.requiredBits,
		MinTimestamp: vs.pmt + 1,
		Height:       vs.height,
	}
}

// FetchUTXO returns the entry of an unspent output of the virtual's UTXO
// set. A store failure reads as a missing entry and is logged.
func (d *BlockDAG) FetchUTXO(op wire.OutPoint) (*UTXOEntry, bool) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	e, err := d.utxo.fetchShared(op)
	if err != nil {
		log.Warnf("Fetching UTXO %s: %v", op, err)
		return nil, false
	}
	if e == nil {
		return nil, false
	}
	c := *e
	return &c, true
}

// UTXOCommitment returns the commitment of the virtual's UTXO set.
func (d *BlockDAG) UTXOCommitment() wire.Hash {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.virtual.multiset.hash()
}

// UTXOStats returns the number of unspent outputs of the virtual, their
// total value and the set's commitment.
func (d *BlockDAG) UTXOStats() (count uint64, total uint64, commitment wire.Hash) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.virtual.count, d.virtual.total, d.virtual.multiset.hash()
}

// isCurrentSlack is added to ten target block intervals to get the age at
// which the DAG stops being current; it absorbs clock skew and the wait for
// the first blocks on slow networks.
const isCurrentSlack = time.Minute

// IsCurrent reports whether the DAG looks caught up: the timestamp of the
// virtual's selected parent is at most 10*TargetTimePerBlock + 1 minute
// before the current time. A node that has only its genesis block, or whose
// best block is older, is syncing.
func (d *BlockDAG) IsCurrent() bool {
	d.stateLock.RLock()
	sp := d.virtual.selectedParent
	d.stateLock.RUnlock()
	if sp == d.genesis {
		return false
	}
	limit := 10*d.params.TargetTimePerBlock + isCurrentSlack
	return d.timeSource().Sub(time.UnixMilli(sp.timestamp)) <= limit
}

// SelectedChainBlock returns the block at a position of the virtual's
// selected chain, genesis being 0.
func (d *BlockDAG) SelectedChainBlock(index uint64) (wire.Hash, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	if index >= uint64(len(d.chain)) {
		return wire.Hash{}, ruleError(ErrBlockNotFound, fmt.Sprintf(
			"selected chain index %d is beyond the chain's %d blocks", index, len(d.chain)))
	}
	return d.chain[index].hash, nil
}

// Order returns blocks of the virtual's past in GHOSTDAG total order, from
// position start, at most max. The order is the mergesets of the selected
// chain blocks from genesis up, then the virtual's, each mergeset with its
// selected parent first. A start beyond the end returns nothing.
func (d *BlockDAG) Order(start uint64, max int) ([]OrderedBlock, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	if max <= 0 {
		return nil, nil
	}
	// segment j (1 <= j < len(chain)) is chain[j]'s mergeset, starting at
	// chainPrefix[j-1]; segment len(chain) is the virtual's.
	last := len(d.chain) - 1
	j := sort.Search(len(d.chainPrefix), func(i int) bool { return d.chainPrefix[i] > start })
	// chainPrefix[j-1] <= start: the position is in segment j.
	var out []OrderedBlock
	pos := d.chainPrefix[j-1]
	for ; j <= last+1 && len(out) < max; j++ {
		var ms []*blockNode
		var acc *blockNode
		if j <= last {
			acc = d.chain[j]
			ms = acc.orderedMergeSet()
		} else {
			ms = d.virtual.orderedMergeSet()
		}
		for _, n := range ms {
			if pos >= start && len(out) < max {
				ob := OrderedBlock{Hash: n.hash, Index: pos}
				if acc != nil {
					ob.AcceptingBlock = acc.hash
					ob.IsBlue = acc.isBlue(n)
				} else {
					ob.IsBlue = d.virtual.isBlue(n)
				}
				out = append(out, ob)
			}
			pos++
		}
	}
	return out, nil
}
