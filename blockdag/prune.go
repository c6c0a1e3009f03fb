package blockdag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// Pruning deletes the block bodies and past diffs that consensus can never
// read again, oldest heights first, while the retained ones take more than
// Config.PruneBytes. What stays: the UTXO set, every node record, the
// selected chain and the height index, and the bodies and past diffs of
// every height from the prune limit up.
//
// The prune limit is the height of the virtual's chain block with the
// highest blue score at most blueScore(F) - pruneDepthBelowFinality, F the
// finality point. Nothing at a lower height is read again (docs/consensus.md,
// "Pruning", gives the argument): a block whose chain misses F gets no UTXO
// validation; one whose chain holds F merges only blocks that have its merge
// depth root on their chains, and the pending blocks it merges merge only
// blocks that have their own roots on theirs, so every body and past diff
// that validating it, moving the virtual or reorganising reads belongs to a
// block with the limit block in its past, which has a greater height.
//
// The limit is taken only when the commitment record is written, from the
// finality point of that moment: the commitment replay after a crash moves
// from the current virtual to the committed one, which never leaves the
// part of the chain above the committed virtual's finality point, so it
// reads no past diff below the limit either.

// pruneDepthBelowFinality is how far, in blue score, the prune limit stays
// below the finality point: two merge depths (a block's merge depth root,
// then the roots of the pending blocks it merges) plus a chain step of slack
// for each, since a chain step adds up to K+1 blue score.
func pruneDepthBelowFinality(p *Params) uint64 {
	return 2*p.MergeDepth + 2*(uint64(p.K)+1)
}

// minRetainedBlockBytes is what the pruning minimum counts for each block
// of the window: about twice the body and past diff of a one-parent block
// with only a coinbase (some 130 and 40 bytes on regtest), so that blocks
// naming a few parents still fit. Bigger blocks make the window take more,
// and the window is always kept whatever the target.
const minRetainedBlockBytes = 340

// MinPruneBytes returns the smallest Config.PruneBytes a network accepts:
// the bodies and past diffs of the blocks from the prune limit to the tips
// (FinalityDepth plus pruneDepthBelowFinality of blue score), counted at
// minRetainedBlockBytes each.
func MinPruneBytes(p *Params) uint64 {
	return (p.FinalityDepth + pruneDepthBelowFinality(p)) * minRetainedBlockBytes
}

// MinPruneMiB returns MinPruneBytes rounded up to a MiB, the unit of
// soterd's --prune.
func MinPruneMiB(p *Params) uint64 {
	return (MinPruneBytes(p) + 1<<20 - 1) >> 20
}

// Pruning sizes.
const (
	// pruneBatchKeys bounds the deletions of one pruning batch, so a batch
	// stays small for LevelDB and a stop waits for at most one.
	pruneBatchKeys = 4096

	// pruneIdlePause is the pause between two pruning batches, which
	// leaves the disk to block processing.
	pruneIdlePause = time.Millisecond
)

// pruneKey is the record of the lowest retained height.
var pruneKey = database.Key(database.BucketVirtual, []byte("pruned"))

// BucketPrune: key bucket 0x0d | height uint32 big-endian | past key 32;
// value the stored past diff's length, uint32 little-endian. With pruning
// on, the writer adds one for every past diff it stores, at the height of
// the blocks with that parent set, and the heights index value of every
// block holds its body's size and past key (heightValue), so the pruner
// walks two ranges and reads nothing at random. Stores written before
// pruning was turned on have neither; the pruner reads the node records
// and past diffs of those heights instead.
func pruneIndexKey(height uint32, key wire.Hash) []byte {
	k := make([]byte, 1+4+wire.HashSize)
	k[0] = byte(database.BucketPrune)
	binary.BigEndian.PutUint32(k[1:], height)
	copy(k[5:], key[:])
	return k
}

// heightValue returns the value of a block's heights index key: empty on
// an archive node, else the stored body's size (uint32 little-endian) and
// the block's past key.
func (d *BlockDAG) heightValue(n *blockNode, bodySize int) []byte {
	if d.pruner == nil {
		return nil
	}
	v := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+wire.HashSize), uint32(bodySize))
	return append(v, n.pastKey[:]...)
}

// indexDiff adds a stored past diff's BucketPrune record to batch when
// pruning is on.
func (d *BlockDAG) indexDiff(batch *database.Batch, height uint32, key wire.Hash, size int) {
	if d.pruner == nil {
		return
	}
	batch.Put(pruneIndexKey(height, key), binary.LittleEndian.AppendUint32(nil, uint32(size)))
}

// prunePrefix returns the first key of a height in BucketPrune.
func prunePrefix(height uint32) []byte {
	k := make([]byte, 1+4)
	k[0] = byte(database.BucketPrune)
	binary.BigEndian.PutUint32(k[1:], height)
	return k
}

// The pruned record, BucketVirtual "pruned", rewritten by every pruning
// batch:
//
//	field         type               size
//	lowest        uint32 big-endian  4   lowest height whose bodies and past diffs are kept
//
// A store without it was never pruned.
func encodePruneRecord(lowest uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, lowest)
}

// decodePruneRecord decodes the pruned record; only its exact size is
// canonical.
func decodePruneRecord(b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, ruleError(ErrCorruptState, fmt.Sprintf(
			"the pruned record has %d bytes, want 4", len(b)))
	}
	return binary.BigEndian.Uint32(b), nil
}

// readPruneRecord returns the lowest retained height, 0 for a store never
// pruned.
func readPruneRecord(db *database.DB) (uint32, error) {
	b, err := db.Get(pruneKey)
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("read the pruned record: %w", err)
	}
	return decodePruneRecord(b)
}

// PruneInfo describes what a node keeps.
type PruneInfo struct {
	// Pruned is true when pruning is on.
	Pruned bool

	// TargetBytes is Config.PruneBytes (0 when pruning is off).
	TargetBytes uint64

	// LowestHeight is the lowest height whose block bodies are kept; 0
	// on a store never pruned.
	LowestHeight uint32

	// RetainedBytes estimates the retained bodies and past diffs; 0 until
	// the pruner has measured them after a start, and when pruning is off.
	RetainedBytes uint64
}

// PruneInfo returns what the node keeps. It is safe for concurrent access.
func (d *BlockDAG) PruneInfo() PruneInfo {
	if d.pruner == nil {
		return PruneInfo{LowestHeight: d.prunedBelow}
	}
	info := PruneInfo{
		Pruned:       true,
		TargetBytes:  d.pruner.target,
		LowestHeight: d.pruner.lowest.Load(),
	}
	if r := d.pruner.retained.Load(); r > 0 {
		info.RetainedBytes = uint64(r)
	}
	return info
}

// prunedError returns the error for a block below the lowest retained
// height.
func prunedError(hash *wire.Hash, height, lowest uint32) error {
	return ruleError(ErrBlockPruned, fmt.Sprintf("block %s at height %d was pruned: "+
		"this node keeps block bodies from height %d up (--prune); ask an archive node",
		hash, height, lowest))
}

// pruner is the goroutine that deletes old bodies and past diffs. It owns
// its tally; the writer hands it prune limits on limitCh (newest wins) and
// reports the bytes it stores through noteStored.
type pruner struct {
	d      *BlockDAG
	target uint64

	limitCh chan uint32
	flushCh chan chan struct{}
	quit    chan struct{}
	done    chan struct{}
	stop    sync.Once

	// lowest is the lowest retained height, written by the pruner after
	// each batch and read by the writer and the read API.
	lowest atomic.Uint32
	// stored counts the bytes of bodies and past diffs the writer stored
	// since the start; the pruner adds what it stored since its last look
	// to its tally.
	stored atomic.Int64
	// retained is the tally, published for PruneInfo (-1 before the
	// first measurement).
	retained atomic.Int64

	// Owned by the goroutine: the tally of retained bytes, whether it
	// was measured, and the writer's count it includes.
	measured    bool
	tally, seen int64
}

// newPruner returns a pruner for d, not started.
func newPruner(d *BlockDAG, target uint64, lowest uint32) *pruner {
	p := &pruner{
		d:       d,
		target:  target,
		limitCh: make(chan uint32, 1),
		flushCh: make(chan chan struct{}),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	p.lowest.Store(lowest)
	p.retained.Store(-1)
	return p
}

// start runs the pruner goroutine.
func (p *pruner) start() {
	go p.run()
}

// close stops the goroutine and waits for it; a batch under way finishes
// first. Safe to call more than once.
func (p *pruner) close() {
	p.stop.Do(func() { close(p.quit) })
	<-p.done
}

// setLimit hands the pruner a new prune limit, replacing one it has not
// taken yet. It never blocks.
func (p *pruner) setLimit(h uint32) {
	for {
		select {
		case p.limitCh <- h:
			return
		default:
		}
		select {
		case <-p.limitCh:
		default:
		}
	}
}

// noteStored records bytes of bodies and past diffs the writer stored.
func (p *pruner) noteStored(n int) {
	p.stored.Add(int64(n))
}

// flush waits until the pruner has worked on the limit it was last given;
// tests use it.
func (p *pruner) flush() {
	ack := make(chan struct{})
	select {
	case p.flushCh <- ack:
	case <-p.done:
		return
	}
	select {
	case <-ack:
	case <-p.done:
	}
}

// run is the pruner goroutine.
func (p *pruner) run() {
	defer close(p.done)
	for {
		select {
		case <-p.quit:
			return
		case limit := <-p.limitCh:
			if !p.work(limit) {
				return
			}
		case ack := <-p.flushCh:
			select {
			case limit := <-p.limitCh:
				if !p.work(limit) {
					return
				}
			default:
			}
			close(ack)
		}
	}
}

// work prunes up to limit; it returns false when the pruner must stop.
func (p *pruner) work(limit uint32) bool {
	if !p.measured {
		var err error
		if p.tally, p.seen, err = p.measure(); err != nil {
			if !errors.Is(err, errPrunerStopped) {
				log.Errorf("Pruning stopped: measuring the retained blocks: %v", err)
			}
			return false
		}
		p.measured = true
	}
	now := p.stored.Load()
	p.tally += now - p.seen
	p.seen = now
	p.retained.Store(p.tally)
	if err := p.pruneTo(limit, &p.tally); err != nil {
		if !errors.Is(err, errPrunerStopped) {
			log.Errorf("Pruning stopped: %v", err)
		}
		return false
	}
	p.retained.Store(p.tally)
	return true
}

// errPrunerStopped ends a pruner's work when the DAG closes.
var errPrunerStopped = errors.New("pruner stopped")

// stopped reports whether the pruner was told to stop.
func (p *pruner) stopped() bool {
	select {
	case <-p.quit:
		return true
	default:
		return false
	}
}

// measure adds up the retained bodies and past diffs, from the lowest
// retained height up, once after a start; it returns the tally and the
// writer's stored count it includes. The iterators read a snapshot taken
// under the state lock, when no batch is being written, so every block is
// counted exactly once: in the snapshot or in the writer's count after it.
func (p *pruner) measure() (int64, int64, error) {
	start := time.Now()
	d := p.d
	d.stateLock.RLock()
	seen := p.stored.Load()
	it := d.db.NewRangeIterator(heightPrefix(p.lowest.Load()),
		[]byte{byte(database.BucketHeights) + 1})
	vit := d.db.NewRangeIterator(prunePrefix(p.lowest.Load()),
		[]byte{byte(database.BucketPrune) + 1})
	d.stateLock.RUnlock()
	defer it.Release()
	defer vit.Release()

	var tally int64
	var count int
	// Heights written before pruning was on name their diffs only
	// through the node records: count each once per height (blocks
	// sharing a past diff share their parents, so their height).
	oldKeys := make(map[wire.Hash]struct{})
	lastHeight := uint32(0)
	for it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 1+4+wire.HashSize {
			return 0, 0, ruleError(ErrCorruptState, "a height index key has the wrong size")
		}
		if count++; count%4096 == 0 && p.stopped() {
			return 0, 0, errPrunerStopped
		}
		if len(v) == 4+wire.HashSize {
			tally += int64(binary.LittleEndian.Uint32(v))
			continue
		}
		height := binary.BigEndian.Uint32(k[1:])
		if height != lastHeight {
			clear(oldKeys)
			lastHeight = height
		}
		n, err := loadNode(d.db, wire.Hash(k[5:]))
		if err != nil {
			return 0, 0, err
		}
		if n == nil {
			return 0, 0, ruleError(ErrCorruptState, fmt.Sprintf(
				"block %x of the height index has no node record", k[5:]))
		}
		tally += int64(n.size)
		if _, ok := oldKeys[n.pastKey]; ok {
			continue
		}
		oldKeys[n.pastKey] = struct{}{}
		b, err := d.db.Get(undoKey(n.pastKey))
		if err != nil && !errors.Is(err, database.ErrNotFound) {
			return 0, 0, err
		}
		tally += int64(len(b))
	}
	if err := it.Err(); err != nil {
		return 0, 0, err
	}
	for vit.Next() {
		if v := vit.Value(); len(v) == 4 {
			tally += int64(binary.LittleEndian.Uint32(v))
		}
	}
	if err := vit.Err(); err != nil {
		return 0, 0, err
	}
	log.Infof("Measured the retained blocks in %v: %d MiB from height %d up (prune target %d MiB)",
		time.Since(start).Round(time.Millisecond), tally>>20, p.lowest.Load(), p.target>>20)
	return tally, seen, nil
}

// pruneTo deletes heights from the lowest retained one up, below limit,
// while the tally is above the target, in batches of about pruneBatchKeys
// deletions that end on a whole height. Each batch writes the new lowest
// height with its deletions, so a crash leaves the store as it was after
// some batch.
func (p *pruner) pruneTo(limit uint32, tally *int64) error {
	d := p.d
	start := time.Now()
	from := p.lowest.Load()
	for p.lowest.Load() < limit && *tally > int64(p.target) {
		if p.stopped() {
			return errPrunerStopped
		}
		batch := d.db.NewBatch()
		next, freed, err := p.fillBatch(batch, p.lowest.Load(), limit, *tally)
		if err != nil {
			return err
		}
		batch.Put(pruneKey, encodePruneRecord(next))
		if err := d.db.Write(batch); err != nil {
			return fmt.Errorf("write a pruning batch: %w", err)
		}
		p.lowest.Store(next)
		*tally -= freed
		p.retained.Store(*tally)
		time.Sleep(pruneIdlePause)
	}
	if to := p.lowest.Load(); to != from {
		log.Infof("Pruned heights %d to %d in %v: %d MiB retained (target %d MiB)",
			from, to-1, time.Since(start).Round(time.Millisecond), *tally>>20, p.target>>20)
	}
	return nil
}

// fillBatch adds to batch the deletions of whole heights from lowest up,
// below limit, until the batch holds pruneBatchKeys deletions or the tally
// less what they free is within the target: the bodies of the heights'
// blocks and the past diffs at those heights. It returns the new lowest
// height and the bytes freed. It walks the heights index and BucketPrune
// with one iterator each, and reads node records and diffs only for
// heights stored before pruning was on.
func (p *pruner) fillBatch(batch *database.Batch, lowest, limit uint32, tally int64) (uint32, int64, error) {
	d := p.d
	var freed int64
	// indexed holds the diffs deleted through BucketPrune, unindexed the
	// past keys of old blocks, whose diffs are looked up.
	indexed := make(map[wire.Hash]struct{})
	unindexed := make(map[wire.Hash]struct{})
	vit := d.db.NewRangeIterator(prunePrefix(lowest), prunePrefix(limit))
	defer vit.Release()
	vnext := vit.Next()
	// finish deletes the diffs of the heights up to h.
	finish := func(h uint32) error {
		for vnext && binary.BigEndian.Uint32(vit.Key()[1:]) <= h {
			k, v := vit.Key(), vit.Value()
			key := wire.Hash(k[5:])
			if len(v) == 4 {
				if _, dup := indexed[key]; !dup {
					freed += int64(binary.LittleEndian.Uint32(v))
				}
				indexed[key] = struct{}{}
				batch.Delete(undoKey(key))
			} else {
				unindexed[key] = struct{}{}
			}
			batch.Delete(k)
			vnext = vit.Next()
		}
		if err := vit.Err(); err != nil {
			return err
		}
		for key := range unindexed {
			if _, ok := indexed[key]; ok {
				continue
			}
			b, err := d.db.Get(undoKey(key))
			if err != nil {
				if errors.Is(err, database.ErrNotFound) {
					continue
				}
				return err
			}
			freed += int64(len(b))
			batch.Delete(undoKey(key))
		}
		clear(unindexed)
		clear(indexed)
		return nil
	}

	it := d.db.NewRangeIterator(heightPrefix(lowest), heightPrefix(limit))
	defer it.Release()
	current := lowest
	for it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 1+4+wire.HashSize {
			return 0, 0, ruleError(ErrCorruptState, "a height index key has the wrong size")
		}
		height := binary.BigEndian.Uint32(k[1:])
		if height != current {
			// current is complete: stop after it if the batch is
			// full or enough is freed.
			if err := finish(current); err != nil {
				return 0, 0, err
			}
			if batch.Len() >= pruneBatchKeys || tally-freed <= int64(p.target) {
				return current + 1, freed, nil
			}
			current = height
		}
		h := wire.Hash(k[5:])
		// Every block from the lowest retained height up has its body
		// (measure counted it): no lookup needed.
		batch.Delete(blockKey(&h))
		if len(v) == 4+wire.HashSize {
			freed += int64(binary.LittleEndian.Uint32(v))
			continue
		}
		n, err := loadNode(d.db, h)
		if err != nil {
			return 0, 0, err
		}
		if n == nil {
			return 0, 0, ruleError(ErrCorruptState, fmt.Sprintf(
				"block %s of the height index has no node record", h))
		}
		freed += int64(n.size)
		unindexed[n.pastKey] = struct{}{}
	}
	if err := it.Err(); err != nil {
		return 0, 0, err
	}
	// The iterator ended: every height below limit is done once the
	// diffs left below limit are.
	if err := finish(limit); err != nil {
		return 0, 0, err
	}
	return limit, freed, nil
}

// pruneLimit returns the prune limit for the finality point at chain
// position fpos, or 0 while the DAG is too shallow to prune. The process
// lock must be held.
func (d *BlockDAG) pruneLimit(fpos uint64) (uint32, error) {
	e, err := d.chain.get(fpos)
	if err != nil {
		return 0, err
	}
	depth := pruneDepthBelowFinality(d.params)
	if e.blueScore <= depth {
		return 0, nil
	}
	n, err := d.chainBlockAtBlueScore(e.blueScore - depth)
	if err != nil {
		return 0, err
	}
	return n.height, nil
}

// updatePruneLimit hands the pruner the limit for the current finality
// point. The process lock must be held, and the commitment record must
// belong to the current virtual (see the top of this file).
func (d *BlockDAG) updatePruneLimit() {
	if d.pruner == nil {
		return
	}
	limit, err := d.pruneLimit(d.finalityPos)
	if err != nil {
		log.Errorf("Finding the prune limit: %v", err)
		return
	}
	if limit > 0 {
		d.pruner.setLimit(limit)
	}
}
