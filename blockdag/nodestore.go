package blockdag

import (
	"errors"
	"fmt"
	"sync"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// The block index lives in the store (BucketBlockIndex, blockio.go); memory
// holds a bounded working set of it.
// GHOSTDAG, reachability and the virtual touch blocks near the tips again
// and again, and old blocks rarely, so a small cache answers nearly every
// lookup while the DAG grows without bound.
//
// The cache has two generations. Lookups fill the current one; a hit in the
// previous one moves the node into the current one. When the current
// generation passes its cost bound, at the end of a writer's operation, it
// becomes the previous one and the old previous one is dropped. So a node
// used within the last generation stays, one unused for two is gone, and
// the cache never holds more than twice the bound (plus what one writer
// operation touches, which the mergeset limit and the finality window
// bound). No eviction happens while a writer operation is in progress, so
// the writer never holds two copies of one node; readers may keep private
// copies, which they never change.
//
// Nodes whose reachability data a writer changed (or that it created) are
// dirty until the batch that stores the change is written; lookups find
// them first, and the writer's batch writes them (flushDirty).

// nodeSource is where GHOSTDAG and reachability find blocks by hash, and
// where reachability reports the nodes whose data it changed. The DAG's
// node store is one; tests use in-memory maps.
type nodeSource interface {
	// node returns the block's node; a block that is not in the index is
	// an ErrCorruptState error, since only the index itself names it.
	node(h wire.Hash) (*blockNode, error)
	// markDirty records that n's reachability data changed.
	markDirty(n *blockNode)
}

// nodeStore is the DAG's nodeSource over the store. It is safe for
// concurrent access; only the writer (the goroutine holding the DAG's
// process lock) changes nodes, under the state lock.
type nodeStore struct {
	db *database.DB

	mu      sync.Mutex
	cur     map[wire.Hash]*blockNode
	prev    map[wire.Hash]*blockNode
	curCost int
	genCost int // cost bound of one generation, in bytes

	// dirty holds the nodes created or changed since the last flush.
	dirty map[wire.Hash]*blockNode

	// absent remembers hashes the store was found not to hold: a new
	// block is looked up several times (its announcement, the checks
	// before and under the process lock) before it is stored. addFresh
	// removes a hash as its block enters the index.
	absent map[wire.Hash]struct{}

	// writer is set while a writer operation is in progress: readers
	// then never start a new generation. It is only read and written
	// under mu.
	writer bool

	hits, misses uint64
}

// minNodeCacheBytes is the smallest node cache: a generation must hold the
// working set of one block (difficulty and median-time windows, the
// mergeset and its chain walks) several times over.
const minNodeCacheBytes = 4 << 20

// newNodeStore returns a node store whose memory is bounded by about
// maxBytes.
func newNodeStore(db *database.DB, maxBytes int) *nodeStore {
	if maxBytes < minNodeCacheBytes {
		maxBytes = minNodeCacheBytes
	}
	return &nodeStore{
		db:      db,
		cur:     make(map[wire.Hash]*blockNode),
		prev:    make(map[wire.Hash]*blockNode),
		genCost: maxBytes / 2,
		dirty:   make(map[wire.Hash]*blockNode),
		absent:  make(map[wire.Hash]struct{}),
	}
}

// cached returns the in-memory node, promoting it to the current
// generation. mu must be held.
func (s *nodeStore) cachedLocked(h wire.Hash) *blockNode {
	if n, ok := s.dirty[h]; ok {
		return n
	}
	if n, ok := s.cur[h]; ok {
		return n
	}
	if n, ok := s.prev[h]; ok {
		delete(s.prev, h)
		s.cur[h] = n
		s.curCost += n.memSize()
		return n
	}
	return nil
}

// lookup returns the node of a block, or nil when the index does not have
// it. Writers' lookups always enter the cache; readers' only while the
// current generation has room, so a reader scanning old blocks cannot push
// the working set out.
func (s *nodeStore) lookup(h wire.Hash) (*blockNode, error) {
	s.mu.Lock()
	if n := s.cachedLocked(h); n != nil {
		s.hits++
		s.mu.Unlock()
		return n, nil
	}
	if _, ok := s.absent[h]; ok {
		s.mu.Unlock()
		return nil, nil
	}
	s.misses++
	s.mu.Unlock()

	n, err := loadNode(s.db, h)
	if err != nil || n == nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// Another goroutine may have loaded it meanwhile: keep one copy.
	if c := s.cachedLocked(h); c != nil {
		return c, nil
	}
	if s.writer || s.curCost < s.genCost {
		s.cur[h] = n
		s.curCost += n.memSize()
	}
	return n, nil
}

// node implements nodeSource.
func (s *nodeStore) node(h wire.Hash) (*blockNode, error) {
	n, err := s.lookup(h)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, ruleError(ErrCorruptState, fmt.Sprintf(
			"the block index names block %s, which it does not hold", h))
	}
	return n, nil
}

// maxAbsentBlocks bounds the set of hashes known not to be stored; it is emptied
// when full.
const maxAbsentBlocks = 1 << 16

// cached reports whether h is in the node cache, without a store lookup.
func (s *nodeStore) cached(h wire.Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cachedLocked(h) != nil
}

// has reports whether the index holds the block, without loading it.
func (s *nodeStore) has(h wire.Hash) (bool, error) {
	s.mu.Lock()
	n := s.cachedLocked(h)
	_, absent := s.absent[h]
	s.mu.Unlock()
	if n != nil {
		return true, nil
	}
	if absent {
		return false, nil
	}
	ok, err := s.db.Has(indexKey(&h))
	if err == nil && !ok {
		s.mu.Lock()
		// A writer may have stored it meanwhile.
		if s.cachedLocked(h) == nil {
			if len(s.absent) >= maxAbsentBlocks {
				clear(s.absent)
			}
			s.absent[h] = struct{}{}
		} else {
			ok = true
		}
		s.mu.Unlock()
	}
	return ok, err
}

// markDirty implements nodeSource. It must be called by the writer with
// the state lock held for writing.
func (s *nodeStore) markDirty(n *blockNode) {
	s.mu.Lock()
	s.dirty[n.hash] = n
	s.mu.Unlock()
}

// addFresh enters a new block's node, to be stored by the next flush.
func (s *nodeStore) addFresh(n *blockNode) {
	s.mu.Lock()
	s.dirty[n.hash] = n
	delete(s.absent, n.hash)
	s.cur[n.hash] = n
	s.curCost += n.memSize()
	s.mu.Unlock()
}

// beginWrite marks the start of a writer operation: no generation starts
// until endWrite.
func (s *nodeStore) beginWrite() {
	s.mu.Lock()
	s.writer = true
	s.mu.Unlock()
}

// endWrite ends a writer operation and starts a new generation when the
// current one is over its bound. Dirty nodes not yet flushed stay.
func (s *nodeStore) endWrite() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writer = false
	if s.curCost <= s.genCost {
		return
	}
	s.prev = s.cur
	s.cur = make(map[wire.Hash]*blockNode, len(s.prev)/2)
	s.curCost = 0
	for h, n := range s.dirty {
		s.cur[h] = n
		s.curCost += n.memSize()
		delete(s.prev, h)
	}
}

// flushDirty adds the records of the dirty nodes to batch: new blocks and
// every node whose reachability data changed. The nodes stay dirty until
// clearDirty, after the batch is written.
func (s *nodeStore) flushDirty(batch *database.Batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.dirty {
		batch.Put(indexKey(&n.hash), encodeNodeRecord(n))
	}
}

// clearDirty forgets the dirty set once its batch is written.
func (s *nodeStore) clearDirty() {
	s.mu.Lock()
	clear(s.dirty)
	s.mu.Unlock()
}

// dropDirty forgets the dirty set and everything cached after a failed
// write: memory may no longer match the store, and the DAG refuses writes
// from then on, so readers must read the store.
func (s *nodeStore) dropDirty() {
	s.mu.Lock()
	clear(s.dirty)
	clear(s.absent)
	s.cur = make(map[wire.Hash]*blockNode)
	s.prev = make(map[wire.Hash]*blockNode)
	s.curCost = 0
	s.mu.Unlock()
}

// stats returns the cache's size and hit counts.
func (s *nodeStore) stats() (nodes, bytes int, hits, misses uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cur) + len(s.prev), s.curCost, s.hits, s.misses
}

// loadNode reads a block's node record; nil when the index does not have
// the block.
func loadNode(db *database.DB, h wire.Hash) (*blockNode, error) {
	b, err := db.Get(indexKey(&h))
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("read the index record of block %s: %w", h, err)
	}
	n, err := decodeNodeRecord(b)
	if err != nil {
		return nil, fmt.Errorf("index record of block %s: %w", h, err)
	}
	n.hash = h
	n.pastKey = pastKeyOf(n.parents)
	return n, nil
}
