package blockdag

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// Assumed-valid blocks (--assumevalid, as in Bitcoin Core and btcd). The
// operator names a block trusted to be valid, AV. A block in the past of AV
// (or AV itself) skips its signature checks; every other rule (proof of
// work, merkle root, UTXO spends, amounts, GHOSTDAG, ...) is still checked,
// so the trust is only that the signatures of AV's past verify, which the
// software's authors and everyone who synced checked in full.
//
// During a download blocks arrive parents first, so when a block is
// validated the DAG cannot tell whether AV will have it in its past. Peers'
// headers tell it (package netsync asks for them with getheaders, walking
// back from AV, and accepts only headers linked by hash to AV): each header
// so placed is marked here, and a block whose mark is there when it is
// validated skips its signature checks; a block validated before its mark
// arrived is simply checked in full. Once AV is in the DAG nothing is
// marked again and the marks are dropped in the background.
//
// BucketAssumeValid: key bucket 0x0e | AV hash 32 | block hash 32, empty
// value. The AV prefix ties each mark to the block it was placed under: a
// start with another --assumevalid (or none) never honours the marks of the
// previous one, and drops them. LevelDB's prefix compression makes the
// repeated AV hash nearly free on disk.

const (
	// dropMarksBatch is how many marks one batch of the background drop
	// deletes: memory stays at a few hundred KB whatever the count.
	dropMarksBatch = 10000
)

// assumeValid is the DAG's assumed-valid state. It is safe for concurrent
// use.
type assumeValid struct {
	db *database.DB

	// target is AV, the zero hash when --assumevalid is off; prefix the
	// keys of its marks.
	target wire.Hash
	prefix []byte

	// mtx orders the writes of marks against the switch-off, so that no
	// mark is written after AV arrived (the drop would miss it).
	mtx sync.Mutex

	// active is set while AV is set and not in the DAG: marks are taken
	// and honoured.
	active atomic.Bool

	// marked counts marks written and skipped the blocks whose signature
	// checks were skipped, since New.
	marked  atomic.Uint64
	skipped atomic.Uint64

	// skipLogged is set once the first skipped block was logged.
	skipLogged atomic.Bool

	// quit stops the background drops of marks no longer needed; wg
	// counts them.
	quit chan struct{}
	wg   sync.WaitGroup
}

// markKeyPrefix returns the key prefix of the marks placed under av.
func markKeyPrefix(av *wire.Hash) []byte {
	return database.Key(database.BucketAssumeValid, av[:])
}

// markKey returns the key of the mark of block hash under av.
func markKey(av, hash *wire.Hash) []byte {
	k := make([]byte, 1+2*wire.HashSize)
	k[0] = byte(database.BucketAssumeValid)
	copy(k[1:], av[:])
	copy(k[1+wire.HashSize:], hash[:])
	return k
}

// newAssumeValid sets up the state of d for target (zero: off) and starts
// dropping the marks that are of no more use: all of them when target is
// off or already in the DAG, else those placed under another target.
func newAssumeValid(d *BlockDAG, target wire.Hash) *assumeValid {
	av := &assumeValid{db: d.db, target: target, quit: make(chan struct{})}
	if target.IsZero() {
		av.dropStale()
		return av
	}
	av.prefix = markKeyPrefix(&target)
	if d.HaveBlock(&target) {
		log.Infof("Assumed-valid block %s is in the DAG: every block's signatures are checked", target)
		av.dropStale()
		return av
	}
	av.active.Store(true)
	log.Infof("Assumed-valid block %s is not in the DAG yet: blocks that peers' headers place "+
		"in its past skip their signature checks until it arrives (--assumevalid)", target)
	av.dropStale()
	return av
}

// sigsAssumed reports whether the block may skip its signature checks: it
// is marked as in the past of AV, which is not in the DAG yet. A store
// failure answers false: checking is always safe.
func (av *assumeValid) sigsAssumed(hash *wire.Hash) bool {
	if !av.active.Load() {
		return false
	}
	ok, err := av.db.Has(markKey(&av.target, hash))
	if err != nil {
		log.Warnf("Reading the assumed-valid mark of block %s: %v; checking its signatures", hash, err)
		return false
	}
	if !ok {
		return false
	}
	av.skipped.Add(1)
	if !av.skipLogged.Swap(true) {
		log.Infof("Skipping the signature checks of block %s and of the other blocks in the "+
			"past of assumed-valid block %s; every other rule is checked", hash, av.target)
	}
	return true
}

// blockAccepted switches the marks off when the accepted block is AV.
func (av *assumeValid) blockAccepted(hash *wire.Hash) {
	if !av.active.Load() || *hash != av.target {
		return
	}
	av.mtx.Lock()
	av.active.Store(false)
	av.mtx.Unlock()
	log.Infof("Assumed-valid block %s is in the DAG: signature checks resume for every block "+
		"(%d blocks skipped them)", av.target, av.skipped.Load())
	av.drop(nil)
}

// dropStale starts dropping the marks that are not the current target's,
// if there are any.
func (av *assumeValid) dropStale() {
	keep := av.prefix
	if !av.active.Load() {
		keep = nil
	}
	if av.hasMarksBesides(keep) {
		av.drop(keep)
	}
}

// hasMarksBesides reports whether the store holds marks whose key does not
// start with keep (nil: any mark).
func (av *assumeValid) hasMarksBesides(keep []byte) bool {
	for _, r := range markRanges(keep) {
		it := av.db.NewRangeIterator(r[0], r[1])
		found := it.Next()
		it.Release()
		if found {
			return true
		}
	}
	return false
}

// markRanges returns the key ranges [start, limit) of the marks bucket
// without the keys that start with keep (nil: the whole bucket).
func markRanges(keep []byte) [][2][]byte {
	start := []byte{byte(database.BucketAssumeValid)}
	end := []byte{byte(database.BucketAssumeValid) + 1}
	if keep == nil {
		return [][2][]byte{{start, end}}
	}
	return [][2][]byte{{start, keep}, {prefixEnd(keep), end}}
}

// prefixEnd returns the first key after every key that starts with p
// (nil when p is all 0xff bytes: no key is after them).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// drop deletes, on a goroutine of its own, the marks outside keep, in
// batches. Two drops may overlap (the start-up one and the one when AV
// arrives): deleting a key twice is harmless. It must not be called after
// close; the DAG calls it from New and under the process lock, which Close
// takes first.
func (av *assumeValid) drop(keep []byte) {
	av.wg.Add(1)
	go av.dropMarks(keep)
}

// dropMarks is the drop goroutine. It stops early when the DAG closes; the
// marks left are dropped at the next start.
func (av *assumeValid) dropMarks(keep []byte) {
	defer av.wg.Done()
	start := time.Now()
	dropped := 0
	for _, r := range markRanges(keep) {
		it := av.db.NewRangeIterator(r[0], r[1])
		batch := av.db.NewBatch()
		for it.Next() {
			batch.Delete(it.Key())
			if batch.Len() < dropMarksBatch {
				continue
			}
			select {
			case <-av.quit:
				it.Release()
				return
			default:
			}
			if err := av.db.Write(batch); err != nil {
				it.Release()
				log.Warnf("Dropping assumed-valid marks: %v; the rest are dropped at the next start", err)
				return
			}
			dropped += batch.Len()
			batch.Reset()
		}
		err := it.Err()
		it.Release()
		if err == nil {
			err = av.db.Write(batch)
		}
		if err != nil {
			log.Warnf("Dropping assumed-valid marks: %v; the rest are dropped at the next start", err)
			return
		}
		dropped += batch.Len()
	}
	log.Debugf("Dropped %d assumed-valid marks in %v", dropped, time.Since(start).Round(time.Millisecond))
}

// close stops the drop goroutine and waits for it.
func (av *assumeValid) close() {
	select {
	case <-av.quit:
	default:
		close(av.quit)
	}
	av.wg.Wait()
}

// MarkAssumedValid records blocks as in the past of the assumed-valid block
// (or as that block), so that they skip their signature checks when they
// are validated. The caller must have proved it: package netsync accepts a
// header only when it hashes to a parent of a header already proved, or to
// the assumed-valid block itself. It does nothing when --assumevalid is off
// or the block is in the DAG already. The marks are written in one batch.
// It is safe for concurrent access.
func (d *BlockDAG) MarkAssumedValid(hashes []wire.Hash) error {
	av := d.av
	av.mtx.Lock()
	defer av.mtx.Unlock()
	if !av.active.Load() || len(hashes) == 0 {
		return nil
	}
	batch := d.db.NewBatch()
	for i := range hashes {
		batch.Put(markKey(&av.target, &hashes[i]), nil)
	}
	if err := d.db.Write(batch); err != nil {
		return err
	}
	av.marked.Add(uint64(len(hashes)))
	return nil
}

// CheckHeaderWork checks a header's proof of work: bits within the
// network's limit and the hash at most their target.
func (d *BlockDAG) CheckHeaderWork(header *wire.BlockHeader, hash *wire.Hash) error {
	return checkProofOfWork(header, hash, d.params, BFNone)
}

// AssumeValidInfo describes the assumed-valid state of the DAG.
type AssumeValidInfo struct {
	// Block is the assumed-valid block, zero when --assumevalid is off.
	Block wire.Hash

	// Active is set while Block is set and not in the DAG: blocks marked
	// as in its past skip their signature checks.
	Active bool

	// Marked counts the blocks marked since the DAG was opened, and
	// SkippedBlocks the blocks whose signature checks were skipped.
	Marked        uint64
	SkippedBlocks uint64
}

// AssumeValidInfo returns the assumed-valid state. It is safe for
// concurrent access.
func (d *BlockDAG) AssumeValidInfo() AssumeValidInfo {
	return AssumeValidInfo{
		Block:         d.av.target,
		Active:        d.av.active.Load(),
		Marked:        d.av.marked.Load(),
		SkippedBlocks: d.av.skipped.Load(),
	}
}

// nodeHeap is a max-heap of blocks by (blue work, hash).
type nodeHeap []*blockNode

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(i, j int) bool { return blockLess(h[j], h[i]) }
func (h nodeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)        { *h = append(*h, x.(*blockNode)) }
func (h *nodeHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return n
}

// HeadersInPast answers getheaders: the headers of the blocks of wanted
// that the DAG holds and of the blocks in their past, each once, in
// strictly descending (blue work, hash) order, at most max. Blue work
// strictly grows from a parent to its child, so a block comes after every
// child of it that is listed: a receiver that starts from wanted can link
// each header by hash to one it accepted before. Hashes the DAG does not
// hold are skipped; when it holds none the answer is empty. The work is
// bounded by max and the number of wanted hashes: each listed block adds
// at most its parents to the walk.
func (d *BlockDAG) HeadersInPast(wanted []wire.Hash, max int) ([]wire.BlockHeader, error) {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	walk := make(nodeHeap, 0, len(wanted))
	seen := make(map[wire.Hash]struct{}, len(wanted))
	for _, w := range wanted {
		if _, dup := seen[w]; dup {
			continue
		}
		seen[w] = struct{}{}
		n, err := d.nodes.lookup(w)
		if err != nil {
			return nil, err
		}
		if n != nil {
			walk = append(walk, n)
		}
	}
	heap.Init(&walk)
	var out []wire.BlockHeader
	for walk.Len() > 0 && len(out) < max {
		n := heap.Pop(&walk).(*blockNode)
		out = append(out, n.header())
		if len(out) == max {
			break
		}
		for _, p := range n.parents {
			if _, dup := seen[p]; dup {
				continue
			}
			seen[p] = struct{}{}
			pn, err := d.nodes.node(p)
			if err != nil {
				return nil, err
			}
			heap.Push(&walk, pn)
		}
	}
	return out, nil
}
