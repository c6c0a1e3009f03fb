package blockdag

import (
	"fmt"
	"slices"

	"github.com/soterdag/soterd/wire"
)

// maxVirtualCandidates bounds how many tips the virtual's parent selection
// examines, so a flood of cheap side tips cannot make every block cost a
// mergeset walk per tip.
const maxVirtualCandidates = 64

// selectVirtualParents picks the virtual's parents from tips: the tip with
// the most blue work, then the others by blue work (descending, ties by
// larger hash) while there are fewer than MaxParents and the mergeset stays
// within its limit. The result is sorted by hash, as a header lists parents.
func (d *BlockDAG) selectVirtualParents(tips []*blockNode) []*blockNode {
	sorted := append([]*blockNode(nil), tips...)
	slices.SortFunc(sorted, func(a, b *blockNode) int { return blockCmp(b, a) })
	if len(sorted) > maxVirtualCandidates {
		sorted = sorted[:maxVirtualCandidates]
	}
	// Usually all of them fit: try that first, with one mergeset walk.
	if n := min(len(sorted), d.params.MaxParents); n > 1 {
		all := sorted[:n:n]
		if _, err := d.gd.mergeSet(all, all[0]); err == nil {
			chosen := append([]*blockNode(nil), all...)
			slices.SortFunc(chosen, func(a, b *blockNode) int { return a.hash.Compare(&b.hash) })
			return chosen
		}
	}
	chosen := []*blockNode{sorted[0]}
	for _, t := range sorted[1:] {
		if len(chosen) >= d.params.MaxParents {
			break
		}
		candidate := append(chosen[:len(chosen):len(chosen)], t)
		if _, err := d.gd.mergeSet(candidate, chosen[0]); err != nil {
			continue
		}
		chosen = candidate
	}
	slices.SortFunc(chosen, func(a, b *blockNode) int { return a.hash.Compare(&b.hash) })
	return chosen
}

// connectBlock adds a validated block to the DAG and moves the virtual, in
// one store batch: block body, index record, past diffs, UTXO changes and
// the virtual record. Tips are not stored: a block without
// children in the index is a tip. pd is the block's past diff and own
// the change its own transactions make to the state of its past.
func (d *BlockDAG) connectBlock(node *blockNode, block *wire.MsgBlock, txids []wire.Hash,
	pd *pastDiff, own *utxoDiff) ([]*Notification, error) {

	d.cacheBlockData(node, block, txids)
	d.diffCache.put(pd.key, pd)

	// The virtual's GHOSTDAG data needs the block in the reachability
	// index. Readers query reachability, so take the lock for the
	// insertion (a reindex rewrites intervals).
	d.stateLock.Lock()
	err := addReachability(node, &d.reachStats)
	d.stateLock.Unlock()
	if err != nil {
		d.fail(err)
		return nil, err
	}

	// The new virtual.
	old := d.virtual
	tips := make([]*blockNode, 0, len(d.tips)+1)
	for _, t := range d.tips {
		isParent := false
		for _, p := range node.parents {
			if p == t {
				isParent = true
				break
			}
		}
		if !isParent {
			tips = append(tips, t)
		}
	}
	tips = append(tips, node)
	vparents := d.selectVirtualParents(tips)
	vkey := pastKeyOf(vparents)

	net := newUTXOView(d.utxo)
	var removed, added []chainStep
	vs := old
	if vkey != old.key {
		vgd, err := d.gd.ghostdag(vparents)
		if err != nil {
			d.fail(err)
			return nil, err
		}
		vs = &virtualState{
			parents:      vparents,
			ghostdagData: *vgd,
			key:          vkey,
			multiset:     old.multiset,
			count:        old.count,
			total:        old.total,
		}
		if vgd.selectedParent == node && node.selectedParent == old.selectedParent &&
			node.pastKey == old.key {
			// The common case: the block extends the virtual's
			// selected chain and names all the virtual's parents,
			// so the state of its past is the virtual's state.
			added = []chainStep{{node, pd}}
		} else {
			net.applyInverse(old.diff.diff)
			removed, added, err = d.moveView(net, old.selectedParent, vgd.selectedParent)
			if err != nil {
				d.fail(err)
				return nil, err
			}
		}
		// The virtual's own diff. When it merges only the new block,
		// that is the block's own change, all of it accepted.
		if vgd.selectedParent == node && len(vgd.blues) == 1 && len(vgd.reds) == 0 {
			bits := make([]byte, (len(block.Transactions)+7)/8)
			for i := range block.Transactions {
				bits[i/8] |= 1 << (i % 8)
			}
			vs.diff = &pastDiff{
				key:      vkey,
				diff:     own,
				accepted: []blockAcceptance{{node: node, txCount: len(block.Transactions), bits: bits}},
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
				d.fail(err)
				return nil, err
			}
		}
		net.applyDiff(vs.diff.diff)
		d.applyCommitment(vs, net.diff)
		d.finishVirtual(vs)
	}

	// The batch.
	hash := node.hash
	batch := d.db.NewBatch()
	batch.Put(blockKey(&hash), block.Serialize())
	batch.Put(indexKey(&hash), encodeIndexRecord(node))
	var newDiffs []*pastDiff
	if !pd.stored {
		batch.Put(undoKey(pd.key), encodePastDiff(pd))
		newDiffs = append(newDiffs, pd)
	}
	for _, s := range added {
		if !s.pd.stored && s.pd != pd {
			batch.Put(undoKey(s.pd.key), encodePastDiff(s.pd))
			newDiffs = append(newDiffs, s.pd)
		}
	}
	if vs != old {
		if !vs.diff.stored && vs.diff != pd {
			batch.Put(undoKey(vs.diff.key), encodePastDiff(vs.diff))
			newDiffs = append(newDiffs, vs.diff)
		}
		d.utxo.commit(net.diff, batch)
		batch.Put(virtualStateKey, encodeVirtualRecord(vs.record()))
	}
	if d.txIndex {
		// The writers are serialized and each writes its batch before
		// the next starts, so the store is the only pending state.
		if _, err := d.indexBlockTxs(batch, &hash, txids, nil); err != nil {
			d.fail(err)
			return nil, err
		}
	}

	d.stateLock.Lock()
	if err := d.db.Write(batch); err != nil {
		d.fatalErr = fmt.Errorf("blockdag: the store failed, restart the node: %w", err)
		d.stateLock.Unlock()
		log.Errorf("Writing block %s: %v", hash, err)
		return nil, err
	}
	for _, x := range newDiffs {
		x.stored = true
	}
	d.linkNode(node)
	if vs != old {
		d.utxo.updateCache(net.diff)
		d.virtual = vs
		n := len(d.chain) - len(removed)
		d.chain = d.chain[:n]
		d.chainPrefix = d.chainPrefix[:n]
		for _, s := range added {
			d.chain = append(d.chain, s.node)
			d.chainPrefix = append(d.chainPrefix, d.chainPrefix[len(d.chainPrefix)-1]+
				uint64(s.node.mergeSetSize()))
		}
	}
	d.stateLock.Unlock()

	log.Debugf("Accepted block %s (height %d, blue score %d)", hash, node.height, node.blueScore)
	notes := []*Notification{{
		Type: NTBlockAccepted,
		Data: &BlockAcceptedData{Block: block, Hash: hash, Height: node.height, BlueScore: node.blueScore},
	}}
	if vs != old {
		data, err := d.virtualChanged(old, vs, removed, added)
		if err != nil {
			// The DAG is consistent; only the notification's
			// transaction lists could not be built.
			log.Errorf("Building the virtual change notification: %v", err)
		}
		notes = append(notes, &Notification{Type: NTVirtualChanged, Data: data})
	}
	return notes, nil
}

// fail records an internal failure after which the in-memory DAG may no
// longer match the store; writers refuse to continue.
func (d *BlockDAG) fail(err error) {
	d.stateLock.Lock()
	if d.fatalErr == nil {
		d.fatalErr = fmt.Errorf("blockdag: internal failure, restart the node: %w", err)
	}
	d.stateLock.Unlock()
	log.Errorf("DAG state failure: %v", err)
}

// virtualChanged builds the notification of a virtual move from old to vs.
func (d *BlockDAG) virtualChanged(old, vs *virtualState, removed, added []chainStep) (*VirtualChangedData, error) {
	data := &VirtualChangedData{
		VirtualParents:   hashesOf(vs.parents),
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
				bd, err := d.blockDataOf(a.node)
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
