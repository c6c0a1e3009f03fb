package blockdag

import (
	"container/list"
	"fmt"
	"sync"
	"time"

	"github.com/soterdag/soterd/wire"
)

// Default orphan pool bounds (Config.MaxOrphans, MaxOrphanBytes, OrphanTTL).
const (
	DefaultMaxOrphans     = 2000
	DefaultMaxOrphanBytes = 64 << 20
	DefaultOrphanTTL      = 10 * time.Minute
)

// orphanBlock is a block whose parents are not all known yet.
type orphanBlock struct {
	block   *wire.MsgBlock
	hash    wire.Hash
	size    int
	expires time.Time
	elem    *list.Element
}

// orphanPool keeps orphans bounded by count, bytes and age; when a bound is
// hit the oldest orphans go first. It is safe for concurrent access.
type orphanPool struct {
	mu       sync.Mutex
	byHash   map[wire.Hash]*orphanBlock
	byParent map[wire.Hash][]*orphanBlock
	order    *list.List // oldest first
	bytes    int

	maxCount int
	maxBytes int
	ttl      time.Duration
}

func newOrphanPool(maxCount, maxBytes int, ttl time.Duration) *orphanPool {
	return &orphanPool{
		byHash:   make(map[wire.Hash]*orphanBlock),
		byParent: make(map[wire.Hash][]*orphanBlock),
		order:    list.New(),
		maxCount: maxCount,
		maxBytes: maxBytes,
		ttl:      ttl,
	}
}

// has reports whether hash is an orphan in the pool.
func (p *orphanPool) has(hash *wire.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byHash[*hash]
	return ok
}

// count returns the number of orphans.
func (p *orphanPool) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byHash)
}

// add keeps block as an orphan, evicting expired and then the oldest
// orphans to stay within the bounds. A block larger than the whole byte
// bound is refused with ErrOrphanLimit.
func (p *orphanPool) add(block *wire.MsgBlock, hash wire.Hash, size int, now time.Time) error {
	if size > p.maxBytes || p.maxCount <= 0 {
		return ruleError(ErrOrphanLimit, fmt.Sprintf(
			"orphan block %s of %d bytes does not fit the orphan pool (%d bytes)",
			hash, size, p.maxBytes))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.byHash[hash]; ok {
		return nil
	}
	p.expireLocked(now)
	for len(p.byHash) >= p.maxCount || p.bytes+size > p.maxBytes {
		oldest := p.order.Front()
		if oldest == nil {
			break
		}
		o := oldest.Value.(*orphanBlock)
		log.Debugf("Evicting orphan block %s to make room", o.hash)
		p.removeLocked(o)
	}
	o := &orphanBlock{block: block, hash: hash, size: size, expires: now.Add(p.ttl)}
	o.elem = p.order.PushBack(o)
	p.byHash[hash] = o
	for _, parent := range block.Header.Parents {
		p.byParent[parent] = append(p.byParent[parent], o)
	}
	p.bytes += size
	return nil
}

// expireLocked drops orphans whose time is up. The list is in insertion
// order and every orphan lives equally long, so expired ones are at the
// front.
func (p *orphanPool) expireLocked(now time.Time) {
	for e := p.order.Front(); e != nil; e = p.order.Front() {
		o := e.Value.(*orphanBlock)
		if now.Before(o.expires) {
			return
		}
		log.Debugf("Expiring orphan block %s", o.hash)
		p.removeLocked(o)
	}
}

// removeLocked drops o from every structure of the pool.
func (p *orphanPool) removeLocked(o *orphanBlock) {
	if _, ok := p.byHash[o.hash]; !ok {
		return
	}
	delete(p.byHash, o.hash)
	p.order.Remove(o.elem)
	p.bytes -= o.size
	for _, parent := range o.block.Header.Parents {
		list := p.byParent[parent]
		for i, x := range list {
			if x == o {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(p.byParent, parent)
		} else {
			p.byParent[parent] = list
		}
	}
}

// takeChildren removes and returns the orphans that name parent, oldest
// first.
func (p *orphanPool) takeChildren(parent *wire.Hash) []*orphanBlock {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.byParent[*parent]
	if len(list) == 0 {
		return nil
	}
	out := append([]*orphanBlock(nil), list...)
	for _, o := range out {
		p.removeLocked(o)
	}
	return out
}

// missingParents returns the parents, absent from the DAG and the pool, of
// the orphan roots that hash descends from within the pool.
func (p *orphanPool) missingParents(hash *wire.Hash, inDAG func(*wire.Hash) bool) []wire.Hash {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []wire.Hash
	seen := map[wire.Hash]struct{}{*hash: {}}
	queue := []wire.Hash{*hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		o, ok := p.byHash[h]
		if !ok {
			continue
		}
		for _, parent := range o.block.Header.Parents {
			if _, ok := seen[parent]; ok {
				continue
			}
			seen[parent] = struct{}{}
			if _, isOrphan := p.byHash[parent]; isOrphan {
				queue = append(queue, parent)
				continue
			}
			if !inDAG(&parent) {
				out = append(out, parent)
			}
		}
	}
	return out
}

// maxInvalidBlocks bounds the memory of blocks known to be invalid. Blocks
// without valid proof of work cost nothing to make, so the set forgets the
// oldest entries instead of growing.
const maxInvalidBlocks = 10000

// invalidSet remembers invalid block hashes, oldest forgotten first. It is
// safe for concurrent access.
type invalidSet struct {
	mu    sync.Mutex
	set   map[wire.Hash]struct{}
	order []wire.Hash
	next  int
}

func newInvalidSet() *invalidSet {
	return &invalidSet{set: make(map[wire.Hash]struct{})}
}

func (s *invalidSet) has(hash *wire.Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.set[*hash]
	return ok
}

func (s *invalidSet) add(hash wire.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.set[hash]; ok {
		return
	}
	if len(s.order) < maxInvalidBlocks {
		s.order = append(s.order, hash)
	} else {
		delete(s.set, s.order[s.next])
		s.order[s.next] = hash
		s.next = (s.next + 1) % maxInvalidBlocks
	}
	s.set[hash] = struct{}{}
}
