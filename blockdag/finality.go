package blockdag

import (
	"fmt"

	"github.com/soterdag/soterd/wire"
)

// Finality (docs/consensus.md "Finality"). The finality point is the block
// of the virtual's selected chain with the highest blue score at most the
// virtual's blue score minus Params.FinalityDepth (genesis while the DAG is
// shallower); it only ever moves forward. The virtual's selected parent is
// the tip with the most blue work among the tips whose selected chain holds
// the finality point, so the virtual never leaves a chain block that deep:
// every virtual move undoes at most the chain above the finality point,
// about FinalityDepth blocks, however old the DAG. A heavier tip that forks
// below it is a finality conflict: it is logged and the virtual stays.
//
// The rule is about the virtual only. Block validity does not depend on it:
// a block on a fork below the finality point is validated and stored like
// any other (it may be merged later by blocks every node accepts), so that
// validity stays a function of the block and its past, the same on every
// node whatever the order blocks arrived in.

// finalityPoint returns the node of the current finality point. The state
// lock or the process lock must be held.
func (d *BlockDAG) finalityPoint() (*blockNode, error) {
	h, err := d.chain.hashAt(d.finalityPos)
	if err != nil {
		return nil, err
	}
	return d.nodes.node(h)
}

// advanceFinality returns the finality point's position once update is
// applied to the chain and the virtual has the given blue score: the
// current position, moved forward along the new chain while the next block
// is deep enough. A virtual move never removes the finality point (the
// selected parent's chain holds it), so positions up to it stay.
func (d *BlockDAG) advanceFinality(update *chainUpdate, virtualBlueScore uint64) (uint64, error) {
	depth := d.params.FinalityDepth
	pos := d.finalityPos
	if virtualBlueScore < depth {
		return pos, nil
	}
	limit := virtualBlueScore - depth
	base := d.chain.length - uint64(update.removed)
	length := base + uint64(len(update.added))
	if pos >= base {
		return 0, ruleError(ErrCorruptState, fmt.Sprintf(
			"a virtual move removed the finality point at chain position %d", pos))
	}
	for pos+1 < length {
		var e chainEntry
		if pos+1 >= base {
			e = update.added[pos+1-base]
		} else {
			var err error
			if e, err = d.chain.get(pos + 1); err != nil {
				return 0, err
			}
		}
		if e.blueScore > limit {
			break
		}
		pos++
	}
	return pos, nil
}

// warnFinalityConflict logs, once per tip, a tip with more blue work than
// any tip that keeps the finality point: the network may have split deeper
// than the finality depth, which needs an operator's attention.
func (d *BlockDAG) warnFinalityConflict(tip, fp *blockNode) {
	if d.conflictWarned == tip.hash {
		return
	}
	d.conflictWarned = tip.hash
	log.Warnf("Finality conflict: tip %s (blue score %d) has the most blue work but "+
		"forks below the finality point %s (blue score %d); the virtual stays on "+
		"the finalized chain. If this node is the one that is wrong, resync it "+
		"from peers you trust.", tip.hash, tip.blueScore, fp.hash, fp.blueScore)
}

// FinalityPoint returns the hash and blue score of the current finality
// point.
func (d *BlockDAG) FinalityPoint() (wire.Hash, uint64, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	fp, err := d.finalityPoint()
	if err != nil {
		return wire.Hash{}, 0, err
	}
	return fp.hash, fp.blueScore, nil
}
