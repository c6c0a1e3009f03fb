package blockdag

import (
	"fmt"
	"time"

	"github.com/soterdag/soterd/wire"
)

// Blocks below finality (docs/consensus.md "Finality"). A block whose
// selected chain does not hold the finality point can never extend the
// virtual's chain, and validating its transactions would mean undoing past
// diffs down to its fork, however deep. It is checked in stages one and two
// (proof of work, difficulty, GHOSTDAG), stored with statusPending and left
// out of the tips, and its stage three (the merge depth rule and its
// transactions against its past) waits until a block that does extend the
// virtual's chain merges it. The bounded merge depth rule makes that wait
// cheap when it ends: such a merge needs the pending block's selected chain
// to hold a block near the finality point. Whether a block is valid does not
// depend on when it is validated, so every node reaches the same verdict on
// every block it validates, whatever order blocks reached it in.

// conflictWarnInterval spaces the finality conflict warnings: a fork that
// grows below the finality point would otherwise warn with every block.
const conflictWarnInterval = 10 * time.Minute

// belowFinality reports whether a block with selected parent sp would be
// stored pending: the finality point is not on its selected chain. The
// process lock must be held.
func (d *BlockDAG) belowFinality(sp *blockNode) (bool, *blockNode, error) {
	fp, err := d.finalityPoint()
	if err != nil {
		return false, nil, err
	}
	return !isTreeAncestorOrSelf(fp, sp), fp, nil
}

// validateMergeSet makes sure every block of a mergeset has passed stage
// three, validating pending ones (and the pending blocks of their pasts)
// now. A block of the mergeset that turns out invalid makes the merging
// block invalid: ErrInvalidParent, as for a parent known to be invalid.
func (d *BlockDAG) validateMergeSet(gd *ghostdagData) error {
	for _, list := range [][]wire.Hash{gd.blues[1:], gd.reds} {
		for _, h := range list {
			m, err := d.nodes.node(h)
			if err != nil {
				return err
			}
			if m.status == statusValid {
				continue
			}
			if err := d.validatePending(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// validatePending runs stage three on a stored block that does not have it
// yet and, first, on the pending blocks of its past, parents before
// children (a depth-first walk with an explicit stack: a pending branch
// can be long). Each verdict is written at once in its own batch: it is a
// fact about the block, whatever becomes of the block that asked.
func (d *BlockDAG) validatePending(target *blockNode) error {
	stack := []*blockNode{target}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		switch x.status {
		case statusValid:
			stack = stack[:len(stack)-1]
			continue
		case statusInvalid:
			return invalidAncestorError(x, nil)
		}
		waiting := false
		for _, h := range x.parents {
			p, err := d.nodes.node(h)
			if err != nil {
				return err
			}
			switch p.status {
			case statusInvalid:
				cause := invalidAncestorError(p, nil)
				if err := d.storeVerdict(x, nil, nil, cause); err != nil {
					return err
				}
				return invalidAncestorError(x, cause)
			case statusPending:
				stack = append(stack, p)
				waiting = true
			}
		}
		if waiting {
			continue
		}
		stack = stack[:len(stack)-1]
		if err := d.validateStored(x); err != nil {
			return err
		}
	}
	return nil
}

// validateStored runs stage three on a pending block whose parents have
// passed it, and stores the verdict.
func (d *BlockDAG) validateStored(x *blockNode) error {
	bd, err := d.blockDataOf(x)
	if err != nil {
		return err
	}
	ruleErr := d.checkMergeDepth(&x.ghostdagData)
	var pd *pastDiff
	if ruleErr == nil {
		var past *utxoView
		past, pd, err = d.pastView(&x.ghostdagData, x.pastKey)
		if err != nil {
			return err
		}
		ruleErr = d.checkBlockTxs(newUTXOView(past), bd.msg, &x.hash, bd.txids, x.blueScore)
	}
	if ruleErr != nil {
		var re RuleError
		if !asRuleError(ruleErr, &re) {
			return ruleErr
		}
		log.Infof("Block %s, kept below the finality point, is invalid: %v", x.hash, ruleErr)
		if err := d.storeVerdict(x, nil, nil, ruleErr); err != nil {
			return err
		}
		return invalidAncestorError(x, ruleErr)
	}
	log.Debugf("Validated block %s, kept below the finality point until now", x.hash)
	return d.storeVerdict(x, pd, bd.txids, nil)
}

// storeVerdict writes a pending block's new status, with its past diff and
// transaction index records when it is valid (cause nil).
func (d *BlockDAG) storeVerdict(x *blockNode, pd *pastDiff, txids []wire.Hash, cause error) error {
	batch := d.db.NewBatch()
	status := statusValid
	if cause != nil {
		status = statusInvalid
	}
	d.stateLock.Lock()
	x.status = status
	d.nodes.markDirty(x)
	d.stateLock.Unlock()
	d.nodes.flushDirty(batch)
	stored := 0
	if pd != nil && !pd.stored {
		enc := encodePastDiff(pd)
		batch.Put(undoKey(pd.key), enc)
		stored = len(enc)
		d.indexDiff(batch, x.height, pd.key, len(enc))
		d.diffCache.put(pd.key, pd)
	}
	if status == statusValid && d.txIndex {
		if _, err := d.indexBlockTxs(batch, &x.hash, txids, nil); err != nil {
			return d.fail(err)
		}
	}
	d.stateLock.Lock()
	defer d.stateLock.Unlock()
	if err := d.writeLocked(batch, "the verdict on block", x.hash); err != nil {
		return err
	}
	if pd != nil {
		pd.stored = true
	}
	if d.pruner != nil {
		d.pruner.noteStored(stored)
	}
	return nil
}

// invalidAncestorError is the error of a block that merges x, invalid for
// cause (nil when x's verdict was stored earlier).
func invalidAncestorError(x *blockNode, cause error) error {
	if cause == nil {
		return ruleError(ErrInvalidParent, fmt.Sprintf("block %s in its past is invalid", x.hash))
	}
	return ruleError(ErrInvalidParent, fmt.Sprintf("block %s in its past is invalid: %v", x.hash, cause))
}

// connectPending adds a block below finality to the DAG: body, node record
// (status pending), height key and the DAG counters, in one batch. The
// virtual, the tips and the UTXO set do not change.
func (d *BlockDAG) connectPending(node *blockNode, block *wire.MsgBlock, txids []wire.Hash,
	fp *blockNode) ([]*Notification, error) {

	if err := d.insertNode(node, block, txids); err != nil {
		return nil, err
	}
	d.clock.lap(StageGHOSTDAG)
	hash := node.hash
	batch, stored := d.startBatch(node, block)
	state := dagCounters{
		blockCount:  d.blockCount + 1,
		maxHeight:   max(d.maxHeight, node.height),
		chainLen:    d.chain.length,
		finalityPos: d.finalityPos,
		tips:        d.tips,
	}
	batch.Put(virtualStateKey, encodeVirtualRecord(d.virtual.record(&state)))

	d.stateLock.Lock()
	if err := d.writeLocked(batch, "block", hash); err != nil {
		d.stateLock.Unlock()
		return nil, err
	}
	d.blockCount = state.blockCount
	d.maxHeight = state.maxHeight
	d.stateLock.Unlock()
	if d.pruner != nil {
		d.pruner.noteStored(stored)
	}
	d.clock.lap(StageStore)
	if d.clock.on {
		d.stages.BlockStages(&d.clock.took)
	}

	log.Debugf("Kept block %s (height %d, blue score %d) below the finality point %s, "+
		"without UTXO validation", hash, node.height, node.blueScore, fp.hash)
	if vsp, err := d.nodes.node(d.virtual.selectedParent); err == nil &&
		blockCmp(node, vsp) > 0 {
		d.warnFinalityConflict(node, fp)
	}
	return []*Notification{{
		Type: NTBlockAccepted,
		Data: &BlockAcceptedData{Block: block, Hash: hash, Height: node.height, BlueScore: node.blueScore},
	}}, nil
}
