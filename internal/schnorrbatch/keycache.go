package schnorrbatch

import (
	"sync"
	"sync/atomic"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// KeyCache keeps the lifted points of recently verified public keys, so a
// key that signs again skips lift_x, a field square root that costs about a
// fifth of a batched signature. It holds at most its capacity of keys and
// evicts by the CLOCK rule (a second chance for keys used since the hand
// last passed them), which approximates least recently used without moving
// entries on a hit. Only valid keys are kept. It is safe for concurrent
// use: lookups share a read lock.
type KeyCache struct {
	mu    sync.RWMutex
	index map[[32]byte]int
	slots []keySlot
	hand  int
	limit int
}

// keySlot is one cached key.
type keySlot struct {
	key  [32]byte
	x, y secp256k1.FieldVal
	// used is CLOCK's reference bit: set by lookups, which hold only the
	// read lock, hence atomic.
	used atomic.Uint32
}

// NewKeyCache returns an empty cache of at most capacity keys (at least
// one). A key takes about 180 bytes with its index entry; the memory grows
// with the keys held.
func NewKeyCache(capacity int) *KeyCache {
	capacity = max(capacity, 1)
	return &KeyCache{
		index: make(map[[32]byte]int),
		limit: capacity,
	}
}

// Len returns the number of keys in the cache.
func (c *KeyCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.slots)
}

// lookup sets p to the cached point of key and reports whether it was
// there.
func (c *KeyCache) lookup(key *[32]byte, p *secp256k1.JacobianPoint) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	i, ok := c.index[*key]
	if !ok {
		return false
	}
	s := &c.slots[i]
	p.X.Set(&s.x)
	p.Y.Set(&s.y)
	p.Z.SetInt(1)
	s.used.Store(1)
	return true
}

// insert adds key with its affine point p, evicting one key when full.
func (c *KeyCache) insert(key *[32]byte, p *secp256k1.JacobianPoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.index[*key]; ok {
		return
	}
	var i int
	if len(c.slots) < c.limit {
		// Grown as keys come, so a large capacity costs nothing until
		// it is used.
		i = len(c.slots)
		c.slots = append(c.slots, keySlot{})
	} else {
		// The hand clears reference bits until it meets a key not used
		// since its last pass; at most one full turn.
		for c.slots[c.hand].used.Swap(0) != 0 {
			c.hand = (c.hand + 1) % c.limit
		}
		i = c.hand
		c.hand = (c.hand + 1) % c.limit
		delete(c.index, c.slots[i].key)
	}
	s := &c.slots[i]
	s.key = *key
	s.x.Set(&p.X)
	s.y.Set(&p.Y)
	s.used.Store(0)
	c.index[*key] = i
}
