package blockdag

import (
	"errors"
	"fmt"
	"slices"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// maxVirtualCandidates bounds how many tips the virtual's parent selection
// examines, so a flood of cheap side tips cannot make every block cost a
// mergeset walk per tip.
const maxVirtualCandidates = 64

// selectVirtualParents picks the virtual's parents from tips: first the
// tip with the most blue work among those whose selected chain holds the
// finality point (the finality rule, finality.go), then the others that
// have less blue work than it (so it stays the selected parent), by blue
// work descending, while there are fewer than MaxParents and the mergeset
// stays within its size limit and the merge depth rule (mergedepth.go), so
// that a template naming them is valid. The result is sorted by hash, as a
// header lists parents. fp is the finality point.
func (d *BlockDAG) selectVirtualParents(tips []*blockNode, fp *blockNode) ([]*blockNode, error) {
	sorted := append([]*blockNode(nil), tips...)
	slices.SortFunc(sorted, func(a, b *blockNode) int { return blockCmp(b, a) })
	first := -1
	for i, t := range sorted {
		if isTreeAncestorOrSelf(fp, t) {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, ruleError(ErrCorruptState, "no tip has the finality point on its selected chain")
	}
	sorted = sorted[first:]
	if len(sorted) > maxVirtualCandidates {
		sorted = sorted[:maxVirtualCandidates]
	}
	byHash := func(a, b *blockNode) int { return a.hash.Compare(&b.hash) }
	// fits reports whether parents (selected parent first) keep the
	// mergeset limits.
	fits := func(parents []*blockNode) (bool, error) {
		ms, err := d.gd.mergeSet(parents, parents[0])
		if err != nil {
			if errors.Is(err, ErrMergeSetTooBig) {
				return false, nil
			}
			return false, err
		}
		return d.mergeDepthOK(parents[0], ms)
	}
	// Usually all of them fit: try that first, with one mergeset walk.
	if n := min(len(sorted), d.params.MaxParents); n > 1 {
		all := sorted[:n:n]
		ok, err := fits(all)
		if err != nil {
			return nil, err
		}
		if ok {
			chosen := append([]*blockNode(nil), all...)
			slices.SortFunc(chosen, byHash)
			return chosen, nil
		}
	}
	chosen := []*blockNode{sorted[0]}
	for _, t := range sorted[1:] {
		if len(chosen) >= d.params.MaxParents {
			break
		}
		candidate := append(chosen[:len(chosen):len(chosen)], t)
		ok, err := fits(candidate)
		if err != nil {
			return nil, err
		}
		if ok {
			chosen = candidate
		}
	}
	slices.SortFunc(chosen, byHash)
	return chosen, nil
}

// connectBlock adds a validated block to the DAG and moves the virtual, in
// one store batch: block body, node records (the new block's and those its
// insertion changed), height key, past diffs, UTXO changes, the selected
// chain, and the virtual and DAG state records (the latter with the
// tips). pd is the block's past diff and own the change its own
// transactions make to the state of its past.
func (d *BlockDAG) connectBlock(node *blockNode, block *wire.MsgBlock, txids []wire.Hash,
	pd *pastDiff, own *utxoDiff) ([]*Notification, error) {

	d.diffCache.put(pd.key, pd)
	// The virtual's GHOSTDAG data needs the block in the reachability
	// index.
	if err := d.insertNode(node, block, txids); err != nil {
		return nil, err
	}

	// The new virtual.
	old := d.virtual
	// The tips are the valid blocks with no valid block in their future.
	// A tip in the block's past is usually a parent; it can be further
	// down when the blocks between were stored pending (pending.go).
	tips := make([]wire.Hash, 0, len(d.tips)+1)
	for _, t := range d.tips {
		if slices.Contains(node.parents, t) {
			continue
		}
		tn, err := d.nodes.node(t)
		if err != nil {
			return nil, d.fail(err)
		}
		inPast, err := isAncestor(d.nodes, tn, node)
		if err != nil {
			return nil, d.fail(err)
		}
		if !inPast {
			tips = append(tips, t)
		}
	}
	tips = append(tips, node.hash)
	tipNodes, err := resolveAll(d.nodes, tips)
	if err != nil {
		return nil, d.fail(err)
	}
	fp, err := d.finalityPoint()
	if err != nil {
		return nil, d.fail(err)
	}
	vparentNodes, err := d.selectVirtualParents(tipNodes, fp)
	if err != nil {
		return nil, d.fail(err)
	}
	vparents := hashesOf(vparentNodes)
	vkey := pastKeyOf(vparents)
	d.clock.lap(StageGHOSTDAG)

	net := newUTXOView(d.utxo)
	var removed, added []chainStep
	vs := old
	if vkey != old.key {
		vgd, err := d.gd.ghostdag(vparentNodes)
		if err != nil {
			return nil, d.fail(err)
		}
		d.clock.lap(StageGHOSTDAG)
		vs = &virtualState{
			parents:      vparents,
			ghostdagData: *vgd,
			key:          vkey,
			multiset:     old.multiset,
			count:        old.count,
			total:        old.total,
		}
		if vgd.selectedParent == node.hash && node.selectedParent == old.selectedParent &&
			node.pastKey == old.key {
			// The common case: the block extends the virtual's
			// selected chain and names all the virtual's parents,
			// so the state of its past is the virtual's state.
			added = []chainStep{{node, pd}}
		} else {
			net.applyInverse(old.diff.diff)
			from, err := d.nodes.node(old.selectedParent)
			if err != nil {
				return nil, d.fail(err)
			}
			to, err := d.nodes.node(vgd.selectedParent)
			if err != nil {
				return nil, d.fail(err)
			}
			removed, added, err = d.moveView(net, from, to)
			if err != nil {
				return nil, d.fail(err)
			}
		}
		// The virtual's own diff. When it merges only the new block,
		// that is the block's own change, all of it accepted.
		if vgd.selectedParent == node.hash && len(vgd.blues) == 1 && len(vgd.reds) == 0 {
			bits := make([]byte, (len(block.Transactions)+7)/8)
			for i := range block.Transactions {
				bits[i/8] |= 1 << (i % 8)
			}
			vs.diff = &pastDiff{
				key:      vkey,
				diff:     own,
				accepted: []blockAcceptance{{hash: node.hash, txCount: len(block.Transactions), bits: bits}},
			}
			d.diffCache.put(vkey, vs.diff)
		} else {
			// A new parent set is rarely in the store, and a diff is
			// a function of the parent set, so computing it is both
			// correct and cheaper than a lookup that misses.
			var ok bool
			if vs.diff, ok = d.diffCache.get(vkey); !ok {
				vs.diff, err = d.computePastDiff(net, vgd, vkey)
			}
			if err != nil {
				return nil, d.fail(err)
			}
		}
		net.applyDiff(vs.diff.diff)
		d.applyCommitment(vs, net.diff)
		if err := d.finishVirtual(vs); err != nil {
			return nil, d.fail(err)
		}
	}

	// The selected chain's new end and the finality point on it.
	update, err := d.chainUpdateFor(removed, added)
	if err != nil {
		return nil, d.fail(err)
	}
	newFinality, err := d.advanceFinality(update, vs.blueScore)
	if err != nil {
		return nil, d.fail(err)
	}
	if newFinality != d.finalityPos {
		if tips, err = d.dropTipsBelowFinality(tips, update, newFinality); err != nil {
			return nil, d.fail(err)
		}
	}

	d.clock.lap(StageUTXO)

	// The batch.
	hash := node.hash
	batch, stored := d.startBatch(node, block)
	var newDiffs []*pastDiff
	putDiff := func(x *pastDiff, height uint32) {
		enc := encodePastDiff(x)
		batch.Put(undoKey(x.key), enc)
		stored += len(enc)
		d.indexDiff(batch, height, x.key, len(enc))
		newDiffs = append(newDiffs, x)
	}
	if !pd.stored {
		putDiff(pd, node.height)
	}
	for _, s := range added {
		if !s.pd.stored && s.pd != pd {
			putDiff(s.pd, s.node.height)
		}
	}
	if vs != old {
		if !vs.diff.stored && vs.diff != pd {
			putDiff(vs.diff, vs.height)
		}
		d.utxo.commit(net.diff, batch)
	}
	d.chain.write(update, batch)
	state := dagCounters{
		blockCount:  d.blockCount + 1,
		maxHeight:   max(d.maxHeight, node.height),
		chainLen:    d.chain.newLength(update),
		finalityPos: newFinality,
		tips:        tips,
	}
	batch.Put(virtualStateKey, encodeVirtualRecord(vs.record(&state)))
	writeCommitment := d.sinceCommitment+1 >= d.commitmentEvery
	if writeCommitment {
		batch.Put(commitmentKey, vs.commitmentRecord())
	}
	if d.txIndex {
		// The writers are serialized and each writes its batch before
		// the next starts, so the store is the only pending state.
		if _, err := d.indexBlockTxs(batch, &hash, txids, nil); err != nil {
			return nil, d.fail(err)
		}
	}

	d.stateLock.Lock()
	if err := d.writeLocked(batch, "block", hash); err != nil {
		d.stateLock.Unlock()
		return nil, err
	}
	if writeCommitment {
		d.sinceCommitment = 0
	} else {
		d.sinceCommitment++
	}
	if d.pruner != nil {
		d.pruner.noteStored(stored)
	}
	for _, x := range newDiffs {
		x.stored = true
	}
	d.tips = tips
	d.blockCount = state.blockCount
	d.maxHeight = state.maxHeight
	d.chain.apply(update)
	d.finalityPos = newFinality
	if vs != old {
		d.utxo.updateCache(net.diff)
		d.virtual = vs
	}
	d.stateLock.Unlock()
	if writeCommitment {
		d.updatePruneLimit()
	}

	d.clock.lap(StageStore)
	if d.clock.on {
		d.stages.BlockStages(&d.clock.took)
	}

	log.Debugf("Accepted block %s (height %d, blue score %d)", hash, node.height, node.blueScore)
	notes := []*Notification{{
		Type: NTBlockAccepted,
		Data: &BlockAcceptedData{Block: block, Hash: hash, Height: node.height, BlueScore: node.blueScore},
	}}
	if vs != old {
		data, err := d.virtualChanged(old, vs, removed, added)
		if d.utxo.addrIndex {
			data.UTXOsAdded, data.UTXOsRemoved = utxoChangesOf(net.diff)
		}
		if err != nil {
			// The DAG is consistent; only the notification's
			// transaction lists could not be built.
			log.Errorf("Building the virtual change notification: %v", err)
		}
		notes = append(notes, &Notification{Type: NTVirtualChanged, Data: data})
	}
	return notes, nil
}

// chainUpdateFor turns the chain blocks a virtual move removed and added
// into the change of the stored selected chain.
func (d *BlockDAG) chainUpdateFor(removed, added []chainStep) (*chainUpdate, error) {
	u := &chainUpdate{removed: len(removed)}
	if len(added) == 0 {
		return u, nil
	}
	base, err := d.chain.get(d.chain.length - uint64(len(removed)) - 1)
	if err != nil {
		return nil, err
	}
	prefix := base.prefix
	u.added = make([]chainEntry, len(added))
	for i, s := range added {
		prefix += uint64(s.node.mergeSetSize())
		u.added[i] = chainEntry{hash: s.node.hash, prefix: prefix, blueScore: s.node.blueScore}
	}
	return u, nil
}

// insertNode adds a new block's node to the node store and the
// reachability index, and its body to the block cache. Readers query
// reachability, so the insertion holds the state lock (a reindex rewrites
// intervals).
func (d *BlockDAG) insertNode(node *blockNode, block *wire.MsgBlock, txids []wire.Hash) error {
	d.cacheBlockData(node, block, txids)
	d.stateLock.Lock()
	d.nodes.addFresh(node)
	err := addReachability(d.nodes, node, &d.reachStats)
	d.stateLock.Unlock()
	if err != nil {
		return d.fail(err)
	}
	return nil
}

// startBatch resets the DAG's batch (reused, so its buffer stops growing
// after the first blocks) and puts what every new block writes: its body,
// the dirty node records (its own and those its insertion changed) and its
// height key. It returns the batch and the body bytes it stored: a pruned
// node does not keep the body of a block below its lowest retained height,
// which can never be validated (prune.go).
func (d *BlockDAG) startBatch(node *blockNode, block *wire.MsgBlock) (*database.Batch, int) {
	batch := d.batch
	batch.Reset()
	stored := 0
	if d.pruner == nil || node.height >= d.pruner.lowest.Load() {
		body := block.Serialize()
		batch.Put(blockKey(&node.hash), body)
		stored = len(body)
	}
	d.nodes.flushDirty(batch)
	batch.Put(heightKey(node.height, &node.hash), d.heightValue(node, stored))
	return batch, stored
}

// writeLocked writes a batch that the in-memory state is about to follow,
// with the state lock held: on success the dirty nodes are clean, on
// failure they are dropped (the memory no longer matches the store) and
// writers stop. what and hash name the batch for the debug log; the
// store's failure is its owner's to report, once (database.DB.Failed).
func (d *BlockDAG) writeLocked(batch *database.Batch, what string, hash wire.Hash) error {
	// Asynchronously: the store's writer inserts the batch into LevelDB
	// while the next block is validated, and reads see it queued
	// (database.DB.WriteAsync). A crash loses at most the last few
	// blocks, whole, which peers send again.
	if err := d.db.WriteAsync(batch); err != nil {
		d.fatalErr = fmt.Errorf("blockdag: the store failed, restart the node: %w", err)
		d.nodes.dropDirty()
		log.Debugf("Writing %s %s: %v", what, hash, err)
		return err
	}
	d.nodes.clearDirty()
	return nil
}

// fail records an internal failure after which the in-memory DAG may no
// longer match the store; writers refuse to continue. It returns err.
func (d *BlockDAG) fail(err error) error {
	d.stateLock.Lock()
	if d.fatalErr == nil {
		d.fatalErr = fmt.Errorf("blockdag: internal failure, restart the node: %w", err)
	}
	d.nodes.dropDirty()
	d.stateLock.Unlock()
	log.Errorf("DAG state failure: %v", err)
	return err
}

// virtualChanged builds the notification of a virtual move from old to vs.
func (d *BlockDAG) virtualChanged(old, vs *virtualState, removed, added []chainStep) (*VirtualChangedData, error) {
	data := &VirtualChangedData{
		VirtualParents:   append([]wire.Hash(nil), vs.parents...),
		VirtualBlueScore: vs.blueScore,
		VirtualBlueWork:  vs.blueWork,
	}
	for _, s := range removed {
		data.RemovedChainBlocks = append(data.RemovedChainBlocks, s.node.hash)
	}
	for _, s := range added {
		data.AddedChainBlocks = append(data.AddedChainBlocks, s.node.hash)
	}

	// Acceptance before and after: the diffs of the chain blocks that
	// left and joined, and the virtual's own. Identical diffs on both
	// sides cancel out.
	before := []*pastDiff{old.diff}
	for _, s := range removed {
		before = append(before, s.pd)
	}
	after := []*pastDiff{vs.diff}
	for _, s := range added {
		after = append(after, s.pd)
	}
	for i, b := range before {
		for j, a := range after {
			if a != nil && b != nil && a.key == b.key {
				before[i], after[j] = nil, nil
				break
			}
		}
	}
	// A txid is accepted at most once on each side: a second copy's
	// inputs, or a coinbase's outputs, are taken by the first.
	type acceptedTx struct {
		tx       *wire.MsgTx
		id       wire.Hash
		coinbase bool
	}
	collect := func(diffs []*pastDiff) ([]acceptedTx, error) {
		var out []acceptedTx
		for _, pd := range diffs {
			if pd == nil {
				continue
			}
			for _, a := range pd.accepted {
				n, err := d.nodes.node(a.hash)
				if err != nil {
					return nil, err
				}
				bd, err := d.blockDataOf(n)
				if err != nil {
					return nil, err
				}
				for i, tx := range bd.msg.Transactions {
					if i < a.txCount && a.isAccepted(i) {
						out = append(out, acceptedTx{tx, bd.txids[i], i == 0})
					}
				}
			}
		}
		return out, nil
	}
	beforeTxs, err := collect(before)
	if err != nil {
		return data, err
	}
	afterTxs, err := collect(after)
	if err != nil {
		return data, err
	}
	if len(beforeTxs) == 0 {
		// The common case: the virtual only gained.
		for _, t := range afterTxs {
			data.AcceptedTxs = append(data.AcceptedTxs, t.tx)
		}
		return data, nil
	}
	beforeSet := make(map[wire.Hash]struct{}, len(beforeTxs))
	for _, t := range beforeTxs {
		beforeSet[t.id] = struct{}{}
	}
	afterSet := make(map[wire.Hash]struct{}, len(afterTxs))
	for _, t := range afterTxs {
		afterSet[t.id] = struct{}{}
		if _, ok := beforeSet[t.id]; !ok {
			data.AcceptedTxs = append(data.AcceptedTxs, t.tx)
		}
	}
	for _, t := range beforeTxs {
		if _, ok := afterSet[t.id]; !ok && !t.coinbase {
			data.UnacceptedTxs = append(data.UnacceptedTxs, t.tx)
		}
	}
	return data, nil
}
