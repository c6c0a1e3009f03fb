package blockdag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
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
	// Children are sorted by hash.
	Children      []wire.Hash
	MergeSetBlues []wire.Hash
	MergeSetReds  []wire.Hash
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
	// FinalityPoint is the chain block the virtual never leaves
	// (docs/consensus.md, Finality) and FinalityBlueScore its blue score.
	FinalityPoint     wire.Hash
	FinalityBlueScore uint64
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

// HaveBlock reports whether the block is in the DAG (orphans excluded). A
// store failure reads as absent and is logged.
func (d *BlockDAG) HaveBlock(hash *wire.Hash) bool {
	ok, err := d.nodes.has(*hash)
	if err != nil {
		log.Warnf("Looking up block %s: %v", hash, err)
		return false
	}
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
			return nil, d.missingBodyError(hash)
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
	n, err := d.nodes.lookup(*hash)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, notFound(hash)
	}
	h := n.header()
	return &h, nil
}

// acceptingChainBlock returns the chain block that merged n, or ok false
// when none has (n is merged only by the virtual, or not at all). The chain
// is ordered by past, so a binary search over the stored positions finds
// the lowest chain block whose past holds n. The state lock must be held.
func (d *BlockDAG) acceptingChainBlock(n *blockNode) (*blockNode, bool, error) {
	pos, err := d.chain.search(0, d.chain.length, func(e chainEntry) (bool, error) {
		c, err := d.nodes.node(e.hash)
		if err != nil {
			return false, err
		}
		return isAncestor(d.nodes, n, c)
	})
	if err != nil {
		return nil, false, err
	}
	if pos == d.chain.length {
		return nil, false, nil
	}
	h, err := d.chain.hashAt(pos)
	if err != nil {
		return nil, false, err
	}
	acc, err := d.nodes.node(h)
	if err != nil {
		return nil, false, err
	}
	return acc, true, nil
}

// childrenOf returns a block's children, sorted by hash: the blocks of its
// tree children and future covering set that name it as a parent (every
// child is in one of the two). The state lock must be held.
func (d *BlockDAG) childrenOf(n *blockNode) ([]wire.Hash, error) {
	var out []wire.Hash
	for _, list := range [][]wire.Hash{n.reach.treeChildren, n.reach.fcs} {
		for _, h := range list {
			c, err := d.nodes.node(h)
			if err != nil {
				return nil, err
			}
			if slices.Contains(c.parents, n.hash) {
				out = append(out, h)
			}
		}
	}
	slices.SortFunc(out, func(a, b wire.Hash) int { return a.Compare(&b) })
	return out, nil
}

// BlockInfo returns what the DAG knows about a block.
func (d *BlockDAG) BlockInfo(hash *wire.Hash) (*BlockInfo, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	n, err := d.nodes.lookup(*hash)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, notFound(hash)
	}
	children, err := d.childrenOf(n)
	if err != nil {
		return nil, err
	}
	info := &BlockInfo{
		Hash:           n.hash,
		Header:         n.header(),
		Height:         n.height,
		BlueScore:      n.blueScore,
		BlueWork:       new(big.Int).Set(n.blueWork),
		SelectedParent: n.selectedParent,
		Parents:        append([]wire.Hash(nil), n.parents...),
		Children:       children,
		MergeSetBlues:  append([]wire.Hash(nil), n.blues...),
		MergeSetReds:   append([]wire.Hash(nil), n.reds...),
		Size:           int(n.size),
		TxCount:        int(n.txCount),
		Status:         n.status.String(),
	}
	vsp, err := d.nodes.node(d.virtual.selectedParent)
	if err != nil {
		return nil, err
	}
	info.IsChainBlock = isTreeAncestorOrSelf(n, vsp)
	acc, ok, err := d.acceptingChainBlock(n)
	if err != nil {
		return nil, err
	}
	if ok {
		info.AcceptingBlock = acc.hash
		info.IsBlue = info.IsChainBlock || acc.isBlue(n.hash)
	} else {
		info.IsBlue = info.IsChainBlock || d.virtual.isBlue(n.hash)
	}
	return info, nil
}

// Tips returns the blocks without children, by blue work descending, ties
// by hash descending (so the first is usually the virtual's selected parent;
// a tip that breaks the finality rule may come before it). A store failure
// is logged and returns the tips unsorted.
func (d *BlockDAG) Tips() []wire.Hash {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	nodes, err := resolveAll(d.nodes, d.tips)
	if err != nil {
		log.Warnf("Reading the tips: %v", err)
		return append([]wire.Hash(nil), d.tips...)
	}
	sort.Slice(nodes, func(i, j int) bool { return blockLess(nodes[j], nodes[i]) })
	return hashesOf(nodes)
}

// MaxHeight returns the highest block height.
func (d *BlockDAG) MaxHeight() uint32 {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.maxHeight
}

// BlockCount returns the number of blocks in the DAG, genesis included.
func (d *BlockDAG) BlockCount() uint64 {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.blockCount
}

// BlockHashesAtHeight returns the blocks at a height, sorted by hash. A
// store failure is logged and returns what was read.
func (d *BlockDAG) BlockHashesAtHeight(height uint32) []wire.Hash {
	it := d.db.NewIterator(heightPrefix(height))
	defer it.Release()
	var out []wire.Hash
	for it.Next() {
		k := it.Key()
		if len(k) == 1+4+wire.HashSize {
			out = append(out, wire.Hash(k[5:]))
		}
	}
	if err := it.Err(); err != nil {
		log.Warnf("Reading the blocks at height %d: %v", height, err)
	}
	return out
}

// LocateBlocks returns inventory for getblocks: every block with height >=
// startHeight that is in the past of endHash (or of any tip when endHash
// is zero), endHash itself included, sorted by (height, hash), at most max
// entries. An unknown endHash is ErrBlockNotFound.
func (d *BlockDAG) LocateBlocks(startHeight uint32, endHash *wire.Hash, max int) ([]wire.InvVect, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	var end *blockNode
	top := d.maxHeight
	if endHash != nil && !endHash.IsZero() {
		n, err := d.nodes.lookup(*endHash)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return nil, notFound(endHash)
		}
		end, top = n, n.height
	}
	if max <= 0 || startHeight > top {
		return nil, nil
	}
	var limit []byte
	if top < ^uint32(0) {
		limit = heightPrefix(top + 1)
	} else {
		limit = []byte{byte(database.BucketHeights) + 1}
	}
	it := d.db.NewRangeIterator(heightPrefix(startHeight), limit)
	defer it.Release()
	var out []wire.InvVect
	for it.Next() && len(out) < max {
		k := it.Key()
		if len(k) != 1+4+wire.HashSize {
			return nil, ruleError(ErrCorruptState, "height key of the wrong size")
		}
		h := wire.Hash(k[5:])
		height := binary.BigEndian.Uint32(k[1:])
		if end != nil {
			n, err := d.nodes.node(h)
			if err != nil {
				return nil, err
			}
			in, err := isAncestorOrSelf(d.nodes, n, end)
			if err != nil {
				return nil, err
			}
			if !in {
				continue
			}
		}
		out = append(out, wire.InvVect{Type: wire.InvTypeBlock, Hash: h, Height: height})
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// VirtualInfo returns the virtual block's state. A store failure while
// reading the difficulty window is logged and leaves PastMedianTime and
// RequiredBits zero.
func (d *BlockDAG) VirtualInfo() *VirtualInfo {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	vs := d.virtual
	pmt, bits, err := d.timeAndBits(vs)
	if err != nil {
		log.Warnf("Reading the virtual's difficulty window: %v", err)
	}
	var fpHash wire.Hash
	var fpScore uint64
	if fp, err := d.finalityPoint(); err != nil {
		log.Warnf("Reading the finality point: %v", err)
	} else {
		fpHash, fpScore = fp.hash, fp.blueScore
	}
	return &VirtualInfo{
		FinalityPoint:     fpHash,
		FinalityBlueScore: fpScore,
		Parents:           append([]wire.Hash(nil), vs.parents...),
		SelectedParent:    vs.selectedParent,
		BlueScore:         vs.blueScore,
		BlueWork:          new(big.Int).Set(vs.blueWork),
		PastMedianTime:    pmt,
		RequiredBits:      bits,
		UTXOCount:         vs.count,
		UTXOCommitment:    vs.multiset.hash(),
		Difficulty:        difficultyRatio(bits, d.params),
		ChainHeight:       d.chain.length,
	}
}

// TemplateInfo returns what a miner needs to build a block on the current
// virtual. A block naming exactly these parents has the virtual's past, so
// FetchUTXO answers for its transactions. A store failure while reading the
// difficulty window is logged; the template then fails CheckBlockTemplate.
func (d *BlockDAG) TemplateInfo() *TemplateInfo {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	vs := d.virtual
	pmt, bits, err := d.timeAndBits(vs)
	if err != nil {
		log.Warnf("Reading the virtual's difficulty window: %v", err)
	}
	return &TemplateInfo{
		Parents:      append([]wire.Hash(nil), vs.parents...),
		BlueScore:    vs.blueScore,
		Bits:         bits,
		MinTimestamp: pmt + 1,
		Height:       vs.height,
	}
}

// VirtualBlueScore returns the virtual's blue score: the blue score of a
// block built on the current tips.
func (d *BlockDAG) VirtualBlueScore() uint64 {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.virtual.blueScore
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
	sph := d.virtual.selectedParent
	sp, err := d.nodes.node(sph)
	d.stateLock.RUnlock()
	if err != nil {
		log.Warnf("Reading the virtual's selected parent: %v", err)
		return false
	}
	if sph == d.params.GenesisHash {
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
	if index >= d.chain.length {
		return wire.Hash{}, ruleError(ErrBlockNotFound, fmt.Sprintf(
			"selected chain index %d is beyond the chain's %d blocks", index, d.chain.length))
	}
	return d.chain.hashAt(index)
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
	// Segment j (1 <= j < length) is chain block j's mergeset, starting at
	// the prefix of chain block j-1; segment length is the virtual's.
	length := d.chain.length
	j, err := d.chain.search(0, length, func(e chainEntry) (bool, error) { return e.prefix > start, nil })
	if err != nil {
		return nil, err
	}
	if j == 0 {
		return nil, ruleError(ErrCorruptState, "the genesis block's order position is not zero")
	}
	prev, err := d.chain.get(j - 1)
	if err != nil {
		return nil, err
	}
	var out []OrderedBlock
	pos := prev.prefix
	for ; j <= length && len(out) < max; j++ {
		var gd *ghostdagData
		var acc *blockNode
		if j < length {
			h, err := d.chain.hashAt(j)
			if err != nil {
				return nil, err
			}
			if acc, err = d.nodes.node(h); err != nil {
				return nil, err
			}
			gd = &acc.ghostdagData
		} else {
			gd = &d.virtual.ghostdagData
		}
		if pos+uint64(gd.mergeSetSize()) <= start {
			pos += uint64(gd.mergeSetSize())
			continue
		}
		ms, err := orderedMergeSet(d.nodes, gd)
		if err != nil {
			return nil, err
		}
		for _, n := range ms {
			if pos >= start && len(out) < max {
				ob := OrderedBlock{Hash: n.hash, Index: pos, IsBlue: gd.isBlue(n.hash)}
				if acc != nil {
					ob.AcceptingBlock = acc.hash
				}
				out = append(out, ob)
			}
			pos++
		}
	}
	return out, nil
}

// missingBodyError returns the error for a block in the DAG whose body the
// store does not have: ErrBlockPruned when pruning deleted it.
func (d *BlockDAG) missingBodyError(hash *wire.Hash) error {
	lowest := d.prunedBelow
	if d.pruner != nil {
		lowest = d.pruner.lowest.Load()
	}
	if lowest > 0 {
		if n, err := d.nodes.node(*hash); err == nil && n.height < lowest {
			return prunedError(hash, n.height, lowest)
		}
	}
	return notFound(hash)
}
