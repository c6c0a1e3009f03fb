package blockdag

import (
	"errors"
	"fmt"
	"time"

	"github.com/soterdag/soterd/wire"
)

// errClosed is returned by the writers after Close.
var errClosed = errors.New("blockdag: the DAG is closed")

// ProcessBlock validates block and, when it is valid, adds it to the DAG and
// moves the virtual; it then processes the orphans the block unblocked,
// iteratively. It returns (true, nil) for an orphan, which is kept in the
// orphan pool; (false, nil) when the block was accepted; ErrDuplicateBlock
// for a block already in the DAG or the pool; ErrKnownInvalid for a block
// that failed before; and a RuleError for a block that breaks a rule.
// Invalid blocks are never stored; they are remembered so that their
// descendants fail fast with ErrInvalidParent, except when the failure could
// be a relay's alteration of a valid block with the same hash (see
// isMutationError). Errors that are not RuleErrors come from the store.
//
// ProcessBlock is safe for concurrent callers; blocks are processed one at a
// time. Notifications are delivered after the DAG's locks are released and
// before ProcessBlock returns.
func (d *BlockDAG) ProcessBlock(block *wire.MsgBlock, flags BehaviorFlags) (bool, error) {
	if block == nil {
		return false, errors.New("blockdag: ProcessBlock called with a nil block")
	}
	hash := block.BlockHash()
	// Without the lock, only what memory answers: a block evicted from
	// the node cache is found by the store lookup in processBlockLocked.
	if err := d.checkKnown(&hash, false); err != nil {
		return false, err
	}
	return d.process(d.precheck(block, hash, flags))
}

// PrecheckedBlock is a block and the outcome of its context-free checks
// (PrecheckBlock), to be handed to ProcessPrecheckedBlock. One made
// otherwise holds only its Block, and is checked when processed.
type PrecheckedBlock struct {
	Block *wire.MsgBlock

	checked bool
	hash    wire.Hash
	flags   BehaviorFlags
	txids   []wire.Hash
	err     error
	took    time.Duration
}

// PrecheckBlock runs the checks of a block that need no DAG state (proof
// of work, size, merkle root, transaction sanity) with no lock held, and
// keeps their outcome for ProcessPrecheckedBlock. The sync manager calls
// it on the goroutine of the peer that delivered the block, so that these
// checks, a double SHA-256 of every transaction, run beside the DAG's
// writer instead of ahead of it. It is safe for concurrent use.
func (d *BlockDAG) PrecheckBlock(block *wire.MsgBlock) *PrecheckedBlock {
	if block == nil {
		return &PrecheckedBlock{}
	}
	hash := block.BlockHash()
	if d.checkKnown(&hash, false) != nil {
		// Known already: ProcessPrecheckedBlock says so without the
		// checks, as ProcessBlock would.
		return &PrecheckedBlock{Block: block, hash: hash}
	}
	return d.precheck(block, hash, BFNone)
}

// ProcessPrecheckedBlock is ProcessBlock (with BFNone) of a block whose
// context-free checks PrecheckBlock ran: the outcome is the same, a
// failed check included (the block is then known invalid).
func (d *BlockDAG) ProcessPrecheckedBlock(pb *PrecheckedBlock) (bool, error) {
	if pb == nil || pb.Block == nil {
		return false, errors.New("blockdag: ProcessPrecheckedBlock called without a block")
	}
	if !pb.checked {
		return d.ProcessBlock(pb.Block, BFNone)
	}
	if err := d.checkKnown(&pb.hash, false); err != nil {
		return false, err
	}
	return d.process(pb)
}

// Hash returns the block's hash, computed once by PrecheckBlock.
func (pb *PrecheckedBlock) Hash() wire.Hash {
	if pb.hash.IsZero() {
		return pb.Block.BlockHash()
	}
	return pb.hash
}

// precheck runs the context-free checks of a block.
func (d *BlockDAG) precheck(block *wire.MsgBlock, hash wire.Hash, flags BehaviorFlags) *PrecheckedBlock {
	start := time.Now()
	txids, err := checkBlockSanity(block, &hash, d.params, flags, d.timeSource())
	return &PrecheckedBlock{Block: block, checked: true, hash: hash, flags: flags,
		txids: txids, err: err, took: time.Since(start)}
}

// process validates and stores a prechecked block under the process lock.
func (d *BlockDAG) process(pb *PrecheckedBlock) (bool, error) {
	if pb.err != nil {
		d.markInvalid(pb.hash, pb.err)
		return false, pb.err
	}
	hash := pb.hash
	d.processLock.Lock()
	if err := d.writable(); err != nil {
		d.processLock.Unlock()
		return false, err
	}
	if err := d.checkKnown(&hash, false); err != nil {
		d.processLock.Unlock()
		return false, err
	}
	d.nodes.beginWrite()
	isOrphan, notes, err := d.processBlockLocked(pb.Block, hash, pb.txids, pb.flags, pb.took)
	if err == nil && !isOrphan {
		notes = append(notes, d.processOrphans(hash)...)
	}
	d.nodes.endWrite()
	d.notifyLock.Lock()
	d.processLock.Unlock()
	d.sendNotifications(notes)
	d.notifyLock.Unlock()
	return isOrphan, err
}

// writable returns the error that stops writers: a closed DAG or an
// earlier store failure.
func (d *BlockDAG) writable() error {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	if d.closed {
		return errClosed
	}
	return d.fatalErr
}

// checkKnown returns ErrDuplicateBlock or ErrKnownInvalid for blocks seen
// before. With store false it answers from memory only (the node cache,
// the orphan pool, the invalid set) and misses blocks evicted from the
// node cache.
func (d *BlockDAG) checkKnown(hash *wire.Hash, store bool) error {
	have := d.nodes.cached(*hash)
	if !have && store {
		have = d.HaveBlock(hash)
	}
	if have {
		if d.storedInvalid(hash) {
			return ruleError(ErrKnownInvalid, fmt.Sprintf("block %s is known to be invalid", hash))
		}
		return ruleError(ErrDuplicateBlock, fmt.Sprintf("block %s is already in the DAG", hash))
	}
	if d.orphans.has(hash) {
		return ruleError(ErrDuplicateBlock, fmt.Sprintf("block %s is already an orphan", hash))
	}
	if d.invalid.has(hash) {
		return ruleError(ErrKnownInvalid, fmt.Sprintf("block %s is known to be invalid", hash))
	}
	return nil
}

// storedInvalid reports whether hash is a block stored below the finality
// point and found invalid when something merged it (pending.go).
func (d *BlockDAG) storedInvalid(hash *wire.Hash) bool {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	n, err := d.nodes.lookup(*hash)
	return err == nil && n != nil && n.status == statusInvalid
}

// markInvalid remembers hash as invalid when err is the block's own fault,
// and drops the orphans that descend from it, which can never be valid.
func (d *BlockDAG) markInvalid(hash wire.Hash, err error) {
	if isMutationError(err) {
		return
	}
	d.invalid.add(hash)
	queue := []wire.Hash{hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		for _, o := range d.orphans.takeChildren(&h) {
			log.Debugf("Dropping orphan %s: it descends from invalid block %s", o.hash, hash)
			d.invalid.add(o.hash)
			queue = append(queue, o.hash)
		}
	}
}

// processBlockLocked handles one block whose context-free checks passed:
// an orphan goes to the pool, otherwise the block is validated against the
// DAG and accepted. It must be called with the process lock held.
func (d *BlockDAG) processBlockLocked(block *wire.MsgBlock, hash wire.Hash, txids []wire.Hash,
	flags BehaviorFlags, sanity time.Duration) (bool, []*Notification, error) {

	d.clock.start(d.stages != nil, sanity)
	parents, missing, err := d.lookupParents(&block.Header)
	if err != nil {
		d.markInvalid(hash, err)
		return false, nil, err
	}
	if !missing {
		// A block is in the DAG only if its parents are, and stored
		// blocks are at most maxHeight high: a block above it is new
		// without a store lookup (every block of an initial download).
		height := uint32(0)
		for _, p := range parents {
			height = max(height, p.height+1)
		}
		if height <= d.maxHeight {
			if err := d.checkKnown(&hash, true); err != nil {
				return false, nil, err
			}
		}
	}
	if missing {
		size := block.SerializeSize()
		if err := d.orphans.add(block, hash, size, d.timeSource()); err != nil {
			return true, nil, err
		}
		log.Debugf("Keeping orphan block %s", hash)
		return true, nil, nil
	}
	notes, err := d.maybeAcceptBlock(block, hash, txids, parents, flags)
	if err != nil {
		d.markInvalid(hash, err)
		log.Debugf("Rejected block %s: %v", hash, err)
		return false, nil, err
	}
	return false, notes, nil
}

// lookupParents resolves the header's parents. missing is set when a
// parent is not in the DAG; a parent known to be invalid is an
// ErrInvalidParent.
func (d *BlockDAG) lookupParents(header *wire.BlockHeader) ([]*blockNode, bool, error) {
	parents := make([]*blockNode, len(header.Parents))
	missing := false
	for i := range header.Parents {
		n, err := d.nodes.lookup(header.Parents[i])
		if err != nil {
			return nil, false, err
		}
		parents[i] = n
	}
	for i := range header.Parents {
		if parents[i] != nil {
			if parents[i].status == statusInvalid {
				return nil, false, ruleError(ErrInvalidParent, fmt.Sprintf(
					"parent %s is known to be invalid", header.Parents[i]))
			}
			continue
		}
		if d.invalid.has(&header.Parents[i]) {
			return nil, false, ruleError(ErrInvalidParent, fmt.Sprintf(
				"parent %s is known to be invalid", header.Parents[i]))
		}
		missing = true
	}
	return parents, missing, nil
}

// processOrphans accepts, breadth first and without recursion, the orphans
// that the block hash unblocked, and those that they unblock in turn.
func (d *BlockDAG) processOrphans(hash wire.Hash) []*Notification {
	var notes []*Notification
	queue := []wire.Hash{hash}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, o := range d.orphans.takeChildren(&parent) {
			if d.HaveBlock(&o.hash) {
				continue
			}
			sanityStart := time.Now()
			txids, err := checkBlockSanity(o.block, &o.hash, d.params, BFNone, d.timeSource())
			if err != nil {
				d.markInvalid(o.hash, err)
				log.Debugf("Rejected orphan block %s: %v", o.hash, err)
				continue
			}
			isOrphan, ns, err := d.processBlockLocked(o.block, o.hash, txids, BFNone, time.Since(sanityStart))
			if err != nil {
				if !isOrphan {
					log.Debugf("Rejected orphan block %s: %v", o.hash, err)
				}
				continue
			}
			if isOrphan {
				// Other parents are still missing; it went back
				// to the pool.
				continue
			}
			notes = append(notes, ns...)
			queue = append(queue, o.hash)
		}
	}
	return notes
}

// CheckBlockTemplate runs every validation stage except proof of work on a
// block built on the current DAG, without storing it. All its parents must
// be in the DAG, and its selected chain must hold the finality point (a
// template below it could never extend the virtual's chain).
func (d *BlockDAG) CheckBlockTemplate(block *wire.MsgBlock) error {
	if block == nil {
		return errors.New("blockdag: CheckBlockTemplate called with a nil block")
	}
	hash := block.BlockHash()
	txids, err := checkBlockSanity(block, &hash, d.params, BFNoPoWCheck, d.timeSource())
	if err != nil {
		return err
	}
	d.processLock.Lock()
	defer d.processLock.Unlock()
	if err := d.writable(); err != nil {
		return err
	}
	d.nodes.beginWrite()
	defer d.nodes.endWrite()
	parents, missing, err := d.lookupParents(&block.Header)
	if err != nil {
		return err
	}
	if missing {
		return ruleError(ErrBlockNotFound, "block template names a parent that is not in the DAG")
	}
	v, err := d.validateInContext(block, hash, txids, parents)
	if err == nil && v.pending {
		return ruleError(ErrBelowFinality, fmt.Sprintf(
			"block template forks below the finality point %s", v.finality.hash))
	}
	return err
}

// contextResult is what validateInContext learned about a block.
type contextResult struct {
	gd *ghostdagData

	// pending is set for a block whose selected chain does not hold the
	// finality point (pending.go): stage three did not run, and the
	// fields below are unset. finality is the finality point.
	pending  bool
	finality *blockNode

	// pd is the block's past diff, own the view holding the UTXO state
	// after the block's own transactions (its diff is the block's own
	// change), and key the block's past key.
	pd  *pastDiff
	own *utxoView
	key wire.Hash
}

// validateInContext runs stages two and three; stage three only when the
// block's selected chain holds the finality point.
func (d *BlockDAG) validateInContext(block *wire.MsgBlock, hash wire.Hash, txids []wire.Hash,
	parents []*blockNode) (*contextResult, error) {

	if err := checkParentsIndependent(d.nodes, parents); err != nil {
		return nil, err
	}
	gd, err := d.gd.ghostdag(parents)
	if err != nil {
		return nil, err
	}
	d.clock.lap(StageGHOSTDAG)
	if err := checkBlockContext(d.nodes, block, gd, d.params); err != nil {
		return nil, err
	}
	sp, err := d.nodes.node(gd.selectedParent)
	if err != nil {
		return nil, err
	}
	below, fp, err := d.belowFinality(sp)
	if err != nil {
		return nil, err
	}
	r := &contextResult{gd: gd, pending: below, finality: fp}
	if below {
		d.clock.lap(StageValidation)
		return r, nil
	}
	if err := d.checkMergeDepth(gd); err != nil {
		return nil, err
	}
	d.clock.lap(StageValidation)
	if err := d.validateMergeSet(gd); err != nil {
		return nil, err
	}
	r.key = pastKeyOf(block.Header.Parents)
	past, pd, err := d.pastView(gd, r.key)
	if err != nil {
		return nil, err
	}
	own := newUTXOView(past)
	if err := d.checkBlockTxs(own, block, &hash, txids, gd.blueScore); err != nil {
		return nil, err
	}
	r.pd, r.own = pd, own
	d.clock.lap(StageUTXO)
	return r, nil
}

// maybeAcceptBlock validates a block whose parents are all in the DAG and,
// when it is valid, connects it.
func (d *BlockDAG) maybeAcceptBlock(block *wire.MsgBlock, hash wire.Hash, txids []wire.Hash,
	parents []*blockNode, flags BehaviorFlags) ([]*Notification, error) {

	v, err := d.validateInContext(block, hash, txids, parents)
	if err != nil {
		return nil, err
	}
	node := newNode(block, hash, parents, v.gd, block.SerializeSize())
	var notes []*Notification
	if v.pending {
		node.status = statusPending
		notes, err = d.connectPending(node, block, txids, v.finality)
	} else {
		notes, err = d.connectBlock(node, block, txids, v.pd, v.own.diff)
	}
	if err == nil {
		d.av.blockAccepted(&hash)
	}
	return notes, err
}

// pastView returns a view holding the UTXO state of the past of a block
// with GHOSTDAG data gd and past key key, and the block's past diff. It
// starts from the virtual's state: when the block's parents are the
// virtual's, that state is the answer; otherwise it undoes the virtual's
// own diff, moves along selected chains to the block's selected parent,
// and applies the block's past diff.
func (d *BlockDAG) pastView(gd *ghostdagData, key wire.Hash) (*utxoView, *pastDiff, error) {
	vs := d.virtual
	view := newUTXOView(d.utxo)
	if key == vs.key {
		return view, vs.diff, nil
	}
	view.applyInverse(vs.diff.diff)
	sp, err := d.nodes.node(vs.selectedParent)
	if err != nil {
		return nil, nil, err
	}
	if key == sp.pastKey {
		// A sibling of the virtual's selected parent: same parents,
		// same past.
		pd, err := d.pastDiffFor(sp, nil)
		return view, pd, err
	}
	to, err := d.nodes.node(gd.selectedParent)
	if err != nil {
		return nil, nil, err
	}
	if _, _, err := d.moveView(view, sp, to); err != nil {
		return nil, nil, err
	}
	pd, err := d.loadPastDiff(key)
	if err != nil {
		return nil, nil, err
	}
	if pd != nil {
		view.applyDiff(pd.diff)
		return view, pd, nil
	}
	pd, err = d.computePastDiff(view, gd, key)
	if err != nil {
		return nil, nil, err
	}
	view.applyDiff(pd.diff)
	return view, pd, nil
}

// chainStep is one block of a selected chain with its past diff.
type chainStep struct {
	node *blockNode
	pd   *pastDiff
}

// moveView takes view from S(from), the UTXO state of the past of from, to
// S(to): it undoes the past diffs of from's selected chain down to the
// highest block that is also on to's selected chain, then applies those of
// to's chain above it. It returns the blocks undone (newest first) and
// applied (oldest first) with their diffs.
func (d *BlockDAG) moveView(view *utxoView, from, to *blockNode) ([]chainStep, []chainStep, error) {
	var redo []*blockNode
	fork := to
	for !isTreeAncestorOrSelf(fork, from) {
		redo = append(redo, fork)
		next, err := d.nodes.node(fork.selectedParent)
		if err != nil {
			return nil, nil, err
		}
		fork = next
	}
	var undone, redone []chainStep
	for n := from; n.hash != fork.hash; {
		pd, err := d.pastDiffFor(n, nil)
		if err != nil {
			return nil, nil, err
		}
		undone = append(undone, chainStep{n, pd})
		next, err := d.nodes.node(n.selectedParent)
		if err != nil {
			return nil, nil, err
		}
		n = next
	}
	// The lowest undone and redone blocks both sit on fork; when they
	// have the same parents they have the same past diff, and undoing
	// one to apply the other changes nothing (siblings in a wide DAG).
	skip := len(undone) > 0 && len(redo) > 0 &&
		undone[len(undone)-1].node.pastKey == redo[len(redo)-1].pastKey
	for i, s := range undone {
		if skip && i == len(undone)-1 {
			break
		}
		view.applyInverse(s.pd.diff)
	}
	for i := len(redo) - 1; i >= 0; i-- {
		var pd *pastDiff
		var err error
		if skip && i == len(redo)-1 {
			pd = undone[len(undone)-1].pd
		} else if pd, err = d.pastDiffFor(redo[i], view); err == nil {
			view.applyDiff(pd.diff)
		}
		if err != nil {
			return nil, nil, err
		}
		redone = append(redone, chainStep{redo[i], pd})
	}
	return undone, redone, nil
}
