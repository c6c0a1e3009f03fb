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
// about FinalityDepth blocks, however old the DAG.
//
// A block whose selected chain does not hold the finality point is kept
// without UTXO validation (pending.go) and is not a tip the virtual can
// choose; one with more blue work than the virtual's selected parent is a
// finality conflict, logged with what to do. Block validity does not depend
// on any of this: it stays a function of the block and its past, the same
// on every node whatever order blocks arrived in; only when stage three
// runs does.

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

// dropTipsBelowFinality returns tips without those whose selected chain
// does not hold the finality point at chain position pos (after update):
// the virtual can neither choose nor merge them any more (their chains miss
// the virtual's merge depth root, which is above the finality point), so
// the tips stay the virtual's candidates, and every node lists the same
// tips whether it validated such a block on arrival or keeps it pending.
// The virtual's own parents always hold it.
func (d *BlockDAG) dropTipsBelowFinality(tips []wire.Hash, update *chainUpdate, pos uint64) ([]wire.Hash, error) {
	var h wire.Hash
	base := d.chain.length - uint64(update.removed)
	if pos >= base {
		h = update.added[pos-base].hash
	} else {
		var err error
		if h, err = d.chain.hashAt(pos); err != nil {
			return nil, err
		}
	}
	fp, err := d.nodes.node(h)
	if err != nil {
		return nil, err
	}
	kept := tips[:0]
	for _, t := range tips {
		tn, err := d.nodes.node(t)
		if err != nil {
			return nil, err
		}
		if isTreeAncestorOrSelf(fp, tn) {
			kept = append(kept, t)
		} else {
			log.Debugf("Tip %s no longer holds the finality point %s: it is no longer a tip "+
				"the virtual can use", t, h)
		}
	}
	return kept, nil
}

// warnFinalityConflict logs a block below finality with more blue work
// than the virtual's selected parent: the network may have split deeper
// than the finality depth, which needs an operator's attention. A fork that
// keeps growing warns again only after conflictWarnInterval.
func (d *BlockDAG) warnFinalityConflict(tip, fp *blockNode) {
	now := d.timeSource()
	if !d.conflictWarned.IsZero() && now.Sub(d.conflictWarned) < conflictWarnInterval {
		return
	}
	d.conflictWarned = now
	log.Warnf("Finality conflict: block %s (blue score %d) has the most blue work but "+
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
