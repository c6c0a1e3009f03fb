package blockdag

import (
	"fmt"

	"github.com/soterdag/soterd/wire"
)

// Bounded merge depth (docs/consensus.md "Finality"). The merge depth root
// of a block B is the block of B's selected chain (its selected parent and
// below) with the highest blue score at most blueScore(B) - MergeDepth, or
// genesis while B is shallower. The rule: every block of B's mergeset has
// B's merge depth root on its own selected chain. It is a function of B's
// past, so every node decides it alike. Its purpose is the finality rule's
// cost bound: with MergeDepth below FinalityDepth, a block that could
// extend the virtual's chain can only merge blocks whose selected chains
// hold a chain block that is at most about FinalityDepth + MergeDepth
// below the virtual, so validating what it merges never undoes past diffs
// deeper than that.

// mergeDepthRoot returns the merge depth root of a block whose selected
// parent is sp and whose blue score is blueScore. The process lock must be
// held (it reads the virtual and the selected chain).
//
// It walks down from sp while the walk is off the virtual's selected chain
// (a few blocks for a block near the virtual) and finishes with a binary
// search of the chain, whose newest positions are in memory; a block on a
// side branch costs at most MergeDepth steps, since every step lowers the
// blue score.
func (d *BlockDAG) mergeDepthRoot(sp *blockNode, blueScore uint64) (*blockNode, error) {
	depth := d.params.MergeDepth
	if blueScore <= depth {
		return d.nodes.node(d.params.GenesisHash)
	}
	target := blueScore - depth
	vsp, err := d.nodes.node(d.virtual.selectedParent)
	if err != nil {
		return nil, err
	}
	n := sp
	for n.blueScore > target {
		if isTreeAncestorOrSelf(n, vsp) {
			// n is on the virtual's chain, and so is every block of
			// the chain below it.
			return d.chainBlockAtBlueScore(target)
		}
		if n, err = d.nodes.node(n.selectedParent); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// chainBlockAtBlueScore returns the block of the virtual's selected chain
// with the highest blue score at most target. Blue scores grow strictly
// along the chain, and genesis has 0, so there is one.
func (d *BlockDAG) chainBlockAtBlueScore(target uint64) (*blockNode, error) {
	c := &d.chain
	var lo uint64
	if c.tailStart < c.length {
		first, err := c.get(c.tailStart)
		if err != nil {
			return nil, err
		}
		if first.blueScore <= target {
			lo = c.tailStart
		}
	}
	pos, err := c.search(lo, c.length, func(e chainEntry) (bool, error) {
		return e.blueScore > target, nil
	})
	if err != nil {
		return nil, err
	}
	if pos == 0 {
		return nil, ruleError(ErrCorruptState, "the selected chain starts above blue score 0")
	}
	h, err := c.hashAt(pos - 1)
	if err != nil {
		return nil, err
	}
	return d.nodes.node(h)
}

// checkMergeDepth applies the bounded merge depth rule to a block with
// GHOSTDAG data gd.
func (d *BlockDAG) checkMergeDepth(gd *ghostdagData) error {
	if gd.isGenesis() {
		return nil
	}
	sp, err := d.nodes.node(gd.selectedParent)
	if err != nil {
		return err
	}
	root, err := d.mergeDepthRoot(sp, gd.blueScore)
	if err != nil {
		return err
	}
	for _, list := range [][]wire.Hash{gd.blues[1:], gd.reds} {
		for _, h := range list {
			m, err := d.nodes.node(h)
			if err != nil {
				return err
			}
			if !isTreeAncestorOrSelf(root, m) {
				return mergeDepthError(m, root)
			}
		}
	}
	return nil
}

// mergeDepthOK reports whether a virtual with selected parent sp and the
// other mergeset blocks ms would keep the merge depth rule, so that a block
// template naming its parents is valid. It uses the largest blue score the
// virtual can have (every mergeset block blue), whose merge depth root is
// the same or a descendant on the same chain of the real one: a mergeset
// that passes with it passes with the real one.
func (d *BlockDAG) mergeDepthOK(sp *blockNode, ms []*blockNode) (bool, error) {
	root, err := d.mergeDepthRoot(sp, sp.blueScore+1+uint64(len(ms)))
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if !isTreeAncestorOrSelf(root, m) {
			return false, nil
		}
	}
	return true, nil
}

func mergeDepthError(m, root *blockNode) error {
	return ruleError(ErrMergeDepth, fmt.Sprintf(
		"merges block %s (blue score %d), whose selected chain does not hold the "+
			"merge depth root %s (blue score %d): it is too old to merge",
		m.hash, m.blueScore, root.hash, root.blueScore))
}
